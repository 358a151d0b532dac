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
