package deploy

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
)

func installationClient(t *testing.T) (*githubfake.Server, *github.Client) {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddInstallation(1, "acme")
	fake.AddRepo("acme", "api", githubfake.RepoOpts{InstallationID: 1, DefaultBranch: "main"})
	clients, err := githubapp.New(githubapp.Config{AppID: 1, PrivateKey: githubfake.AppKeyPEM(t), BaseURL: fake.URL(), Clock: clock.NewFake(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	client, err := clients.Installation(1)
	if err != nil {
		t.Fatal(err)
	}
	return fake, client
}

func TestGitHubDeploymentsCreate(t *testing.T) {
	fake, client := installationClient(t)
	sha := "0123456789abcdef0123456789abcdef01234567"
	fake.AddCommit("acme/api", githubfake.Commit{SHA: sha})
	req := Request{Key: "r12/wave-1/prod-us-west-2a/onebox/deploy", Repository: "acme/api", Release: "12",
		Pipeline: "app", Stage: "wave-1", Target: "prod-us-west-2a", Action: ActionDeploy, Variant: VariantOnebox,
		SHA: sha, PreviousSHA: "fedcba9876543210fedcba9876543210fedcba98"}
	gh := GitHubDeployments{}
	id, err := gh.Create(context.Background(), client, req, true, false)
	if err != nil {
		t.Fatal(err)
	}
	ds := fake.Deployments("acme/api")
	if len(ds) != 1 || ds[0].ID != id {
		t.Fatalf("deployments %+v, want the one created (%d)", ds, id)
	}
	d := ds[0]
	if d.Ref != sha || d.Environment != "prod-us-west-2a" || d.AutoMerge || d.RequiredContexts == nil ||
		len(d.RequiredContexts) != 0 || !d.ProductionEnvironment || d.Task != "deploy" {
		t.Fatalf("deployment %+v: want ref=sha, the target's environment, auto_merge false, required_contexts [], production", d)
	}
	var payload struct{ Wavegate Payload }
	if err := json.Unmarshal(d.Payload, &payload); err != nil || payload.Wavegate != payloadOf(req) {
		t.Fatalf("payload %s (%v), want %+v", d.Payload, err, payloadOf(req))
	}
	if len(d.Description) > 140 || !strings.Contains(d.Description, "0123456 to prod-us-west-2a") {
		t.Fatalf("description %q", d.Description)
	}

	// The step is tried again after a crash: found by its key, not repeated.
	again, err := gh.Create(context.Background(), client, req, true, true)
	if err != nil || again != id {
		t.Fatalf("reconciled create gave %d, %v; want the existing %d", again, err, id)
	}
	if n := fake.Count(http.MethodPost, "/repos/{owner}/{repo}/deployments"); n != 1 {
		t.Fatalf("%d deployments created, want 1", n)
	}
	// Another step of the same sha and target is a new deployment.
	req.Key, req.Variant = "r12/wave-1/prod-us-west-2a/full/deploy", VariantFull
	if _, err := gh.Create(context.Background(), client, req, true, true); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Deployments("acme/api")); n != 2 {
		t.Fatalf("%d deployments, want 2", n)
	}
}

func TestPayloadOfForeignDeployment(t *testing.T) {
	for _, raw := range []string{``, `{}`, `"text"`, `{"wavegate":{}}`, `{"other":{"key":"x"}}`} {
		if _, ok := PayloadOf(&github.Deployment{Payload: json.RawMessage(raw)}); ok {
			t.Errorf("payload %q taken for Wavegate's", raw)
		}
	}
	if p, ok := PayloadOf(&github.Deployment{Payload: json.RawMessage(`{"wavegate":{"key":"k","stage":"beta"}}`)}); !ok || p.Stage != "beta" {
		t.Fatalf("own payload: %+v %v", p, ok)
	}
}

func TestStatusOutcome(t *testing.T) {
	tests := []struct {
		state string
		want  Outcome
		done  bool
	}{
		{"success", Succeeded, true}, {"failure", Failed, true}, {"error", Failed, true},
		{"in_progress", "", false}, {"queued", "", false}, {"pending", "", false}, {"inactive", "", false},
	}
	for _, tc := range tests {
		if got, done := StatusOutcome(tc.state); got != tc.want || done != tc.done {
			t.Errorf("%s: %q %v, want %q %v", tc.state, got, done, tc.want, tc.done)
		}
	}
}

func TestDescriptionFitsGitHubsLimit(t *testing.T) {
	req := Request{Action: ActionRollback, SHA: "abcdef0123", Target: strings.Repeat("t", 200), Variant: VariantFull, Stage: "wave-2", Release: "9"}
	d := Description(req)
	if n := len([]rune(d)); n != 140 || !strings.HasPrefix(d, "Wavegate: Roll back abcdef0 to ttt") {
		t.Fatalf("description %q (%d runes)", d, n)
	}
}
