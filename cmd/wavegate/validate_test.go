package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/pipeline"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidate(t *testing.T) {
	good := writeFile(t, "good.yml", "pipelines:\n  app:\n    alarms: {queries: {q: up}}\n    stages:\n      - {name: a, targets: [t], bake: 0s}\n      - {name: wave-1, targets: [p], bake: 1h, onebox: true}\n")
	warned := writeFile(t, "warned.yml", "pipelines:\n  app:\n    stages: [{name: a, targets: [t], bake: 0s}]\n")
	bad := writeFile(t, "bad.yml", "review:\n  approvals: 1\npipelines:\n  app:\n    alarms: {queries: {q: up}}\n    stages:\n      - {name: a, targets: [t], bake: 1d}\n      - {name: b, targets: [t], bake: 0s, parallel: 5}\n")
	badConfig := writeFile(t, "bad-config.yml", "review:\n  aprovals: 2\npipelines:\n  app: {stages: []}\n")
	orgFile := writeFile(t, "org.yml", "policies:\n  onebox: {mode: warn}\n")
	orgAlarms := writeFile(t, "org-alarms.yml", "alarms:\n  match: {team: \"=~(payments\"}\n  queries: {q: up}\n")
	orgWindows := writeFile(t, "org-windows.yml", "windows:\n  timezone: America/Los_Angeles\n  freeze: [{from: 2027-01-04, to: 2026-12-20, reason: Holiday freeze}]\n")
	syntax := writeFile(t, "syntax.yml", "pipelines:\n  app:\n    branch: a: b\n")
	commands := writeFile(t, "commands.yml", commandPipelines)
	// config's warning (policies, line 3) comes after pipeline's (line 2).
	mixed := writeFile(t, "mixed.yml", "pipelines:\n  app: {stages: [{name: a, targets: [t], bake: 0s}]}\npolicies:\n  onebox: {mode: warn}\n")
	design, err := filepath.Abs("../../pipeline/testdata/design-example.yml")
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // the whole of stdout, with FILE standing for the file's path
		wantErr  string // contained in stderr
	}{
		{"good", []string{"validate", good}, 0, "FILE: ok (1 pipeline, 2 stages)\n", ""},
		{"warnings alone pass", []string{"validate", warned}, 0,
			"FILE:2:3: warning: pipeline \"app\" has no alarms: nothing watches its deploys and bakes, so nothing rolls back by itself\n" +
				"FILE: ok (1 pipeline, 1 stage)\n", ""},
		{"errors, with warnings", []string{"validate", bad}, 1,
			"FILE:7:39: error: pipelines.app.stages[0].bake: durations have no days; use hours: 24h for 1d\n" +
				"FILE:8:29: error: target \"t\" is already in stage \"a\" of pipeline \"app\" (line 7); a target belongs to one stage of one pipeline\n" +
				"FILE:8:53: warning: stage \"b\" has parallel: 5 but only 1 target, so at most 1 deploy at once\n", ""},
		{"config errors", []string{"validate", badConfig}, 1,
			"FILE:2:3: error: unknown key \"aprovals\" in review (did you mean \"approvals\"?)\n", ""},
		{"warnings of both parsers, by line", []string{"validate", mixed}, 0,
			"FILE:2:3: warning: pipeline \"app\" has no alarms: nothing watches its deploys and bakes, so nothing rolls back by itself\n" +
				"FILE:3:1: warning: policies are read only from the organization's wavegate.yml (in <owner>/.github); ignored here\n" +
				"FILE: ok (1 pipeline, 1 stage)\n", ""},
		{"organization file", []string{"validate", "--org", orgFile}, 0, "FILE: ok (0 pipelines, 0 stages)\n", ""},
		{"organization windows", []string{"validate", "--org", orgWindows}, 1,
			"FILE:3:35: error: windows.freeze[0] ends (to: 2026-12-20) before it starts (from: 2027-01-04); a date in to is included, so from and to may be the same day\n", ""},
		{"organization alarms", []string{"validate", "--org", orgAlarms}, 1,
			"FILE:2:17: error: alarms.match.team \"(payments\" is not a valid regular expression: label team: error parsing regexp: missing closing ): `^(?:(payments)$`\n" +
				"FILE:3:3: error: an organization's alarms only claim Alertmanager alerts for every pipeline (match, target_label, resolve_timeout); queries belongs to a pipeline's own alarms (pipelines.NAME.alarms.queries), where targets and stages are known\n", ""},
		{"design example", []string{"validate", design}, 0, "", ""},
		{"missing file", []string{"validate", filepath.Join(t.TempDir(), "nope.yml")}, 2, "", "no such file or directory"},
		{"a directory", []string{"validate", t.TempDir()}, 2, "", "is a directory"},
		{"two files", []string{"validate", good, bad}, 2, "", "one file at a time"},
		{"bad flag", []string{"validate", "--strict", good}, 2, "", "flag provided but not defined: -strict"},
		{"help", []string{"validate", "-h"}, 0, "", "Usage: wavegate validate [--org] [--server-config FILE] [FILE]"},
		{"syntax error with a column", []string{"validate", syntax}, 1, "FILE:3:14: error: invalid YAML: mapping values are not allowed in this context\n", ""},
		{"deployer names taken on trust", []string{"validate", commands}, 0,
			"FILE: note: deployer names \"blue\" (4:25), \"green\" (8:25) were not checked against Wavegate's server config; give it with --server-config to check them\n" +
				"FILE: ok (2 pipelines, 2 stages)\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(tc.args, func(string) string { return "" }, &out, &errOut)
			file := tc.args[len(tc.args)-1]
			want := strings.ReplaceAll(tc.wantOut, "FILE", file)
			outOK := out.String() == want
			if tc.name == "design example" {
				outOK = strings.HasSuffix(out.String(), file+": ok (1 pipeline, 7 stages)\n")
			}
			if code != tc.wantCode || !outOK || !strings.Contains(errOut.String(), tc.wantErr) {
				t.Errorf("exit %d, stdout:\n%s\nstderr: %q\nwant exit %d, stdout:\n%s\nstderr ∋ %q",
					code, out.String(), errOut.String(), tc.wantCode, want, tc.wantErr)
			}
		})
	}
}

