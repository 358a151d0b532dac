package pipeline

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

func readDesignExample(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/design-example.yml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The example file of DESIGN.md ("Configuration as code") is the contract:
// it must parse without errors into exactly what it says.
func TestDesignExample(t *testing.T) {
	ps, diags := parseYAML(t, string(readDesignExample(t)))
	// wave-3 is production (it follows the approval) with neither one-box
	// nor an hour's bake: the example shows the warnings as well.
	wantDiags := []string{
		`40:9: warning: production stage "wave-3" does not start each target with a one-box deploy (onebox: true) (production because it follows approval stage "release-approval"; set production: false if it is not)`,
		`40:107: warning: production stage "wave-3" bakes 30m, less than 1h (production because it follows approval stage "release-approval"; set production: false if it is not)`,
	}
	if got := lines(diags); !slices.Equal(got, wantDiags) {
		t.Fatalf("diagnostics:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(wantDiags, "\n  "))
	}
	if len(ps) != 1 {
		t.Fatalf("got %d pipelines, want 1", len(ps))
	}
	p := ps[0]
	if p.Name != "app" || p.Branch != "main" || !slices.Equal(p.Paths, []string{"**", "!infra/**"}) ||
		p.Deployer.Kind != DeployerGitHub || p.DeployTimeout != 30*time.Minute || p.SlackChannel != "#deploys-api" ||
		p.Overrides.Permission != checks.PermissionMaintain {
		t.Errorf("pipeline settings = %+v", p)
	}
	if !strings.HasPrefix(p.Datapoints, `sum(increase(http_requests_total{env="{{.Target}}"`) {
		t.Errorf("datapoints = %q", p.Datapoints)
	}
	if w := p.Windows; w == nil || w.TimeZone != "America/Los_Angeles" || len(w.Allow) != 2 ||
		w.Allow[0].String() != "Mon-Thu 09:00-17:00" || w.Allow[1].String() != "Fri 09:00-12:00" ||
		len(w.Freezes) != 1 || w.Freezes[0].Reason != "Holiday freeze" || w.Stages != nil {
		t.Errorf("windows = %+v", p.Windows)
	}
	if a := p.Alarms; a == nil || len(a.Match) != 1 || a.Match[0].Name != "service" || a.Match[0].Value != "api" || a.Match[0].Regex ||
		a.TargetLabel != "env" || a.Interval != 15*time.Second || a.ErrorLimit != DefaultErrorLimit || a.ResolveTimeout != DefaultResolveTimeout ||
		len(a.Queries) != 1 || a.Queries[0].Name != "fault-rate" || !strings.HasPrefix(a.Queries[0].Query, `sum(rate(http_requests_total{env="{{.Target}}",code=~"5.."}`) ||
		len(a.Compare) != 1 || a.Compare[0].Name != "compare[0]" || a.Compare[0].MinRatio != 0.5 || a.Compare[0].MaxRatio != 0 ||
		a.Compare[0].Query != `sum(rate(http_requests_total{env="{{.Target}}"}[5m]))` {
		t.Errorf("alarms = %+v", p.Alarms)
	}
	if p.At("alarms.match.service") != (Pos{24, 24}) || p.At("alarms.queries.fault-rate") != (Pos{30, 21}) || p.At("alarms.compare[0]") != (Pos{28, 11}) {
		t.Errorf("alarms positions: match.service %v, queries.fault-rate %v, compare[0] %v",
			p.At("alarms.match.service"), p.At("alarms.queries.fault-rate"), p.At("alarms.compare[0]"))
	}
	if p.DatapointsTimeout != 0 || p.DatapointsTimeoutFor(p.Stages[4]) != 4*time.Hour || !p.CountsDatapoints(p.Stages[4]) || p.CountsDatapoints(p.Stages[5]) {
		t.Errorf("datapoints_timeout %v, for wave-1 %v", p.DatapointsTimeout, p.DatapointsTimeoutFor(p.Stages[4]))
	}
	if p.Pos != (Pos{13, 3}) || p.At("deploy_timeout") != (Pos{17, 21}) || p.At("paths[1]") != (Pos{15, 19}) {
		t.Errorf("pipeline positions: %v, deploy_timeout %v, paths[1] %v", p.Pos, p.At("deploy_timeout"), p.At("paths[1]"))
	}

	type want struct {
		name       string
		targets    []string
		parallel   int
		onebox     bool
		bake       time.Duration
		minDP      int
		production bool
		approval   bool
	}
	wantStages := []want{
		{"alpha", []string{"alpha"}, 1, false, 10 * time.Minute, 0, false, false},
		{"beta", []string{"beta"}, 1, false, 10 * time.Minute, 0, false, false},
		{"gamma", []string{"gamma-us-east-1", "gamma-eu-west-1"}, 2, true, 30 * time.Minute, 0, false, false},
		{"release-approval", nil, 1, false, 0, 0, false, true},
		{"wave-1", []string{"prod-us-west-2a", "prod-us-west-2b", "prod-us-west-2c"}, 1, true, time.Hour, 3000, true, false},
		{"wave-2", []string{"prod-us-east-1a", "prod-us-east-1b", "prod-us-east-1c"}, 1, true, time.Hour, 0, true, false},
		{"wave-3", []string{"prod-eu-west-1", "prod-ap-southeast-1", "prod-sa-east-1"}, 3, false, 30 * time.Minute, 0, true, false},
	}
	if len(p.Stages) != len(wantStages) {
		t.Fatalf("got %d stages, want %d", len(p.Stages), len(wantStages))
	}
	for i, w := range wantStages {
		s := p.Stages[i]
		got := want{s.Name, s.Targets, s.Parallel, s.OneBox, s.Bake, s.MinDatapoints, s.Production, s.IsApproval()}
		if got.name != w.name || !slices.Equal(got.targets, w.targets) || got.parallel != w.parallel || got.onebox != w.onebox ||
			got.bake != w.bake || got.minDP != w.minDP || got.production != w.production || got.approval != w.approval {
			t.Errorf("stage %d = %+v\nwant      %+v", i, got, w)
		}
	}
	a := p.Stages[3].Approval
	if a == nil || !slices.Equal(a.Approvers, []string{"@acme/release-managers"}) || a.Timeout != 168*time.Hour {
		t.Errorf("approval = %+v", a)
	}
	w1 := p.Stages[4]
	if w1.Pos != (Pos{38, 9}) || w1.At("bake") != (Pos{38, 106}) || w1.At("targets[2]") != (Pos{38, 68}) || w1.At("parallel") != w1.Pos {
		t.Errorf("wave-1 positions: stage %v, bake %v, targets[2] %v, parallel (unset) %v",
			w1.Pos, w1.At("bake"), w1.At("targets[2]"), w1.At("parallel"))
	}
	if p.Stages[3].At("approval.timeout") != (Pos{37, 93}) {
		t.Errorf("approval.timeout at %v", p.Stages[3].At("approval.timeout"))
	}
}

func TestParseDefaults(t *testing.T) {
	ps, diags := parseYAML(t, "pipelines:\n  app:\n    stages:\n      - {name: a, targets: [t], bake: 0s}\n      - {name: r, approval: {approvers: ['@alice', '@acme/sre', bob]}}\n      - {name: b, targets: [u], bake: 1h, onebox: true}\n")
	if diags.HasErrors() || len(ps) != 1 {
		t.Fatalf("diagnostics: %v", diags)
	}
	p := ps[0]
	if p.Branch != "" || !slices.Equal(p.Paths, []string{"**"}) || p.Deployer.Kind != DeployerGitHub || p.Deployer.Name != "" || p.Deployer.Inputs != nil ||
		p.DeployTimeout != DefaultDeployTimeout || p.Overrides.Permission != checks.PermissionMaintain ||
		p.Windows != nil || p.Alarms != nil || p.Datapoints != "" || p.SlackChannel != "" {
		t.Errorf("pipeline defaults = %+v", p)
	}
	a, r, b := p.Stages[0], p.Stages[1], p.Stages[2]
	if a.Parallel != 1 || a.OneBox || a.Bake != 0 || a.MinDatapoints != 0 || a.Production || a.IsApproval() {
		t.Errorf("stage defaults = %+v", a)
	}
	if !r.IsApproval() || r.Approval.Timeout != 7*24*time.Hour || r.Approval.AllowAuthors || r.Production {
		t.Errorf("approval stage = %+v", r)
	}
	// A login is kept without its "@"; a team keeps it.
	if !slices.Equal(r.Approval.Approvers, []string{"alice", "@acme/sre", "bob"}) {
		t.Errorf("approvers = %q", r.Approval.Approvers)
	}
	if !b.Production {
		t.Error("a stage after an approval stage must default to production")
	}
}

func TestParseProductionInference(t *testing.T) {
	ps, diags := parseYAML(t, stages(
		"{name: alpha, targets: [a], bake: 0s}",
		"{name: wave-0, targets: [b], bake: 1h, onebox: true}",
		"{name: production, targets: [c], bake: 1h, onebox: true}",
		"{name: gamma, targets: [d], bake: 0s, production: true}",
		"{name: canary, targets: [e], bake: 0s}",
		"{name: ok, approval: {}}",
		"{name: eu, targets: [f], bake: 1h, onebox: true}",
		"{name: dr, targets: [g], bake: 0s, production: false}",
	))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got []bool
	for _, s := range ps[0].Stages {
		got = append(got, s.Production)
	}
	want := []bool{false, true, true, true, false, false, true, false}
	if !slices.Equal(got, want) {
		t.Errorf("production = %v, want %v", got, want)
	}
}

func TestParseDeployerForms(t *testing.T) {
	for _, tc := range []struct {
		name, deployer string
		want           Deployer
	}{
		{"default", "", Deployer{Kind: DeployerGitHub}},
		{"github", "    deployer: github\n", Deployer{Kind: DeployerGitHub}},
		{"command", "    deployer: {command: blue}\n", Deployer{Kind: DeployerCommand, Name: "blue", Pos: Pos{4, 25}}},
		{"command block", "    deployer:\n      command: k8s_prod-2\n",
			Deployer{Kind: DeployerCommand, Name: "k8s_prod-2", Pos: Pos{5, 16}}},
		{"inputs", "    deployer: {command: blue, inputs: {CLUSTER: blue, FLAGS: \"--fast --dry-run\", R2_D2: '', EMPTY_OK: \"\"}}\n",
			Deployer{Kind: DeployerCommand, Name: "blue", Pos: Pos{4, 25},
				Inputs: map[string]string{"CLUSTER": "blue", "FLAGS": "--fast --dry-run", "R2_D2": "", "EMPTY_OK": ""}}},
		{"inputs null", "    deployer: {command: blue, inputs: }\n", Deployer{Kind: DeployerCommand, Name: "blue", Pos: Pos{4, 25}}},
		{"workflow", "    deployer: {workflow: deploy.yaml}\n", Deployer{Kind: DeployerWorkflow, Workflow: "deploy.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, diags := parseYAML(t, withKeys(tc.deployer))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if d := ps[0].Deployer; !reflect.DeepEqual(d, tc.want) {
				t.Errorf("deployer = %+v, want %+v", d, tc.want)
			}
		})
	}
}

// An invalid file never half-applies: one bad pipeline voids them all.
func TestParseAllOrNothing(t *testing.T) {
	src := "pipelines:\n  good:\n    alarms: {queries: {q: up}}\n    stages: [{name: a, targets: [t], bake: 0s}]\n  bad:\n    alarms: {queries: {q: up}}\n    stages: [{name: a, targets: [u], bake: 1d}]\n"
	ps, diags := parseYAML(t, src)
	if ps != nil || !diags.HasErrors() {
		t.Fatalf("pipelines = %+v, diagnostics %v; want none and an error", ps, diags)
	}
}

func TestParseNoPipelines(t *testing.T) {
	for name, node := range map[string]*yaml.Node{
		"nil":           nil,
		"null":          {Kind: yaml.ScalarNode, Tag: "!!null", Value: ""},
		"empty mapping": {Kind: yaml.MappingNode, Tag: "!!map"},
	} {
		t.Run(name, func(t *testing.T) {
			ps, diags := Parse(testFile, node)
			if len(ps) != 0 || len(diags) != 0 {
				t.Errorf("got %v, %v; want nothing", ps, diags)
			}
		})
	}
	// config guarantees a mapping, but Parse does not rely on it.
	ps, diags := Parse(testFile, &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: 3, Column: 4})
	want := config.Diagnostics{{File: testFile, Line: 3, Column: 4, Message: "pipelines must be a mapping of pipeline names to pipelines, got a list"}}
	if ps != nil || !slices.Equal(diags, want) {
		t.Errorf("got %v, %v; want %v", ps, diags, want)
	}
}

func TestParseOrderAndCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("pipelines:\n")
	for _, name := range []string{"zeta", "alpha", "mid"} {
		b.WriteString("  " + name + ":\n    alarms: {queries: {q: up}}\n    stages: [{name: s, targets: [" + name + "], bake: 0s}]\n")
	}
	ps, diags := parseYAML(t, b.String())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"zeta", "alpha", "mid"}) {
		t.Errorf("pipelines in order %q, want the file's", names)
	}

	b.Reset()
	b.WriteString(alarmed)
	for range 150 {
		b.WriteString("      - {name: a, targets: [t], bake: 1d}\n")
	}
	// 150 bad bakes, 149 duplicate names and 149 duplicate targets.
	_, diags = parseYAML(t, b.String())
	if len(diags) != yamlwalk.MaxDiagnostics+1 || diags[yamlwalk.MaxDiagnostics].Message != "too many problems; 348 more not shown" {
		t.Errorf("got %d diagnostics, last %v", len(diags), diags[len(diags)-1])
	}
}
