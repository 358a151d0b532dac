package pipeline

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/config"
	"go.yaml.in/yaml/v3"
)

// alarmsFile makes a file whose pipeline's alarms: holds lines, from line
// 4; its one stage counts data points.
func alarmsFile(lines ...string) string {
	var b strings.Builder
	b.WriteString("pipelines:\n  app:\n    alarms:\n")
	for _, l := range lines {
		b.WriteString("      " + l + "\n")
	}
	b.WriteString("    stages: [{name: a, targets: [t], bake: 0s}]\n")
	return b.String()
}

func TestParseAlarms(t *testing.T) {
	ps, diags := parseYAML(t, alarmsFile(
		`match: {service: api, env: "=~prod-.*|gamma"}`,
		"target_label: env",
		"interval: 30s",
		"error_limit: 5",
		"resolve_timeout: 10m",
		`queries: {fault-rate: 'sum(rate(e{env="{{.Target}}"}[5m])) > 0', a-first: 'up{sha="{{.SHA}}",stage="{{ $.Stage }}"} == 0'}`,
		`compare: [{name: traffic, query: 'sum(rate(r{env="{{.Target}}",v="{{.Variant}}"}[5m]))', min_ratio: 0.5, max_ratio: 3}, {query: 'x{since="{{.Since}}"}', max_ratio: 2}]`,
	))
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	a := ps[0].Alarms
	if a == nil || a.TargetLabel != "env" || a.Interval != 30*time.Second || a.ErrorLimit != 5 || a.ResolveTimeout != 10*time.Minute {
		t.Fatalf("alarms = %+v", a)
	}
	if len(a.Match) != 2 || a.Match[0].Name != "service" || a.Match[0].Regex || a.Match[1].Name != "env" || !a.Match[1].Regex || a.Match[1].Value != "prod-.*|gamma" {
		t.Fatalf("match = %+v", a.Match)
	}
	// The regular expression is anchored, as Alertmanager's are.
	for labels, want := range map[[2]string]bool{
		{"api", "prod-1"}: true, {"api", "gamma"}: true, {"api", "gamma-2"}: false, {"web", "prod-1"}: false, {"api", "xprod-1"}: false,
	} {
		if got := MatchAll(a.Match, map[string]string{"service": labels[0], "env": labels[1]}); got != want {
			t.Errorf("match %v = %v, want %v", labels, got, want)
		}
	}
	if names := []string{a.Queries[0].Name, a.Queries[1].Name}; len(a.Queries) != 2 || !slices.Equal(names, []string{"a-first", "fault-rate"}) {
		t.Errorf("queries = %+v, want sorted by name", a.Queries)
	}
	if len(a.Compare) != 2 || a.Compare[0] != (Compare{Name: "traffic", Query: `sum(rate(r{env="{{.Target}}",v="{{.Variant}}"}[5m]))`, MinRatio: 0.5, MaxRatio: 3}) ||
		a.Compare[1].Name != "compare[1]" || a.Compare[1].MaxRatio != 2 || a.Compare[1].MinRatio != 0 {
		t.Errorf("compare = %+v", a.Compare)
	}
}

func TestParseAlarmsDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown key", alarmsFile("targets_label: env"),
			[]string{`4:7: error: unknown key "targets_label" in pipelines.app.alarms (did you mean "target_label"?)`}},
		{"only defaults", alarmsFile("interval: 15s"),
			[]string{`4:7: warning: pipelines.app.alarms has neither match, queries nor compare, so it watches nothing and nothing rolls back by itself`}},
		{"match not a mapping", alarmsFile("match: [service]"),
			[]string{`4:14: error: pipelines.app.alarms.match must be a mapping of label names to values, like {service: api} or {service: "=~api|web"}, got a list`}},
		{"bad label name", alarmsFile("match: {0day: x, service-name: y}"),
			[]string{
				`4:15: error: pipelines.app.alarms.match: "0day" is not a label name (letters, digits and _, not starting with a digit)`,
				`4:24: error: pipelines.app.alarms.match: "service-name" is not a label name (letters, digits and _, not starting with a digit)`,
			}},
		{"bad regex", alarmsFile(`match: {service: "=~api|(web"}`),
			[]string{"4:24: error: pipelines.app.alarms.match.service \"api|(web\" is not a valid regular expression: label service: error parsing regexp: missing closing ): `^(?:api|(web)$`"}},
		{"negative matcher", alarmsFile(`match: {service: "!=api"}`),
			[]string{`4:24: error: pipelines.app.alarms.match.service "!=api": negative matchers are not supported; write a value (equality) or "=~REGEX" (a regular expression)`}},
		{"number value", alarmsFile(`match: {code: 500}`),
			[]string{`4:21: error: pipelines.app.alarms.match.code must be a string, got number 500`}},
		{"target label", alarmsFile(`target_label: "env name"`, "queries: {q: up}"),
			[]string{`4:21: error: pipelines.app.alarms.target_label "env name" is not a label name (letters, digits and _, not starting with a digit)`}},
		{"interval bounds", alarmsFile("interval: 500ms", "error_limit: 0", "resolve_timeout: 0s", "queries: {q: up}"),
			[]string{
				`4:17: error: pipelines.app.alarms.interval must be between 1s and 1h, got 500ms`,
				`5:20: error: pipelines.app.alarms.error_limit must be between 1 and 100, got 0`,
				`6:24: error: pipelines.app.alarms.resolve_timeout must be between 1s and 24h, got 0s`,
			}},
		{"query name", alarmsFile("queries: {Fault Rate: up}"),
			[]string{`4:17: error: pipelines.app.alarms.queries.Fault Rate: alarm name "Fault Rate" is not allowed: use lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters`}},
		{"template syntax", alarmsFile(`queries: {q: 'up{env="{{.Target}"}'}`),
			[]string{`4:20: error: pipelines.app.alarms.queries.q is not a valid template: template: query:1: bad character U+007D '}'`}},
		{"template field", alarmsFile(`queries: {q: 'up{env="{{.Env}}"}'}`),
			[]string{`4:20: error: pipelines.app.alarms.queries.q uses {{.Env}}; a query may only use {{.Target}}, {{.Stage}}, {{.SHA}}, {{.Since}} and {{.Variant}}`}},
		{"template nested field", alarmsFile(`queries: {q: 'up{env="{{.Target.Name}}"}'}`),
			[]string{`4:20: error: pipelines.app.alarms.queries.q uses {{.Target.Name}}; a query may only use {{.Target}}, {{.Stage}}, {{.SHA}}, {{.Since}} and {{.Variant}}`}},
		{"template loop", alarmsFile(`queries: {q: '{{range 1000000000}}x{{end}}'}`),
			[]string{`4:20: error: pipelines.app.alarms.queries.q uses {{range 1000000000}}x{{end}}; a query may only use {{.Target}}, {{.Stage}}, {{.SHA}}, {{.Since}} and {{.Variant}}, with if, with and the built-in functions`}},
		{"template define", alarmsFile(`queries: {q: '{{define "x"}}y{{end}}up'}`),
			[]string{`4:20: error: pipelines.app.alarms.queries.q must not define templates`}},
		{"template if", alarmsFile(`queries: {q: 'up{v="{{if eq .Variant "onebox"}}1{{else}}{{.Stage}}{{end}}"}'}`), nil},
		{"empty query", alarmsFile(`queries: {q: " "}`),
			[]string{`4:20: error: pipelines.app.alarms.queries.q must not be empty`}},
		{"compare without ratio", alarmsFile("compare: [{query: up}]"),
			[]string{`4:17: error: pipelines.app.alarms.compare[0] needs max_ratio, min_ratio or both: the bounds of the value against its baseline`}},
		{"compare without query", alarmsFile("compare: [{max_ratio: 2}]"),
			[]string{`4:17: error: pipelines.app.alarms.compare[0] needs a query: the PromQL template whose value is compared with its baseline`}},
		{"compare ratios", alarmsFile("compare: [{query: up, max_ratio: 0.5, min_ratio: 2}, {query: up, max_ratio: 0, min_ratio: -1}, {query: up, min_ratio: x}]"),
			[]string{
				`4:40: error: pipelines.app.alarms.compare[0].max_ratio must be above 1: it fires when the value exceeds the baseline times max_ratio (2 for twice the baseline), got 0.5`,
				`4:56: error: pipelines.app.alarms.compare[0].min_ratio must be below 1: it fires when the value falls under the baseline times min_ratio (0.5 for half the baseline), got 2`,
				`4:83: error: pipelines.app.alarms.compare[1].max_ratio must be a number above 0, got 0`,
				`4:97: error: pipelines.app.alarms.compare[1].min_ratio must be a number above 0, got -1`,
				`4:125: error: pipelines.app.alarms.compare[2].min_ratio must be a number, like 0.5 or 3, got string "x"`,
			}},
		{"compare unknown key", alarmsFile("compare: [{query: up, max: 2}]"),
			[]string{
				`4:17: error: pipelines.app.alarms.compare[0] needs max_ratio, min_ratio or both: the bounds of the value against its baseline`,
				`4:29: error: unknown key "max" in pipelines.app.alarms.compare[0] (known keys: name, query, max_ratio, min_ratio)`,
			}},
		{"duplicate alarm names", alarmsFile("queries: {errors: up}", "compare: [{name: errors, query: up, max_ratio: 2}]"),
			[]string{`5:24: error: pipelines.app.alarms.compare[0].name: alarm name "errors" is already used at line 4; queries and compare entries need distinct names`}},
		{"queries list", alarmsFile("queries: [up]"),
			[]string{`4:16: error: pipelines.app.alarms.queries must be a mapping of alarm names to PromQL queries, like {fault-rate: 'sum(rate(errors_total{env="{{.Target}}"}[5m])) > 0'}, got a list`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, diags := parseYAML(t, tc.yaml)
			if got := lines(diags); !slices.Equal(got, tc.want) {
				t.Errorf("diagnostics of\n%s\ngot:\n  %s\nwant:\n  %s", tc.yaml, strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if diags.HasErrors() != (ps == nil) {
				t.Errorf("HasErrors=%v but %d pipelines", diags.HasErrors(), len(ps))
			}
		})
	}
}

