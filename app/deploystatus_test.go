package app

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

func TestGitHubDeploymentsFailedOnTimeoutAndInactiveOnRollback(t *testing.T) {
	w := newReportWorld(t)
	w.fake.AddCommit("acme/api", githubfake.Commit{SHA: "c0"})
	w.fake.AddCommit("acme/api", githubfake.Commit{SHA: "c1"})
	t0 := w.clk.Now()
	// Both targets ran c0, a good release, before release 1.
	if _, err := w.r.app.runner.ApplyWith(t.Context(), w.key, parsePipelines(t, `pipelines:
  app:
    branch: release
    deploy_timeout: 5m
    stages:
      - {name: prod, targets: [t1, t2], parallel: 2, bake: 0s}
`)[0], func(_ pipeline.Pipeline, st *pipeline.State) error {
		st.Targets = map[string]*pipeline.Inventory{"t1": {Running: "c0", LastGood: "c0"}, "t2": {Running: "c0", LastGood: "c0"}}
		return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "c1", Pulls: []int{7}, CreatedAt: t0})
	}); err != nil {
		t.Fatal(err)
	}
	deployment := func(env, ref string) githubfake.Deployment {
		for _, d := range w.fake.Deployments("acme/api") {
			if d.Environment == env && d.Ref == ref {
				return d
			}
		}
		return githubfake.Deployment{}
	}
	states := func(d githubfake.Deployment) []string {
		var out []string
		for _, s := range deployment(d.Environment, d.Ref).Statuses {
			out = append(out, s.State)
		}
		return out
	}
	repo := `"installation":{"id":1},"repository":{"id":9,"name":"api","full_name":"acme/api","default_branch":"main","owner":{"login":"acme"}}`
	succeed := func(id string, d githubfake.Deployment) {
		t.Helper()
		w.r.deliver("deployment_status", id, fmt.Sprintf(`{"action":"created","deployment_status":{"state":"success"},"deployment":{"id":%d,"payload":%s},%s}`, d.ID, d.Payload, repo))
		if o := w.r.next(); o.State != store.DeliveryDone {
			t.Fatalf("%s: %s %v", id, o.State, o.Err)
		}
	}
	w.waitFor("both deployments", func() bool { return deployment("t1", "c1").ID != 0 && deployment("t2", "c1").ID != 0 })
	t1, t2 := deployment("t1", "c1"), deployment("t2", "c1")
	succeed("s-1", t1) // t2's deploying system never answers
	w.moveTo(t0.Add(5 * time.Minute))
	w.waitFor("the rollbacks to start", func() bool { return deployment("t1", "c0").ID != 0 && deployment("t2", "c0").ID != 0 })
	w.waitFor("t2's timed-out deployment to be failed", func() bool { return slices.Contains(states(t2), "failure") })
	succeed("s-2", deployment("t1", "c0"))
	succeed("s-3", deployment("t2", "c0"))
	w.waitFor("both deploys inactive", func() bool {
		return slices.Contains(states(t1), "inactive") && slices.Contains(states(t2), "inactive")
	})
	// (success is the deploying system's to set; here it only sent the event.)
	if got := states(t1); strings.Join(got, " ") != "in_progress inactive" {
		t.Errorf("t1's deployment went %v", got)
	}
	if got := states(t2); strings.Join(got, " ") != "in_progress failure inactive" {
		t.Errorf("t2's deployment went %v", got)
	}
	for _, s := range deployment("t2", "c1").Statuses[1:] {
		if !strings.Contains(s.LogURL, "/acme/api/runs/") || len(s.Description) > 140 || s.Description == "" {
			t.Errorf("status %+v: want a description and a log_url to the release's check run", s)
		}
	}
	// Each status is set once, however often the engine saves.
	if n := w.fake.Count(http.MethodPost, "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"); n != 2+2+1+2 {
		t.Errorf("%d statuses set; want 4 in_progress (two deploys, two rollbacks), 1 failure, 2 inactive", n)
	}
}
