package config

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

const repoFile = ".github/wavegate.yml"

func TestDesignExampleParsesCleanly(t *testing.T) {
	data, err := os.ReadFile("testdata/design-example.yml")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := Parse(repoFile, data)
	if len(diags) != 0 || f == nil {
		t.Fatalf("Parse: file=%v diagnostics:\n%v", f, diags)
	}
	rv := f.Review
	if !rv.Approvals.Set || rv.Approvals.Value != 1 || rv.Approvals.Line != 2 || rv.Approvals.Column != 3 {
		t.Errorf("approvals = %+v, want 1 set at 2:3", rv.Approvals)
	}
	wantChecklist := []string{
		"Sufficient test coverage",
		"Instrumented for monitoring, with alarms on new metrics",
		"Rollback tested",
		"Backward compatible with the version running now",
	}
	if !slices.Equal(rv.Checklist.Value, wantChecklist) {
		t.Errorf("checklist = %q, want %q", rv.Checklist.Value, wantChecklist)
	}
	if !slices.Equal(rv.ChecklistSkipPaths.Value, []string{"docs/**"}) {
		t.Errorf("checklist_skip_paths = %q", rv.ChecklistSkipPaths.Value)
	}
	if rv.BlockOnChangesRequested.Set {
		t.Error("block_on_changes_requested is not in the example but was marked set")
	}
	if f.Pipelines == nil || f.Pipelines.Kind != yaml.MappingNode || f.Pipelines.Content[0].Value != "app" {
		t.Fatalf("pipelines not kept as the raw mapping: %+v", f.Pipelines)
	}
	if f.Pipelines.Line != 13 {
		t.Errorf("pipelines node at line %d, want 13 (positions must survive)", f.Pipelines.Line)
	}
	if f.Policies != nil {
		t.Error("policies set from a file that has none")
	}
}

func TestParseEmptyIsValid(t *testing.T) {
	for name, data := range map[string][]byte{
		"nil":             nil,
		"empty":           {},
		"comments only":   []byte("# nothing here yet\n   # indented\n"),
		"document marker": []byte("---\n"),
		"explicit null":   []byte("~\n"),
		"empty sections":  []byte("review:\npipelines:\npolicies:\n"),
		"empty review":    []byte("review: {}\n"),
		"commented out":   []byte("review:\n  # approvals: 2\n"),
	} {
		t.Run(name, func(t *testing.T) {
			f, diags := ParseOrg(repoFile, data)
			if f == nil || diags.HasErrors() {
				t.Fatalf("Parse(%q) = %v, %v", data, f, diags)
			}
			if !reflect.DeepEqual(f.Review, Review{}) || f.Pipelines != nil || f.Policies != nil {
				t.Errorf("empty file produced settings: %+v", f)
			}
		})
	}
}

func TestParseDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string // Diagnostic.String(), without the file name prefix
	}{
		// Keys.
		{"unknown key with suggestion", "review:\n  aprovals: 2\n",
			[]string{`2:3: error: unknown key "aprovals" in review (did you mean "approvals"?)`}},
		{"unknown key case", "review:\n  Approvals: 2\n",
			[]string{`2:3: error: unknown key "Approvals" in review (did you mean "approvals"?)`}},
		{"unknown key transposed", "reveiw:\n  approvals: 2\n",
			[]string{`1:1: error: unknown key "reveiw" (did you mean "review"?)`}},
		{"unknown key far from any", "review:\n  colour: red\n",
			[]string{`2:3: error: unknown key "colour" in review (known keys: approvals, approver_permission, stale_approvals, checklist, checklist_skip_paths, block_on_changes_requested)`}},
		{"unknown top-level key", "deploy: {}\n",
			[]string{`1:1: error: unknown key "deploy" (known keys: review, pipelines, policies, windows, alarms)`}},
		{"duplicate key", "review:\n  approvals: 1\n  approvals: 2\n",
			[]string{`3:3: error: duplicate key "approvals" in review (first at line 2)`}},
		{"duplicate section", "review: {}\npipelines: {}\nreview: {}\n",
			[]string{`3:1: error: duplicate key "review" (first at line 1)`}},
		{"duplicate key inside pipelines", "pipelines:\n  app:\n    branch: main\n    branch: prod\n",
			[]string{`4:5: error: duplicate key "branch" in pipelines.app (first at line 3)`}},
		{"merge key", "review:\n  <<: {approvals: 1}\n",
			[]string{`2:3: error: merge keys (<<) are not supported in review; repeat the keys instead`}},
		{"complex key", "review:\n  ? [a, b]\n  : 1\n",
			[]string{`2:5: error: a key must be a plain name, not a list in review`}},

		// approvals
		{"approvals string", "review:\n  approvals: \"two\"\n",
			[]string{`2:14: error: review.approvals must be an integer, got string "two"`}},
		{"approvals quoted number", "review:\n  approvals: '2'\n",
			[]string{`2:14: error: review.approvals must be an integer, got string "2"`}},
		{"approvals float", "review:\n  approvals: 1.5\n",
			[]string{`2:14: error: review.approvals must be an integer, got number 1.5`}},
		{"approvals null", "review:\n  approvals:\n",
			[]string{`2:13: error: review.approvals must be an integer, got nothing (null)`}},
		{"approvals list", "review:\n  approvals: [1]\n",
			[]string{`2:14: error: review.approvals must be an integer, got a list`}},
		{"approvals above bound", "review:\n  approvals: 11\n",
			[]string{`2:14: error: review.approvals must be between 0 and 10, got 11`}},
		{"approvals negative", "review:\n  approvals: -1\n",
			[]string{`2:14: error: review.approvals must be between 0 and 10, got -1`}},
		{"approvals beyond int64", "review:\n  approvals: 10000000000000000000\n",
			[]string{`2:14: error: review.approvals must be between 0 and 10, got 10000000000000000000`}},
		{"approvals hex", "review:\n  approvals: 0x2\n", nil},
		{"approvals zero", "review:\n  approvals: 0\n", nil},
		{"approvals at bound", "review:\n  approvals: 10\n", nil},

		// approver_permission
		{"permission typo", "review:\n  approver_permission: writer\n",
			[]string{`2:24: error: review.approver_permission must be one of read, triage, write, maintain, admin; got "writer" (did you mean "write"?)`}},
		{"permission case", "review:\n  approver_permission: Admin\n",
			[]string{`2:24: error: review.approver_permission must be one of read, triage, write, maintain, admin; got "Admin" (did you mean "admin"?)`}},
		{"permission unrelated", "review:\n  approver_permission: owner\n",
			[]string{`2:24: error: review.approver_permission must be one of read, triage, write, maintain, admin; got "owner"`}},
		{"permission number", "review:\n  approver_permission: 3\n",
			[]string{`2:24: error: review.approver_permission must be a string, got number 3`}},

		// stale_approvals
		{"stale unknown", "review:\n  stale_approvals: drop\n",
			[]string{`2:20: error: review.stale_approvals must be one of dismiss, keep; got "drop"`}},
		{"stale bool", "review:\n  stale_approvals: true\n",
			[]string{`2:20: error: review.stale_approvals must be a string, got boolean true`}},

		// checklist
		{"checklist scalar", "review:\n  checklist: yes\n",
			[]string{`2:14: error: review.checklist must be a list of strings, got string "yes"`}},
		{"checklist mapping", "review:\n  checklist: {a: b}\n",
			[]string{`2:14: error: review.checklist must be a list of strings, got a mapping`}},
		{"checklist empty item", "review:\n  checklist:\n    - Tests\n    - \"  \"\n",
			[]string{`4:7: error: review.checklist[1] must not be empty`}},
		{"checklist null item", "review:\n  checklist:\n    -\n",
			[]string{`3:6: error: review.checklist[0] must be a string, got nothing (null)`}},
		{"checklist number item", "review:\n  checklist: [Tests, 42]\n",
			[]string{`2:22: error: review.checklist[1] must be a string, got number 42`}},
		{"checklist multi-line item", "review:\n  checklist:\n    - |\n      one\n      two\n",
			[]string{`3:7: error: review.checklist[0] must be a single line`}},
		{"checklist duplicate ignoring case and spacing",
			"review:\n  checklist:\n    - Rollback tested\n    - Tests\n    - rollback  TESTED\n",
			[]string{`5:7: error: duplicate checklist item "rollback  TESTED" (first at line 3; case, spacing, emphasis and final punctuation are ignored)`}},
		{"checklist duplicate ignoring emphasis and punctuation",
			"review:\n  checklist: [Rollback tested, '**Rollback tested.**']\n",
			[]string{`2:32: error: duplicate checklist item "**Rollback tested.**" (first at line 2; case, spacing, emphasis and final punctuation are ignored)`}},
		{"checklist duplicate by Unicode case folding", // U+212A KELVIN SIGN folds to k
			"review:\n  checklist: [key, \"\u212Aey\"]\n",
			[]string{"2:20: error: duplicate checklist item \"\u212Aey\" (first at line 2; case, spacing, emphasis and final punctuation are ignored)"}},
		{"checklist item of emphasis only", "review:\n  checklist: ['**', '...']\n",
			[]string{
				`2:15: error: review.checklist[0] has no words once emphasis and punctuation are ignored: "**"`,
				`2:21: error: review.checklist[1] has no words once emphasis and punctuation are ignored: "..."`,
			}},
		{"checklist items differing in words", "review:\n  checklist: [Rollback tested, Rollback untested, 'Rollback tested twice']\n", nil},

		// checklist_skip_paths
		{"skip paths scalar", "review:\n  checklist_skip_paths: docs/**\n",
			[]string{`2:25: error: review.checklist_skip_paths must be a list of strings, got string "docs/**"`}},
		{"skip paths leading slash", "review:\n  checklist_skip_paths: [docs/**, /README.md]\n",
			[]string{`2:35: error: review.checklist_skip_paths[1] "/README.md": paths are relative to the repository root: drop the leading "/"`}},
		{"skip paths empty", "review:\n  checklist_skip_paths: [\"\"]\n",
			[]string{`2:26: error: review.checklist_skip_paths[0] "": empty pattern`}},
		{"skip paths bare exclusion", "review:\n  checklist_skip_paths: [docs/**, \"!\"]\n",
			[]string{`2:35: error: review.checklist_skip_paths[1] "!": empty pattern`}},
		{"skip paths directory", "review:\n  checklist_skip_paths:\n    - docs/\n",
			[]string{`3:7: error: review.checklist_skip_paths[0] "docs/": changed paths are files: end with "/**" to match everything in a directory`}},
		{"skip paths number", "review:\n  checklist_skip_paths: [1]\n",
			[]string{`2:26: error: review.checklist_skip_paths[0] must be a string, got number 1`}},

		// block_on_changes_requested
		{"block yes", "review:\n  block_on_changes_requested: yes\n",
			[]string{`2:31: error: review.block_on_changes_requested must be true or false, got string "yes"`}},
		{"block number", "review:\n  block_on_changes_requested: 1\n",
			[]string{`2:31: error: review.block_on_changes_requested must be true or false, got number 1`}},

		// Sections and document shape.
		{"review list", "review:\n  - approvals: 1\n",
			[]string{`2:3: error: review must be a mapping, got a list`}},
		{"pipelines scalar", "pipelines: app\n",
			[]string{`1:12: error: pipelines must be a mapping, got string "app"`}},
		{"top-level list", "- review\n",
			[]string{`1:1: error: the file must be a mapping of sections (review, pipelines, policies), got a list`}},
		{"top-level scalar", "approvals 2\n",
			[]string{`1:1: error: the file must be a mapping of sections (review, pipelines, policies), got string "approvals 2"`}},
		{"two documents", "review: {}\n---\nreview: {}\n",
			[]string{`2:1: error: a second YAML document starts here; the file must hold exactly one`}},
		// yaml.v3 gives only a line; these cover both its scanner's and its
		// parser's numbering, which differ, and a parser error on line 1.
		{"misindented key", "review:\n  approvals: 1\n checklist: []\n",
			[]string{`3: error: invalid YAML: did not find expected key`}},
		{"unclosed flow list", "review:\n  checklist: [a, b\n",
			[]string{`2: error: invalid YAML: did not find expected ',' or ']'`}},
		{"parser error at the end", "review: {approvals: 1\n",
			[]string{`2: error: invalid YAML: did not find expected ',' or '}'`}},
		{"parser error on line 1", "review: {approvals: 1]\n",
			[]string{`1: error: invalid YAML: did not find expected ',' or '}'`}},
		{"list then mapping", "- a\nreview: {}\n",
			[]string{`2: error: invalid YAML: did not find expected '-' indicator`}},
		{"scanner error", "review:\n  approvals: 1\n  checklist: a: b\n",
			[]string{`3: error: invalid YAML: mapping values are not allowed in this context`}},
		{"tab indentation", "review:\n\tapprovals: 1\n",
			[]string{`2: error: invalid YAML: found character that cannot start any token`}},
		{"policies in a repository file", "policies:\n  onebox: {mode: warn}\n",
			[]string{`1:1: warning: policies are read only from the organization's wavegate.yml (in <owner>/.github); ignored here`}},
		{"alarms at a repository file's top level", "alarms:\n  match: {team: api}\n",
			[]string{`1:1: error: alarms: at the top level is read only from the organization's wavegate.yml (in <owner>/.github); in a repository, put it under each pipeline (pipelines.NAME.alarms)`}},
		{"windows at a repository file's top level", "windows:\n  freeze: []\n",
			[]string{`1:1: error: windows: at the top level is read only from the organization's wavegate.yml (in <owner>/.github); in a repository, put it under each pipeline (pipelines.NAME.windows)`}},

		// Several problems are all reported, in file order.
		{"all problems, in order", "review:\n  approvals: 20\n  aprovals: 1\n  approvals: 2\n",
			[]string{
				`2:14: error: review.approvals must be between 0 and 10, got 20`,
				`3:3: error: unknown key "aprovals" in review (did you mean "approvals"?)`,
				`4:3: error: duplicate key "approvals" in review (first at line 2)`,
			}},

		// Aliases.
		{"alias reported where used", "pipelines:\n  x: &n \"two\"\nreview:\n  approvals: *n\n",
			[]string{`4:14: error: review.approvals must be an integer, got string "two"`}},
		{"alias cycle", "pipelines: &p\n  app: [*p]\n",
			[]string{`2:9: error: alias *p refers to a node that contains it`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, diags := Parse(repoFile, []byte(tc.yaml))
			var got []string
			for _, d := range diags {
				got = append(got, strings.TrimPrefix(d.String(), repoFile+":"))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("diagnostics of\n%s\ngot:\n  %s\nwant:\n  %s", tc.yaml, strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if diags.HasErrors() != (f == nil) {
				t.Errorf("HasErrors=%v but file=%v: a File must be returned exactly when there are no errors", diags.HasErrors(), f)
			}
		})
	}
}

func TestParseOrgKeepsPolicies(t *testing.T) {
	data := []byte("policies:\n  onebox-first: {mode: enforce}\n")
	f, diags := ParseOrg("acme/.github/wavegate.yml", data)
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	if f.Policies == nil || f.Policies.Content[0].Value != "onebox-first" {
		t.Fatalf("policies = %+v, want the raw mapping", f.Policies)
	}
	repo, diags := Parse(repoFile, data)
	if repo == nil || repo.Policies != nil {
		t.Fatalf("a repository's policies must be ignored, got %+v", repo)
	}
	if len(diags) != 1 || diags[0].Severity != SeverityWarning {
		t.Fatalf("want one warning, got %v", diags)
	}
	_, diags = ParseOrg("org.yml", []byte("policies: [a]\n"))
	if !diags.HasErrors() {
		t.Error("a list of policies in the organization file must be an error")
	}
}

func TestParseAliasesWithinBounds(t *testing.T) {
	data := []byte("review:\n  checklist: &list\n    - Rollback tested\n  checklist_skip_paths: *list\n")
	f, diags := Parse(repoFile, data)
	if f == nil {
		t.Fatalf("diagnostics: %v", diags)
	}
	if !slices.Equal(f.Review.ChecklistSkipPaths.Value, []string{"Rollback tested"}) {
		t.Errorf("alias not followed: %q", f.Review.ChecklistSkipPaths.Value)
	}
}

func TestParseAliasBomb(t *testing.T) {
	// Nine levels of ten aliases each stand for 10^9 nodes in a few hundred bytes.
	var b strings.Builder
	b.WriteString("pipelines:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		p := "*l" + string(rune('0'+i-1))
		b.WriteString("  l" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [")
		b.WriteString(strings.TrimSuffix(strings.Repeat(p+", ", 10), ", "))
		b.WriteString("]\n")
	}
	f, diags := Parse(repoFile, []byte(b.String()))
	if f != nil || len(diags) != 1 {
		t.Fatalf("want exactly one error, got file=%v diagnostics=%v", f, diags)
	}
	want := `.github/wavegate.yml:6:7: error: document too large: more than 50000 nodes once aliases are expanded`
	if got := diags[0].String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestParseNodeCapCountsRealNodes(t *testing.T) {
	// 60,000 list items fit in 256 KiB without any alias.
	data := []byte("pipelines:\n  big: [" + strings.TrimSuffix(strings.Repeat("1,", 60_000), ",") + "]\n")
	if len(data) > maxFileSize {
		t.Fatalf("test input is %d bytes, over the size cap it is not testing", len(data))
	}
	f, diags := Parse(repoFile, data)
	if f != nil || !strings.Contains(diags.Error(), "document too large") {
		t.Fatalf("want a too-large error, got %v", diags)
	}
}

func TestParseSizeCap(t *testing.T) {
	atCap := []byte(strings.Repeat("#\n", 128<<10))
	if f, diags := Parse(repoFile, atCap); f == nil || len(atCap) != 256<<10 {
		t.Fatalf("a file of exactly 256 KiB (%d bytes) must parse: %v", len(atCap), diags)
	}
	f, diags := Parse(repoFile, append(atCap, '#'))
	if f != nil {
		t.Fatal("an oversized file must not parse")
	}
	want := Diagnostics{{File: repoFile, Severity: SeverityError,
		Message: "file is 262145 bytes; at most 262144 are allowed"}}
	if !slices.Equal(diags, want) {
		t.Errorf("diagnostics = %v, want %v", diags, want)
	}
}

func TestParseCapsDiagnostics(t *testing.T) {
	var b strings.Builder
	b.WriteString("review:\n")
	for i := range 150 {
		b.WriteString("  k" + strings.Repeat("z", i) + ": 1\n")
	}
	_, diags := Parse(repoFile, []byte(b.String()))
	if len(diags) != yamlwalk.MaxDiagnostics+1 {
		t.Fatalf("got %d diagnostics, want %d", len(diags), yamlwalk.MaxDiagnostics+1)
	}
	last := diags[len(diags)-1]
	if last.Message != "too many problems; 50 more not shown" || last.Severity != SeverityError {
		t.Errorf("last diagnostic = %v", last)
	}
}

func TestParseOrgKeepsWindows(t *testing.T) {
	f, diags := ParseOrg("acme/.github/wavegate.yml", []byte("windows:\n  freeze: [{from: 2026-12-20, to: 2027-01-04, reason: Holiday freeze}]\n"))
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	if f.Windows == nil || f.Windows.Content[0].Value != "freeze" {
		t.Fatalf("windows = %+v, want the raw mapping", f.Windows)
	}
	if _, diags = ParseOrg("org.yml", []byte("windows: [a]\n")); !diags.HasErrors() {
		t.Error("a list of windows in the organization file must be an error")
	}
}