func TestParseDatapointsTimeout(t *testing.T) {
	const head = "pipelines:\n  app:\n    alarms: {queries: {q: up}}\n    datapoints: 'sum(increase(r{env=\"{{.Target}}\"}[{{.Since}}]))'\n"
	for _, tc := range []struct {
		name    string
		yaml    string
		want    []string
		timeout time.Duration // of the first stage, when valid
	}{
		{"default: 4 bakes", head + "    stages: [{name: a, targets: [t], bake: 10m, min_datapoints: 100}]\n", nil, 40 * time.Minute},
		{"set", head + "    datapoints_timeout: 3h\n    stages: [{name: a, targets: [t], bake: 10m, min_datapoints: 100}]\n", nil, 3 * time.Hour},
		{"bake 0s without a timeout", head + "    stages: [{name: a, targets: [t], bake: 0s, min_datapoints: 100}]\n",
			[]string{`5:64: error: stage "a" waits for 100 data points but bakes 0s, so the default datapoints_timeout (4 × bake) is 0s and its bakes would fail at once: set a bake or the pipeline's datapoints_timeout`}, 0},
		{"bake 0s with a timeout", head + "    datapoints_timeout: 1h\n    stages: [{name: a, targets: [t], bake: 0s, min_datapoints: 100}]\n", nil, time.Hour},
		{"shorter than the bake", head + "    datapoints_timeout: 30m\n    stages: [{name: a, targets: [t], bake: 1h, min_datapoints: 100}]\n",
			[]string{`5:25: warning: datapoints_timeout 30m is shorter than stage "a"'s bake 1h: a bake that has not counted its 100 data points by then fails before its time is up`}, 30 * time.Minute},
		{"no stage counts", head + "    datapoints_timeout: 1h\n    stages: [{name: a, targets: [t], bake: 1h}]\n",
			[]string{`5:25: warning: datapoints_timeout has no effect: no stage of pipeline "app" waits for data points (datapoints: and a stage's min_datapoints)`}, time.Hour},
		{"zero", head + "    datapoints_timeout: 0s\n    stages: [{name: a, targets: [t], bake: 1h}]\n",
			[]string{`5:25: error: pipelines.app.datapoints_timeout must be longer than 0s`}, 0},
		{"datapoints field", "pipelines:\n  app:\n    alarms: {queries: {q: up}}\n    datapoints: 'sum(r{v=\"{{.Version}}\"})'\n    stages: [{name: a, targets: [t], bake: 1h}]\n",
			[]string{`4:17: error: pipelines.app.datapoints uses {{.Version}}; a query may only use {{.Target}}, {{.Stage}}, {{.SHA}}, {{.Since}} and {{.Variant}}`}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, diags := parseYAML(t, tc.yaml)
			if got := lines(diags); !slices.Equal(got, tc.want) {
				t.Errorf("diagnostics of\n%s\ngot:\n  %s\nwant:\n  %s", tc.yaml, strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if len(ps) == 1 && ps[0].DatapointsTimeoutFor(ps[0].Stages[0]) != tc.timeout {
				t.Errorf("timeout %v, want %v", ps[0].DatapointsTimeoutFor(ps[0].Stages[0]), tc.timeout)
			}
		})
	}
}

func TestParseOrgAlarms(t *testing.T) {
	a, diags := ParseOrgAlarms(testFile, mustOrgNode(t, "alarms:\n  match: {team: \"=~payments|checkout\", severity: page}\n  target_label: env\n  resolve_timeout: 2m\n"))
	if len(diags) != 0 || a == nil || len(a.Match) != 2 || a.TargetLabel != "env" || a.ResolveTimeout != 2*time.Minute || a.Interval != DefaultAlarmInterval {
		t.Fatalf("alarms %+v, diagnostics %v", a, diags)
	}
	if a, diags := ParseOrgAlarms(testFile, nil); a != nil || diags != nil {
		t.Fatalf("no section: %+v %v", a, diags)
	}
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"queries", "alarms:\n  match: {team: x}\n  queries: {q: up}\n  interval: 1m\n",
			[]string{
				`3:3: error: an organization's alarms only claim Alertmanager alerts for every pipeline (match, target_label, resolve_timeout); queries belongs to a pipeline's own alarms (pipelines.NAME.alarms.queries), where targets and stages are known`,
				`4:3: error: an organization's alarms only claim Alertmanager alerts for every pipeline (match, target_label, resolve_timeout); interval belongs to a pipeline's own alarms (pipelines.NAME.alarms.interval), where targets and stages are known`,
			}},
		{"unknown key", "alarms:\n  matches: {team: x}\n",
			[]string{`2:3: error: unknown key "matches" in alarms (known keys: match, target_label, resolve_timeout)`}},
		{"no match", "alarms:\n  target_label: env\n",
			[]string{`2:3: warning: alarms has no match, so it claims no alert`}},
		{"bad regex", "alarms:\n  match: {team: '=~('}\n",
			[]string{"2:17: error: alarms.match.team \"(\" is not a valid regular expression: label team: error parsing regexp: missing closing ): `^(?:()$`"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, diags := ParseOrgAlarms(testFile, mustOrgNode(t, tc.yaml))
			if got := lines(diags); !slices.Equal(got, tc.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if diags.HasErrors() != (a == nil) {
				t.Errorf("alarms %+v with errors %v", a, diags.HasErrors())
			}
		})
	}
}

