package notify

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/checks"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./notify -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./notify -update rewrites it):\n--- got\n%s", name, got)
	}
}

func TestReviewCheckGolden(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	policy := checks.DefaultPolicy()
	policy.Checklist = []string{"Sufficient test coverage", "Rollback tested", "Backward compatible with the version running now"}
	policy.ChecklistSkipPaths = []string{"docs/**"}
	perms := map[string]checks.Permission{"wes": checks.PermissionWrite, "rea": checks.PermissionRead, "ada": checks.PermissionAdmin}
	head := "1234567890abcdef1234567890abcdef12345678"
	old := "abcdef1234567890abcdef1234567890abcdef12"
	ticked := "- [x] Sufficient test coverage\n- [x] Rollback tested\n- [x] Backward compatible with the version running now\n"
	tests := []struct {
		name    string
		pr      checks.PullRequest
		reviews []checks.Review
		files   []string
		policy  checks.Policy
	}{
		{"review-success.md", checks.PullRequest{Number: 1, Author: "octo", HeadSHA: head, Body: ticked},
			[]checks.Review{{ID: 1, Reviewer: "wes", State: checks.ReviewApproved, CommitID: head, SubmittedAt: at}}, []string{"main.go"}, policy},
		{"review-failure.md", checks.PullRequest{Number: 1, Author: "octo", HeadSHA: head, Body: "- [x] Rollback tested\n- [ ] Sufficient test coverage\n"},
			[]checks.Review{
				{ID: 1, Reviewer: "wes", State: checks.ReviewApproved, CommitID: old, SubmittedAt: at},
				{ID: 2, Reviewer: "rea", State: checks.ReviewApproved, CommitID: head, SubmittedAt: at.Add(time.Minute)},
				{ID: 3, Reviewer: "octo", State: checks.ReviewApproved, CommitID: head, SubmittedAt: at.Add(2 * time.Minute)},
				{ID: 4, Reviewer: "", State: checks.ReviewApproved, CommitID: head, SubmittedAt: at.Add(3 * time.Minute)},
			}, []string{"main.go"}, policy},
		{"review-changes-requested.md", checks.PullRequest{Number: 1, Author: "octo", HeadSHA: head, Body: ticked},
			[]checks.Review{
				{ID: 1, Reviewer: "wes", State: checks.ReviewApproved, CommitID: head, SubmittedAt: at},
				{ID: 2, Reviewer: "ada", State: checks.ReviewChangesRequested, CommitID: head, SubmittedAt: at.Add(time.Minute)},
			}, []string{"main.go"}, policy},
		{"review-draft.md", checks.PullRequest{Number: 1, Author: "octo", HeadSHA: head, Draft: true}, nil, []string{"main.go"}, policy},
		{"review-docs-only.md", checks.PullRequest{Number: 1, Author: "octo", HeadSHA: head},
			[]checks.Review{{ID: 1, Reviewer: "wes", State: checks.ReviewApproved, CommitID: head, SubmittedAt: at}}, []string{"docs/intro.md"}, policy},
		{"review-no-reviews-no-checklist.md", checks.PullRequest{Number: 1, Author: "octo", HeadSHA: head}, nil, []string{"main.go"}, checks.DefaultPolicy()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := checks.Evaluate(tc.pr, tc.reviews, tc.files, perms, tc.policy)
			title, summary, err := r.ReviewCheck(res, tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, "title: "+title+"\n\n"+summary)
		})
	}
}

func TestReviewCheckEscapesHostileInput(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	policy := checks.DefaultPolicy()
	policy.Checklist = []string{"<img src=x onerror=alert(1)> @channel | cell", "[link](https://evil.example) **bold**"}
	res := checks.Evaluate(checks.PullRequest{Number: 1, Author: "octo", HeadSHA: "h"},
		[]checks.Review{{ID: 1, Reviewer: "wes", State: checks.ReviewCommented, CommitID: "h"}},
		[]string{"a.go"}, map[string]checks.Permission{"wes": checks.PermissionWrite}, policy)
	_, summary, err := r.ReviewCheck(res, policy)
	if err != nil {
		t.Fatal(err)
	}
	// Each must appear only escaped: preceded by a backslash, or for the
	// mention, broken by a zero-width joiner.
	for _, bad := range []string{`(^|[^\\])<img`, `@channel`, `(^|[^\\])\]\(https://evil`, `(^|[^\\])\*\*bold`, `(^|[^\\])\| cell`} {
		if regexp.MustCompile(bad).MatchString(summary) {
			t.Errorf("summary matches %s, something unescaped:\n%s", bad, summary)
		}
	}
	golden(t, "review-hostile.md", summary)
}

func TestMarkdown(t *testing.T) {
	tests := map[string]string{
		"plain text":            "plain text",
		"@org/team":             "@\u200dorg/team",
		"a|b":                   `a\|b`,
		"<b>x</b>":              `\<b\>x\</b\>`,
		"line\nbreak":           "line break",
		"[x](y)":                `\[x\]\(y\)`,
		"snake_case *emphasis*": `snake\_case \*emphasis\*`,
	}
	for in, want := range tests {
		if got := Markdown(in); got != want {
			t.Errorf("Markdown(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTruncateKeepsRunesWhole(t *testing.T) {
	s := strings.Repeat("é", 40000) // 80,000 bytes
	got := truncate(s, CheckRunTextLimit)
	if len(got) > CheckRunTextLimit || !strings.HasSuffix(got, "(cut to fit GitHub's limit)") {
		t.Fatalf("length %d, suffix %q", len(got), got[len(got)-30:])
	}
	if strings.ContainsRune(got, '\uFFFD') {
		t.Fatal("cut inside a rune")
	}
}
