package config

import (
	"cmp"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/config/yamlwalk"
)

// FuzzParse checks that no input makes the parser panic and that what it
// returns always honours its contract. Its seeds run with every `go test`.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("testdata/design-example.yml")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(example),
		"",
		"# only a comment\n",
		"---\n",
		"\x00\xff\xfe garbage \x01",
		"}{][:,&*!|>'\"%@`",
		"review:\n\tapprovals: 1\n",
		strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
		strings.Repeat("[", 20000),
		nestedMappings(300),
		"pipelines:\n  a: &a {x: 1}\n  b: *a\nreview:\n  checklist: &c [one, two]\n  checklist_skip_paths: *c\n",
		"pipelines: &p\n  app: [*p]\n",
		"review: *undefined\n",
		"pipelines:\n  l0: &l0 [x, x, x, x, x, x, x, x, x]\n  l1: &l1 [*l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0]\n  l2: &l2 [*l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1]\n  l3: [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]\n",
		"review: {}\n---\nreview: {}\n",
		"review:\n  <<: {approvals: 1}\n",
		"? [a]\n: b\n*x : 1\n",
		"review:\n  approvals: 0x7fffffffffffffffffff\n  checklist: [\"\", \" \", |\n    a\n    b\n]\n",
		"policies: {a: 1}\nreview: {approver_permission: Admin, stale_approvals: !!binary aGk=}\n",
		"%YAML 1.1\n%YAML 1.1\n---\na: 1\n",
		"review:\r\n  approvals: 2\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, diags := Parse(repoFile, data)
		org, orgDiags := ParseOrg(orgFile, data)

		if diags.HasErrors() != (file == nil) || orgDiags.HasErrors() != (org == nil) {
			t.Fatalf("File must be nil exactly when there are errors: %v %v", file, diags)
		}
		if diags.HasErrors() != orgDiags.HasErrors() {
			t.Fatalf("repository and organization parses disagree on errors:\n%v\n%v", diags, orgDiags)
		}
		if len(diags) > yamlwalk.MaxDiagnostics+1 {
			t.Fatalf("%d diagnostics", len(diags))
		}
		positioned := diags
		if len(diags) == yamlwalk.MaxDiagnostics+1 {
			positioned = diags[:yamlwalk.MaxDiagnostics]
		}
		if !slices.IsSortedFunc(positioned, func(a, b Diagnostic) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
		}) {
			t.Fatalf("diagnostics out of order: %v", diags)
		}
		for _, d := range diags {
			if d.File != repoFile || d.Message == "" || d.Line < 0 || d.Column < 0 {
				t.Fatalf("malformed diagnostic %#v", d)
			}
		}
		if file == nil {
			return
		}
		if file.Policies != nil || file.Windows != nil || file.Alarms != nil {
			t.Fatal("a repository file kept policies or top-level windows or alarms")
		}
		c := Merge(org, file)
		p := c.Review
		if p.Approvals < 0 || p.Approvals > maxApprovals {
			t.Fatalf("approvals %d out of range", p.Approvals)
		}
		for _, item := range p.Checklist {
			if checklistKey(item) == "" || strings.ContainsAny(item, "\r\n") {
				t.Fatalf("bad checklist item %q", item)
			}
		}
		for _, g := range p.ChecklistSkipPaths {
			if checks.ValidateGlob(g) != nil {
				t.Fatalf("bad skip path %q", g)
			}
		}
	})
}

func nestedMappings(depth int) string {
	var b strings.Builder
	for i := range depth {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	return b.String()
}
