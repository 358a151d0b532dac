package githubfake

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestContents(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	s.SetBranch(testRepo, "main", shaA)
	long := "review:\n  approvals: 1\n" + "pipelines:\n  app:\n    branch: main\n    stages:\n      - {name: alpha, targets: [alpha], bake: 10m}\n"
	s.SetFile(testRepo, "main", ".github/wavegate.yml", long)
	s.SetFile(testRepo, shaB, ".github/wavegate.yml", "old: true\n")
	gh := client(t, s, 1)

	for _, ref := range []string{"", "main", "refs/heads/main", shaA} {
		f, _, _, err := gh.Repositories.GetContents(ctx, "acme", "api", ".github/wavegate.yml", &github.RepositoryContentGetOptions{Ref: ref})
		if err != nil {
			t.Fatalf("ref %q: %v", ref, err)
		}
		got, err := f.GetContent()
		if err != nil || got != long || f.GetName() != "wavegate.yml" || f.GetPath() != ".github/wavegate.yml" {
			t.Errorf("ref %q: %q, %v", ref, got, err)
		}
	}
	f, _, _, err := gh.Repositories.GetContents(ctx, "acme", "api", ".github/wavegate.yml", &github.RepositoryContentGetOptions{Ref: shaB})
	if got, _ := f.GetContent(); err != nil || got != "old: true\n" {
		t.Errorf("at %s: %q %v", shaB, got, err)
	}
	if _, _, resp, _ := gh.Repositories.GetContents(ctx, "acme", "api", "missing.yml", nil); statusOf(resp) != 404 {
		t.Errorf("missing file: %d", statusOf(resp))
	}
	if _, _, resp, _ := gh.Repositories.GetContents(ctx, "acme", "api", ".github/wavegate.yml", &github.RepositoryContentGetOptions{Ref: "other"}); statusOf(resp) != 404 {
		t.Errorf("file at another ref: %d", statusOf(resp))
	}
	resp, body := do(t, s, "GET", "/repos/acme/api/contents/.github/wavegate.yml", "token "+s.Token(1), "", http.Header{"Accept": {"application/vnd.github.raw+json"}})
	if resp.StatusCode != 200 || body != long {
		t.Errorf("raw: %d %q", resp.StatusCode, body)
	}
}

func TestCommitAndCompare(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	c1 := Commit{SHA: shaA, Message: "Add cache (#3)", Author: "alice", Parents: []string{"0000000000000000000000000000000000000000"},
		Files: []File{{Filename: "cache.go", Additions: 3}, {Filename: "infra/main.tf", Additions: 1}}}
	c2 := Commit{SHA: shaB, Message: "Fix cache", Author: "bob", Parents: []string{shaA},
		Files: []File{{Filename: "cache.go", Additions: 1, Deletions: 1}}}
	s.SetCompare(testRepo, "0000000000000000000000000000000000000000", shaB, c1, c2)
	s.SetBranch(testRepo, "main", shaB)
	gh := client(t, s, 1)

	cmp, _, err := gh.Repositories.CompareCommits(ctx, "acme", "api", "0000000000000000000000000000000000000000", shaB, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.GetStatus() != "ahead" || cmp.GetTotalCommits() != 2 || len(cmp.Commits) != 2 || cmp.Commits[0].GetSHA() != shaA ||
		cmp.Commits[1].GetAuthor().GetLogin() != "bob" || len(cmp.Files) != 2 || cmp.Files[0].GetChanges() != 2 {
		t.Errorf("compare = %+v", cmp)
	}
	c, _, err := gh.Repositories.GetCommit(ctx, "acme", "api", "main", nil)
	if err != nil || c.GetSHA() != shaB || c.GetCommit().GetMessage() != "Fix cache" || len(c.Files) != 1 || c.GetStats().GetTotal() != 2 {
		t.Errorf("commit = %+v, %v", c, err)
	}
	if _, resp, _ := gh.Repositories.GetCommit(ctx, "acme", "api", "nope", nil); statusOf(resp) != 422 {
		t.Errorf("unknown commit: %d, want 422 as GitHub", statusOf(resp))
	}
	if _, resp, _ := gh.Repositories.CompareCommits(ctx, "acme", "api", "x", "y", nil); statusOf(resp) != 404 {
		t.Errorf("unknown compare: %d", statusOf(resp))
	}
	// A branch with a slash is one path segment once escaped, as go-github sends it.
	s.SetCompare(testRepo, "main", "feature/x", c2)
	if cmp, _, err := gh.Repositories.CompareCommits(ctx, "acme", "api", "main", "feature/x", nil); err != nil || cmp.GetTotalCommits() != 1 {
		t.Errorf("compare with a slashed branch: %v", err)
	}
}