// mustOrgNode is the raw alarms: section of an organization file, as
// config keeps it.
func mustOrgNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	f, diags := config.ParseOrg(testFile, []byte(src))
	if f == nil || f.Alarms == nil {
		t.Fatalf("config.ParseOrg kept no alarms: %v", diags)
	}
	return f.Alarms
}

func TestAdviseDetectionTime(t *testing.T) {
	const head = "pipelines:\n  app:\n    alarms:\n      interval: 1m\n      queries: {q: 'sum(rate(e{env=\"{{.Target}}\"}[10m])) > 0', s: 'max_over_time(x[1h:1m]) > 1', t: 'y[{{.Since}}]'}\n"
	_, diags := parseYAML(t, head+"    stages:\n      - {name: a, targets: [a], bake: 0s}\n      - {name: b, targets: [b], bake: 30m}\n      - {name: c, targets: [c], bake: 1h3m}\n      - {name: d, targets: [d], bake: 2h}\n")
	// b bakes less than 3 × 1m + 1h; c bakes exactly that, d more.
	want := []string{`8:39: warning: stage "b" bakes 30m, less than the alarms' worst-case detection time 1h3m (interval 1m × error_limit 3 + the longest query range 1h): a bad step could finish its bake before an alarm fires`}
	if got := lines(diags); !slices.Equal(got, want) {
		t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for s, want := range map[string]time.Duration{"up": 0, "x[5m] + y[1h30m]": 90 * time.Minute, "x[2d]": 48 * time.Hour, "x[99999999y]": 0, "x[": 0, "x[5q]": 0, "x[500ms]": 500 * time.Millisecond} {
		if got := longestRange(s); got != want {
			t.Errorf("longestRange(%q) = %v, want %v", s, got, want)
		}
	}
}
