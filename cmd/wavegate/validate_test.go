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
	good := writeFile(t, "good.yml", "pipelines:\n  app:\n    alarms: {q: 1}\n    stages:\n      - {name: a, targets: [t], bake: 0s}\n      - {name: wave-1, targets: [p], bake: 1h, onebox: true}\n")
	warned := writeFile(t, "warned.yml", "pipelines:\n  app:\n    stages: [{name: a, targets: [t], bake: 0s}]\n")
	bad := writeFile(t, "bad.yml", "review:\n  approvals: 1\npipelines:\n  app:\n    alarms: {q: 1}\n    stages:\n      - {name: a, targets: [t], bake: 1d}\n      - {name: b, targets: [t], bake: 0s, parallel: 5}\n")
	badConfig := writeFile(t, "bad-config.yml", "review:\n  aprovals: 2\npipelines:\n  app: {stages: []}\n")
	orgFile := writeFile(t, "org.yml", "policies:\n  onebox: {mode: warn}\n")
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
		{"design example", []string{"validate", design}, 0, "", ""},
		{"missing file", []string{"validate", filepath.Join(t.TempDir(), "nope.yml")}, 2, "", "no such file or directory"},
		{"a directory", []string{"validate", t.TempDir()}, 2, "", "is a directory"},
		{"two files", []string{"validate", good, bad}, 2, "", "one file at a time"},
		{"bad flag", []string{"validate", "--strict", good}, 2, "", "flag provided but not defined: -strict"},
		{"help", []string{"validate", "-h"}, 0, "", "Usage: wavegate validate [--org] [FILE]"},
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
