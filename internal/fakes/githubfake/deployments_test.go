package githubfake

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestDeploymentsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	s.SetBranch(testRepo, "main", shaA)
	gh := client(t, s, 1)

	create := func(env, task string) *github.Deployment {
		t.Helper()
		d, resp, err := gh.Repositories.CreateDeployment(ctx, "acme", "api", &github.DeploymentRequest{
			Ref: ptr(shaA), Task: ptr(task), Environment: ptr(env), AutoMerge: ptr(false),
			RequiredContexts: &[]string{}, Payload: map[string]any{"release": 7}, Description: ptr("wave-1"),
			ProductionEnvironment: ptr(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return d
	}
	d1 := create("prod-us-west-2a", "deploy")
	create("prod-us-west-2b", "deploy")
	create("prod-us-west-2a", "deploy:rollback")

	if d1.GetSHA() != shaA || d1.GetEnvironment() != "prod-us-west-2a" || d1.GetCreator().GetLogin() != "wavegate[bot]" {
		t.Errorf("d1 = %+v", d1)
	}
	var payload map[string]any
	if err := json.Unmarshal(d1.Payload, &payload); err != nil || payload["release"] != 7.0 {
		t.Errorf("payload = %s", d1.Payload)
	}

	stored := s.Deployments(testRepo)
	if len(stored) != 3 || !stored[0].ProductionEnvironment || stored[0].AutoMerge || stored[0].RequiredContexts == nil || len(stored[0].RequiredContexts) != 0 || stored[0].Task != "deploy" {
		t.Errorf("stored[0] = %+v", stored[0])
	}

	for _, tc := range []struct {
		opts github.DeploymentsListOptions
		want int
	}{
		{github.DeploymentsListOptions{}, 3},
		{github.DeploymentsListOptions{Environment: "prod-us-west-2a"}, 2},
		{github.DeploymentsListOptions{Environment: "prod-us-west-2a", Task: "deploy"}, 1},
		{github.DeploymentsListOptions{Ref: shaA}, 3},
		{github.DeploymentsListOptions{Ref: "main"}, 0},
		{github.DeploymentsListOptions{SHA: shaB}, 0},
	} {
		list, _, err := gh.Repositories.ListDeployments(ctx, "acme", "api", &tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != tc.want {
			t.Errorf("%+v: %d deployments, want %d", tc.opts, len(list), tc.want)
		}
	}

	for _, state := range []string{"in_progress", "success"} {
		st, resp, err := gh.Repositories.CreateDeploymentStatus(ctx, "acme", "api", d1.GetID(), &github.DeploymentStatusRequest{
			State: ptr(state), LogURL: ptr("https://ci.example/1"), Description: ptr("step " + state),
		})
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("status %s: %v", state, err)
		}
		if st.GetTargetURL() != "https://ci.example/1" || st.GetEnvironment() != "prod-us-west-2a" {
			t.Errorf("status = %+v", st)
		}
	}
	statuses, _, err := gh.Repositories.ListDeploymentStatuses(ctx, "acme", "api", d1.GetID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 2 || statuses[0].GetState() != "success" {
		t.Errorf("statuses newest first: %v", statuses)
	}
	got, _, err := gh.Repositories.GetDeployment(ctx, "acme", "api", d1.GetID())
	if err != nil || got.GetID() != d1.GetID() {
		t.Fatalf("get: %v %v", got, err)
	}
	if _, resp, _ := gh.Repositories.CreateDeploymentStatus(ctx, "acme", "api", d1.GetID(), &github.DeploymentStatusRequest{
		State: ptr("success"), Description: ptr(strings.Repeat("x", 141)),
	}); statusOf(resp) != 422 {
		t.Errorf("long description: %d, want 422", statusOf(resp))
	}
}

func TestDeploymentDefaultsAndRefs(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	s.SetBranch(testRepo, "main", shaA)
	gh := client(t, s, 1)
	d, _, err := gh.Repositories.CreateDeployment(ctx, "acme", "api", &github.DeploymentRequest{Ref: ptr("main")})
	if err != nil {
		t.Fatal(err)
	}
	if d.GetSHA() != shaA || d.GetEnvironment() != "production" || d.GetTask() != "deploy" {
		t.Errorf("defaults = %+v", d)
	}
	if st := s.Deployments(testRepo)[0]; !st.AutoMerge || st.RequiredContexts != nil || !st.ProductionEnvironment {
		t.Errorf("omitted auto_merge/required_contexts should read as GitHub's defaults: %+v", st)
	}
	if _, resp, _ := gh.Repositories.CreateDeployment(ctx, "acme", "api", &github.DeploymentRequest{Ref: ptr("nope")}); statusOf(resp) != 422 {
		t.Errorf("unknown ref: %d", statusOf(resp))
	}
}

// TestAutoInactive: a success marks earlier successful deployments to the same
// non-production environment inactive, as GitHub's auto_inactive does.
func TestAutoInactive(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	gh := client(t, s, 1)
	deployOK := func() int64 {
		d, _, err := gh.Repositories.CreateDeployment(ctx, "acme", "api", &github.DeploymentRequest{Ref: ptr(shaA), Environment: ptr("beta")})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := gh.Repositories.CreateDeploymentStatus(ctx, "acme", "api", d.GetID(), &github.DeploymentStatusRequest{State: ptr("success")}); err != nil {
			t.Fatal(err)
		}
		return d.GetID()
	}
	deployOK()
	deployOK()
	ds := s.Deployments(testRepo)
	if n := len(ds[0].Statuses); n != 2 || ds[0].Statuses[1].State != "inactive" {
		t.Errorf("first deployment statuses = %+v", ds[0].Statuses)
	}
	if n := len(ds[1].Statuses); n != 1 {
		t.Errorf("second deployment statuses = %+v", ds[1].Statuses)
	}
}