// Without FILE, validate reads .github/wavegate.yml from the working
// directory, as in a checkout.
func TestValidateDefaultFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".github", "wavegate.yml"), []byte("review: {approvals: 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var out, errOut strings.Builder
	if code := run([]string{"validate"}, func(string) string { return "" }, &out, &errOut); code != 0 ||
		out.String() != ".github/wavegate.yml: ok (0 pipelines, 0 stages)\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

func TestSchemaCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"schema"}, func(string) string { return "" }, &out, &errOut); code != 0 || !bytes.Equal(out.Bytes(), pipeline.Schema()) {
		t.Errorf("exit %d, stderr %q; stdout is not pipeline.Schema()", code, errOut.String())
	}
	out.Reset()
	if code := run([]string{"schema", "extra"}, func(string) string { return "" }, &out, &errOut); code != 2 || out.Len() != 0 {
		t.Errorf("schema with an argument: exit %d, stdout %q", code, out.String())
	}
}

// commandPipelines names the command deployers blue (line 4) and green
// (line 8).
const commandPipelines = `pipelines:
  app:
    alarms: {queries: {q: up}}
    deployer: {command: blue, inputs: {CLUSTER: eu}}
    stages: [{name: a, targets: [a], bake: 0s}]
  infra:
    alarms: {queries: {q: up}}
    deployer: {command: green}
    stages: [{name: b, targets: [b], bake: 0s}]
`

// With --server-config, the names are checked against the deployers the
// server defines, which are checked as serve checks them at start.
func TestValidateAgainstServerConfig(t *testing.T) {
	repo := writeFile(t, "wavegate.yml", commandPipelines)
	// As root, a deployer needs an unprivileged user:; otherwise serve
	// warns that deploys share its user.
	user, warning := "", ""
	if os.Geteuid() == 0 {
		user = "    user: nobody\n"
	}
	good := writeFile(t, "server.yml", "listen: :8080\ndeployers:\n  blue:\n    command: [/bin/true]\n"+user+"  green:\n    command: [/bin/true]\n"+user)
	if os.Geteuid() != 0 {
		warning = good + ": warning: deploy commands run as Wavegate's own user"
	}
	onlyBlue := writeFile(t, "blue.yml", "deployers:\n  blue:\n    command: [/bin/true]\n"+user)
	broken := writeFile(t, "broken.yml", "deployers:\n  blue:\n    comand: [/bin/true]\n")
	for _, tc := range []struct {
		name     string
		server   string
		wantCode int
		want     []string // lines of stdout, each a prefix, in order
	}{
		{"every name defined", good, 0, []string{warning, repo + ": ok (2 pipelines, 2 stages)"}},
		{"a name not defined", onlyBlue, 1, []string{strings.ReplaceAll(warning, good, onlyBlue),
			repo + `:8:25: error: pipelines.infra.deployer.command: Wavegate's server defines no deployer "green" (it defines blue); its operator adds one under deployers: in Wavegate's config file`}},
		{"a broken server config", broken, 1, []string{broken + `:3:5: error: unknown key "comand" in deployers.blue (did you mean "command"?)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run([]string{"validate", "--server-config", tc.server, repo}, func(string) string { return "" }, &out, &errOut)
			var want []string
			for _, w := range tc.want {
				if w != "" {
					want = append(want, w)
				}
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			ok := code == tc.wantCode && len(lines) == len(want)
			for i := 0; ok && i < len(want); i++ {
				ok = strings.HasPrefix(lines[i], want[i])
			}
			if !ok {
				t.Errorf("exit %d, stdout:\n%s\nstderr: %s\nwant exit %d, stdout lines starting:\n%s", code, out.String(), errOut.String(), tc.wantCode, strings.Join(want, "\n"))
			}
		})
	}
	var out, errOut strings.Builder
	if code := run([]string{"validate", "--server-config", filepath.Join(t.TempDir(), "nope.yml"), repo}, func(string) string { return "" }, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "no such file or directory") {
		t.Errorf("a missing server config: exit %d, stderr %q; want exit 2", code, errOut.String())
	}
}
