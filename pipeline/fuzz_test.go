package pipeline

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/config/yamlwalk"
)

// FuzzParse feeds YAML through config.Parse and Parse, as the App does, and
// checks that nothing panics and that what comes back honours the contract.
// Its seeds run with every `go test`.
func FuzzParse(f *testing.F) {
	f.Add(readDesignExample(f))
	for _, seed := range []string{
		"",
		"pipelines:\n",
		"pipelines: {}\n",
		"pipelines:\n  app:\n",
		"pipelines:\n  app: [a]\n",
		stages("{name: a, targets: [t], bake: 0s}"),
		stages("{name: r, approval: }", "{name: a, targets: [t], bake: 0s}"),
		stages("{name: r, approval: {approvers: ['@a/b', c], timeout: 1h}, targets: [x]}"),
		stages("&s {name: a, targets: &t [t], bake: 0s}", "*s", "{name: b, targets: *t, bake: *x}"),
		stages("{name: a, targets: [t, T, '', /x], bake: 1d, parallel: 0, min_datapoints: -1}"),
		stages("{name: a, targets: [t], bake: 99999999999999999999h}"),
		withKeys("    deployer: {command: ./d --x, workflow: 1}\n"),
		withKeys("    deployer: {command: [\"\\0\"]}\n"),
		withKeys("    deployer: {command: blue, inputs: {A: x, b: 1, C: [x], D: \"\\0\"}}\n"),
		withKeys("    deployer: {workflow: d.yml, inputs: {A: x}}\n"),
		withKeys("    deployer: {command: blue, inputs: {CLUSTER: blue, FLAGS: --fast}}\n"),
		withKeys("    datapoints: '{{'\n    paths: ['!', '**/']\n    branch: refs/heads/\n"),
		withKeys("    windows: &w {a: 1}\n    alarms: *w\n    overrides: ~\n"),
		windowsFile("timezone: Europe/Berlin", `allow: ["Mon-Thu 09:00-17:00", "Sat 22:00-02:00", daily]`,
			`freeze: [{from: 2026-12-20, to: "2027-01-04 12:00", reason: x}, {from: 2026-03-29T01:00:00+01:00, to: 2026-03-29, reason: y}]`,
			"stages: [alpha, wave-1]"),
		windowsFile("timezone: [x]", "allow: [1, Mon 24:00-01:00]", "freeze: [{from: 1, to: ~, reason: [x]}, x]", "stages: [ok, nope, ~]"),
		alarmsFile(`match: {service: api, env: "=~prod-.*"}`, "target_label: env", "interval: 15s", "error_limit: 3", "resolve_timeout: 5m",
			`queries: {fault-rate: 'sum(rate(e{env="{{.Target}}"}[5m])) > 0.01'}`,
			`compare: [{name: traffic, query: 'sum(rate(r{env="{{.Target}}",v="{{.Variant}}"}[5m]))', min_ratio: 0.5, max_ratio: 3}]`),
		alarmsFile(`match: {0x: "=~(", s: "!=a", c: 1, "": x}`, "target_label: [env]", "interval: 1ms", "error_limit: -1",
			`queries: {Bad: '{{.Env}}', ok: '{{range 9}}{{end}}', d: '{{define "x"}}{{end}}', e: ""}`,
			`compare: [{query: up}, {max_ratio: .nan, min_ratio: .inf}, {name: ok, query: '{{.}}', max_ratio: 1}, x]`),
		alarmsFile("match: &m {a: b}", "queries: *m", "compare: ~", "matchh: 1"),
		"pipelines:\n  app:\n    alarms: {queries: {q: up}}\n    datapoints: 'sum({{.SHA}})'\n    datapoints_timeout: 1h\n    stages: [{name: a, targets: [t], bake: 0s, min_datapoints: 10}]\n",
		"alarms:\n  match: {team: x}\n  queries: {q: up}\n  resolve_timeout: 1s\n",
		"pipelines:\n  a: &p {stages: [{name: a, targets: [t], bake: 0s}]}\n  b: *p\n",
		"pipelines:\n  " + strings.Repeat("x", 70) + ": {stages: [{name: " + strings.Repeat("é", 70) + "}]}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, _ := config.Parse(testFile, data)
		if file == nil {
			return
		}
		ps, diags := Parse(testFile, file.Pipelines)
		if diags.HasErrors() && ps != nil {
			t.Fatalf("pipelines returned with errors: %v", diags)
		}
		if len(diags) > yamlwalk.MaxDiagnostics+1 {
			t.Fatalf("%d diagnostics", len(diags))
		}
		positioned := diags
		if len(diags) == yamlwalk.MaxDiagnostics+1 {
			positioned = diags[:yamlwalk.MaxDiagnostics]
		}
		if !slices.IsSortedFunc(positioned, func(a, b config.Diagnostic) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
		}) {
			t.Fatalf("diagnostics out of order: %v", diags)
		}
		for _, d := range diags {
			if d.File != testFile || d.Message == "" || d.Line < 0 || d.Column < 0 {
				t.Fatalf("malformed diagnostic %#v", d)
			}
		}
		checkInvariants(t, ps)
	})
}

