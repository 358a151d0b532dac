package demo

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/pipeline"
)

// A release the viewer approved on the page before the demo's pause ran
// out is not approved again: the release manager says nothing.
func TestApprovalLeftToTheViewerWhenTheyGaveIt(t *testing.T) {
	base := clock.NewFake(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	clk, err := clock.NewScaled(base, base.Now(), 600)
	if err != nil {
		t.Fatal(err)
	}
	gh := githubfake.New(t)
	gh.AddRepo(owner, repoName, githubfake.RepoOpts{ID: repoID})
	gh.AddPull(repoFull, githubfake.Pull{Number: 1, User: authorAna})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := &Demo{opts: Options{Out: io.Discard, ApproveAfter: time.Hour}, clk: clk, sim: &sim{gh: gh},
		changed: make(chan struct{}), runCtx: ctx, cancel: cancel}
	d.state = pipeline.State{Releases: []*pipeline.Release{{ID: 1, Pulls: []int{1}, Stages: map[string]*pipeline.StageRun{
		approvalName: {Status: pipeline.StageActive},
	}}}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.approveLater(ctx, 1, []int{1})
	}()
	base.BlockUntilWaiters(1) // the demo's pause
	d.saved(pipeline.Key{Repository: repoFull, Pipeline: pipelineName}, pipeline.Result{State: pipeline.State{Releases: []*pipeline.Release{{
		ID: 1, Pulls: []int{1}, Stages: map[string]*pipeline.StageRun{approvalName: {Status: pipeline.StageSucceeded,
			Decision: &pipeline.ApprovalDecision{Approved: true, By: viewer}}},
	}}}})
	base.Advance(clk.Real(time.Hour))
	select {
	case <-done:
	case <-time.After(10 * time.Second): // deadlock guard
		t.Fatal("approveLater did not return after its pause")
	}
	if c := gh.Comments(repoFull, 1); len(c) != 0 {
		t.Fatalf("the demo commented %q on a release the viewer approved", c[0].Body)
	}
	if d.failure != nil {
		t.Fatalf("failed: %v", d.failure)
	}
}
