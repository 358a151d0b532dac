package githubapp

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
)

func TestConfigSource(t *testing.T) {
	fake, client, clk := acmeInstallation(t)
	fake.AddRepo("acme", ".github", githubfake.RepoOpts{InstallationID: 1, DefaultBranch: "main"})
	fake.SetFile("acme/.github", "main", "wavegate.yml", "review:\n  approvals: 2\n  checklist: [Rollback tested]\n")
	fake.SetFile("acme/api", "main", ".github/wavegate.yml", "review:\n  approvals: 1\n")
	src := NewConfigSource(clk, time.Minute)
	ctx := context.Background()
	const contents = "/repos/{owner}/{repo}/contents/{path}"

	loaded, err := src.Load(ctx, client, "acme", "api", "main")
	if err != nil || loaded.Err != nil {
		t.Fatalf("load: %v %v", err, loaded.Err)
	}
	if got := loaded.Config.Review; got.Approvals != 1 || len(got.Checklist) != 1 || got.Checklist[0] != "Rollback tested" {
		t.Fatalf("merged policy %+v, want the repository's approvals over the organization's checklist", got)
	}
	if n := fake.Count(http.MethodGet, contents); n != 2 {
		t.Fatalf("first load made %d contents calls, want 2", n)
	}
	// Remembered: no call at all.
	if _, err := src.Load(ctx, client, "acme", "api", "main"); err != nil {
		t.Fatal(err)
	}
	if n := fake.Count(http.MethodGet, contents); n != 2 {
		t.Fatalf("a remembered load made %d more calls", n-2)
	}
	// After the TTL the files are revalidated: 304s, which cost no rate limit.
	clk.Advance(time.Minute)
	if _, err := src.Load(ctx, client, "acme", "api", "main"); err != nil {
		t.Fatal(err)
	}
	var notModified int
	for _, r := range fake.Requests() {
		if r.Template == contents && r.Status == http.StatusNotModified {
			notModified++
		}
	}
	if notModified != 2 {
		t.Fatalf("revalidation got %d 304s, want 2", notModified)
	}
	// A push that breaks the organization file reaches every repository.
	fake.SetFile("acme/.github", "main", "wavegate.yml", "review:\n  aprovals: 2\n")
	src.Invalidate("acme", ".github")
	loaded, err = src.Load(ctx, client, "acme", "api", "main")
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Err == nil || loaded.Config != nil || !strings.Contains(loaded.Diagnostics.Error(), `"aprovals"`) {
		t.Fatalf("a broken file gave %+v; it must never fall back to a config", loaded)
	}
}

func TestConfigSourceWithoutFiles(t *testing.T) {
	_, client, clk := acmeInstallation(t)
	loaded, err := NewConfigSource(clk, 0).Load(context.Background(), client, "acme", "api", "main")
	if err != nil || loaded.Err != nil {
		t.Fatalf("no files: %v %v", err, loaded.Err)
	}
	def := checks.DefaultPolicy()
	if got := loaded.Config.Review; got.Approvals != def.Approvals || got.ApproverPermission != def.ApproverPermission ||
		got.StaleApprovals != def.StaleApprovals || len(got.Checklist) != 0 {
		t.Fatalf("policy without files %+v, want the defaults", got)
	}
}

// acmeInstallation is a fake GitHub with installation 1 of acme and its
// repository acme/api, and that installation's client on a fake clock.
func acmeInstallation(t *testing.T) (*githubfake.Server, *github.Client, *clock.Fake) {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddInstallation(1, "acme")
	fake.AddRepo("acme", "api", githubfake.RepoOpts{InstallationID: 1, DefaultBranch: "main"})
	_, keyPEM := newKey(t)
	clk := newFakeClock()
	clients, err := New(Config{AppID: 1, PrivateKey: keyPEM, BaseURL: fake.URL(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	client, err := clients.Installation(1)
	if err != nil {
		t.Fatal(err)
	}
	return fake, client, clk
}