// FuzzParseOrgAlarms feeds an organization file's alarms: through
// config.ParseOrg and ParseOrgAlarms.
func FuzzParseOrgAlarms(f *testing.F) {
	for _, seed := range []string{
		"alarms:\n  match: {team: \"=~payments|checkout\", severity: page}\n  target_label: env\n  resolve_timeout: 2m\n",
		"alarms:\n  match: {team: '=~('}\n  queries: {q: up}\n  compare: []\n  interval: 1s\n  nope: 1\n",
		"alarms: [x]\n",
		"alarms:\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, _ := config.ParseOrg(testFile, data)
		if file == nil {
			return
		}
		a, diags := ParseOrgAlarms(testFile, file.Alarms)
		if diags.HasErrors() && a != nil {
			t.Fatalf("alarms returned with errors: %v", diags)
		}
		if a != nil && (len(a.Queries) > 0 || len(a.Compare) > 0 || a.Interval != DefaultAlarmInterval || a.ErrorLimit != DefaultErrorLimit) {
			t.Fatalf("organization alarms with pipeline keys: %+v", a)
		}
		checkAlarms(t, a)
	})
}

// checkInvariants holds for every pipeline Parse returns.
func checkInvariants(t *testing.T, ps []Pipeline) {
	t.Helper()
	p := compilePatterns()
	inputKey := regexp.MustCompile(inputKeyPattern)
	targets := map[string]bool{}
	for _, pl := range ps {
		if !p.validName(pl.Name) || len(pl.Stages) == 0 || len(pl.Paths) == 0 || pl.DeployTimeout <= 0 {
			t.Fatalf("invalid pipeline %+v", pl)
		}
		for _, g := range pl.Paths {
			if checks.ValidateGlob(g) != nil {
				t.Fatalf("invalid path %q", g)
			}
		}
		if d := pl.Deployer; d.Kind == DeployerCommand && !p.validName(d.Name) || d.Kind != DeployerCommand && (d.Name != "" || d.Inputs != nil) {
			t.Fatalf("invalid deployer %+v", d)
		}
		for k, v := range pl.Deployer.Inputs {
			if !inputKey.MatchString(k) || strings.ContainsRune(v, 0) || utf8.RuneCountInString(v) > maxInputLen {
				t.Fatalf("invalid input %q=%q", k, v)
			}
		}
		checkAlarms(t, pl.Alarms)
		if pl.Datapoints != "" && CheckQueryTemplate(pl.Datapoints) != nil || pl.DatapointsTimeout < 0 {
			t.Fatalf("invalid datapoints %q, timeout %v", pl.Datapoints, pl.DatapointsTimeout)
		}
		names := map[string]bool{}
		for _, s := range pl.Stages {
			if !p.validName(s.Name) || names[s.Name] || s.Bake < 0 || s.MinDatapoints < 0 {
				t.Fatalf("invalid stage %+v", s)
			}
			names[s.Name] = true
			if s.IsApproval() {
				if len(s.Targets) != 0 || s.OneBox || s.Production || s.Approval.Timeout <= 0 {
					t.Fatalf("invalid approval stage %+v", s)
				}
				continue
			}
			if len(s.Targets) == 0 || s.Parallel < 1 {
				t.Fatalf("invalid deploying stage %+v", s)
			}
			for _, tg := range s.Targets {
				key := strings.ToLower(tg)
				if checkTarget(tg) != nil || targets[key] {
					t.Fatalf("invalid or repeated target %q", tg)
				}
				targets[key] = true
			}
		}
	}
}

// checkAlarms holds for every alarms: section a parse returns.
func checkAlarms(t *testing.T, a *Alarms) {
	t.Helper()
	if a == nil {
		return
	}
	label := regexp.MustCompile(labelPattern)
	if !label.MatchString(a.TargetLabel) || a.Interval < minAlarmInterval || a.ErrorLimit < 1 || a.ResolveTimeout <= 0 {
		t.Fatalf("invalid alarms %+v", a)
	}
	for _, m := range a.Match {
		if !label.MatchString(m.Name) || m.Regex && m.re == nil {
			t.Fatalf("invalid matcher %+v", m)
		}
	}
	for _, q := range a.Queries {
		if CheckQueryTemplate(q.Query) != nil || q.Name == "" {
			t.Fatalf("invalid query %+v", q)
		}
	}
	for _, c := range a.Compare {
		if CheckQueryTemplate(c.Query) != nil || c.MaxRatio == 0 && c.MinRatio == 0 || c.MaxRatio != 0 && c.MaxRatio <= 1 || c.MinRatio < 0 || c.MinRatio >= 1 {
			t.Fatalf("invalid compare %+v", c)
		}
	}
}
