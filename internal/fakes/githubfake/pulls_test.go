package githubfake

import (
	"context"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestPullsPagination(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	for n := 1; n <= 7; n++ {
		st := "open"
		if n == 4 {
			st = "closed"
		}
		s.AddPull(testRepo, Pull{Number: n, Title: "PR " + itoa(n), User: "alice", State: st, HeadRef: "b" + itoa(n), HeadSHA: shaA})
	}
	gh := client(t, s, 1)

	var seen []int
	opts := &github.PullRequestListOptions{State: "open", ListOptions: github.ListOptions{PerPage: 2}}
	pages := 0
	for {
		list, resp, err := gh.PullRequests.List(ctx, "acme", "api", opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range list {
			seen = append(seen, p.GetNumber())
		}
		if pages == 1 && resp.LastPage != 3 {
			t.Errorf("LastPage = %d, want 3", resp.LastPage)
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	want := []int{7, 6, 5, 3, 2, 1} // newest first, the closed one left out
	if pages != 3 || len(seen) != len(want) {
		t.Fatalf("pages %d, seen %v", pages, seen)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("seen %v, want %v", seen, want)
		}
	}
	if n := s.Count("GET", "/repos/{owner}/{repo}/pulls"); n != 3 {
		t.Errorf("list calls = %d", n)
	}
	all, _, err := gh.PullRequests.List(ctx, "acme", "api", &github.PullRequestListOptions{State: "all", Direction: "asc"})
	if err != nil || len(all) != 7 || all[0].GetNumber() != 1 {
		t.Errorf("state=all asc: %d, %v", len(all), err)
	}
}

func TestPullDetails(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	s.SetPermission(testRepo, "bob", "write")
	s.AddPull(testRepo, Pull{
		Number: 3, Title: "Add cache", Body: "- [x] Rollback tested", User: "alice",
		HeadRef: "cache", HeadSHA: shaB, BaseSHA: shaA, Labels: []string{"deploy"},
		Files: []File{{Filename: "cache.go", Status: "added", Additions: 10}, {Filename: "docs/cache.md", Additions: 2, Deletions: 1}},
	})
	s.AddReview(testRepo, 3, Review{User: "bob", State: "APPROVED", CommitID: shaB})
	s.AddReview(testRepo, 3, Review{User: "", State: "COMMENTED", CommitID: shaA})
	s.SetCommitPulls(testRepo, shaB, 3)
	gh := client(t, s, 1)

	p, _, err := gh.PullRequests.Get(ctx, "acme", "api", 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.GetHead().GetSHA() != shaB || p.GetBase().GetRef() != "main" || p.GetUser().GetLogin() != "alice" ||
		p.GetBody() != "- [x] Rollback tested" || p.GetChangedFiles() != 2 || p.GetAdditions() != 12 || p.Labels[0].GetName() != "deploy" {
		t.Errorf("pull = %+v", p)
	}
	files, _, err := gh.PullRequests.ListFiles(ctx, "acme", "api", 3, nil)
	if err != nil || len(files) != 2 || files[1].GetStatus() != "modified" || files[1].GetChanges() != 3 {
		t.Errorf("files = %v, %v", files, err)
	}
	reviews, _, err := gh.PullRequests.ListReviews(ctx, "acme", "api", 3, nil)
	if err != nil || len(reviews) != 2 {
		t.Fatalf("reviews = %v, %v", reviews, err)
	}
	if reviews[0].GetUser().GetLogin() != "bob" || reviews[0].GetState() != "APPROVED" || reviews[0].GetAuthorAssociation() != "COLLABORATOR" {
		t.Errorf("review 0 = %+v", reviews[0])
	}
	if reviews[1].User != nil {
		t.Errorf("a deleted reviewer should be null, got %+v", reviews[1].User)
	}
	prs, _, err := gh.PullRequests.ListPullRequestsWithCommit(ctx, "acme", "api", shaB, nil)
	if err != nil || len(prs) != 1 || prs[0].GetNumber() != 3 {
		t.Errorf("commit pulls = %v, %v", prs, err)
	}
	if prs, _, _ := gh.PullRequests.ListPullRequestsWithCommit(ctx, "acme", "api", shaA, nil); len(prs) != 0 {
		t.Errorf("no pulls for %s, got %v", shaA, prs)
	}
	if _, resp, _ := gh.PullRequests.Get(ctx, "acme", "api", 4); statusOf(resp) != 404 {
		t.Errorf("missing pull: %d", statusOf(resp))
	}

	// AddPull replaces, keeping reviews: how a test pushes a new head.
	s.AddPull(testRepo, Pull{Number: 3, User: "alice", HeadRef: "cache", HeadSHA: shaA})
	if reviews, _, _ := gh.PullRequests.ListReviews(ctx, "acme", "api", 3, nil); len(reviews) != 2 {
		t.Errorf("reviews after a new head: %d", len(reviews))
	}
}
