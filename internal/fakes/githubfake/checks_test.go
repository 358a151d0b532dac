package githubfake

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

const shaA = "1111111111111111111111111111111111111111"
const shaB = "2222222222222222222222222222222222222222"

func TestCheckRunRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	gh := client(t, s, 1)

	created, resp, err := gh.Checks.CreateCheckRun(ctx, "acme", "api", github.CreateCheckRunOptions{
		Name: "wavegate/review", HeadSHA: shaA, Status: ptr("in_progress"),
		Output: &github.CheckRunOutput{Title: ptr("Waiting"), Summary: ptr("Needs an approval"),
			Annotations: []*github.CheckRunAnnotation{{Path: ptr(".github/wavegate.yml"), StartLine: ptr(3), EndLine: ptr(3), AnnotationLevel: ptr("warning"), Message: ptr("unknown key")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || created.GetStatus() != "in_progress" || created.GetApp().GetID() != 1 {
		t.Fatalf("created = %d %+v", resp.StatusCode, created)
	}

	updated, _, err := gh.Checks.UpdateCheckRun(ctx, "acme", "api", created.GetID(), github.UpdateCheckRunOptions{
		Name: "wavegate/review", Conclusion: ptr("success"),
		Output: &github.CheckRunOutput{Title: ptr("Approved"), Summary: ptr("Approved by @bob"),
			Annotations: []*github.CheckRunAnnotation{{Path: ptr("a.go"), StartLine: ptr(1), EndLine: ptr(2), AnnotationLevel: ptr("notice"), Message: ptr("fine")}}},
		Actions: []*github.CheckRunAction{{Label: "Deploy now", Description: "Skip the wait", Identifier: "deploy"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A conclusion completes the run and stamps completed_at.
	if updated.GetStatus() != "completed" || updated.GetConclusion() != "success" || updated.CompletedAt == nil {
		t.Errorf("updated = %+v", updated)
	}

	got, _, err := gh.Checks.GetCheckRun(ctx, "acme", "api", created.GetID())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetOutput().GetTitle() != "Approved" || got.GetOutput().GetAnnotationsCount() != 2 || got.GetHeadSHA() != shaA {
		t.Errorf("got = %+v", got.GetOutput())
	}

	runs := s.CheckRuns(testRepo)
	if len(runs) != 1 {
		t.Fatalf("CheckRuns = %d", len(runs))
	}
	r := runs[0]
	if r.Name != "wavegate/review" || r.Conclusion != "success" || r.Updates != 1 || r.Output.Summary != "Approved by @bob" ||
		len(r.Output.Annotations) != 2 || r.Output.Annotations[0].Path != ".github/wavegate.yml" || len(r.Actions) != 1 {
		t.Errorf("stored = %+v", r)
	}
	if _, resp, _ := gh.Checks.GetCheckRun(ctx, "acme", "api", 999999); statusOf(resp) != 404 {
		t.Errorf("unknown check run: %d", statusOf(resp))
	}
}

func TestCheckRunLimits(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	gh := client(t, s, 1)
	tooMany := make([]*github.CheckRunAction, 4)
	for i := range tooMany {
		tooMany[i] = &github.CheckRunAction{Label: "x", Description: "y", Identifier: itoa(i)}
	}
	for name, opts := range map[string]github.CreateCheckRunOptions{
		"four actions": {Name: "n", HeadSHA: shaA, Actions: tooMany},
		"long label":   {Name: "n", HeadSHA: shaA, Actions: []*github.CheckRunAction{{Label: strings.Repeat("l", 21), Description: "d", Identifier: "i"}}},
		"long summary": {Name: "n", HeadSHA: shaA, Output: &github.CheckRunOutput{Title: ptr("t"), Summary: ptr(strings.Repeat("s", 65536))}},
	} {
		// Only the fake's answer is under test here, not the OpenAPI check.
		ct := &captureTB{TB: t}
		sub := New(ct)
		sub.AddRepo("acme", "api", RepoOpts{})
		if _, resp, _ := client(t, sub, 1).Checks.CreateCheckRun(ctx, "acme", "api", opts); statusOf(resp) != 422 {
			t.Errorf("%s: status %d, want 422", name, statusOf(resp))
		}
		if errs := ct.runCleanups(); len(errs) == 0 {
			t.Errorf("%s: the OpenAPI check should flag the body too", name)
		}
	}
	if _, resp, _ := gh.Checks.CreateCheckRun(ctx, "acme", "api", github.CreateCheckRunOptions{Name: "n", HeadSHA: shaA, Status: ptr("completed")}); statusOf(resp) != 422 {
		t.Errorf("completed without conclusion: %d", statusOf(resp))
	}
}

func TestListCheckRunsForRef(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	s.SetBranch(testRepo, "main", shaA)
	gh := client(t, s, 1)
	mk := func(name, sha string) int64 {
		c, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "api", github.CreateCheckRunOptions{Name: name, HeadSHA: sha})
		if err != nil {
			t.Fatal(err)
		}
		return c.GetID()
	}
	mk("wavegate/review", shaA)
	newest := mk("wavegate/review", shaA)
	mk("wavegate/deploy", shaA)
	mk("wavegate/review", shaB)

	list, _, err := gh.Checks.ListCheckRunsForRef(ctx, "acme", "api", shaA, &github.ListCheckRunsOptions{CheckName: ptr("wavegate/review")})
	if err != nil {
		t.Fatal(err)
	}
	if list.GetTotal() != 1 || list.CheckRuns[0].GetID() != newest {
		t.Errorf("latest filter: total %d, first %d, want the newest %d", list.GetTotal(), list.CheckRuns[0].GetID(), newest)
	}
	all, _, err := gh.Checks.ListCheckRunsForRef(ctx, "acme", "api", "main", &github.ListCheckRunsOptions{Filter: ptr("all")})
	if err != nil {
		t.Fatal(err)
	}
	if all.GetTotal() != 3 {
		t.Errorf("filter=all at main: %d, want 3", all.GetTotal())
	}
}
