package githubfake

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// A fake started outside a test serves on loopback, tells its caller of
// each deployment once the request is served (so the caller may report on
// it at once), and stops on Close.
func TestStartOutsideATest(t *testing.T) {
	statuses := make(chan DeploymentStatus, 1)
	var s *Server
	s, err := Start(Options{OnDeployment: func(fullName string, d Deployment) {
		// Calling back into the fake here must not deadlock.
		st, err := s.AddDeploymentStatus(fullName, d.ID, "success", "deployed to "+d.Environment)
		if err != nil {
			t.Error(err)
		}
		statuses <- st
	}})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := url.Parse(s.URL()); err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("URL %q is not on 127.0.0.1 (%v)", s.URL(), err)
	}
	s.AddRepo("acme", "api", RepoOpts{})
	s.SetBranch(testRepo, "main", shaA)
	gh := clientWithToken(t, s, s.Token(1))
	d, _, err := gh.Repositories.CreateDeployment(context.Background(), "acme", "api", &github.DeploymentRequest{
		Ref: ptr(shaA), Environment: ptr("alpha"), AutoMerge: ptr(false), RequiredContexts: &[]string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	st := <-statuses
	if st.State != "success" || st.Environment != "alpha" {
		t.Fatalf("status %+v", st)
	}
	got := s.Deployments(testRepo)
	if len(got) != 1 || got[0].ID != d.GetID() || len(got[0].Statuses) != 1 || got[0].Statuses[0].ID != st.ID {
		t.Fatalf("deployments %+v", got)
	}
	if _, err := s.AddDeploymentStatus(testRepo, d.GetID(), "done", ""); err == nil {
		t.Error("a state GitHub does not know was accepted")
	}
	if _, err := s.AddDeploymentStatus(testRepo, d.GetID(), "success", strings.Repeat("x", 141)); err == nil {
		t.Error("a description over 140 characters was accepted")
	}
	if _, err := s.AddDeploymentStatus(testRepo, 424242, "success", ""); err == nil {
		t.Error("a status for an unknown deployment was accepted")
	}
	s.Close()
	if _, _, err := gh.Repositories.Get(context.Background(), "acme", "api"); err == nil {
		t.Fatal("the fake still answers after Close")
	}
}

func TestStartedFakePanicsOnMisuse(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer func() {
		if recover() == nil {
			t.Fatal("seeding an unknown repository did not panic")
		}
	}()
	s.SetPermission("nobody/here", "you", "maintain")
}

// The pull request page the demo's viewer reaches from Wavegate's pages
// shows the pull request, its checks and comments, escaped; the API is
// served as before beside it.
func TestStartedFakeServesPullRequestPages(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.AddRepo("acme", "api", RepoOpts{})
	s.AddPull(testRepo, Pull{Number: 7, Title: "Faster <checkout>", User: "octo", HeadSHA: shaA, HeadRef: "faster",
		Body: "- [x] Rollback tested"})
	s.AddComment(testRepo, 7, "wavegate[bot]", "Release 1: <b>released</b>")
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(strings.TrimSuffix(s.URL(), "/") + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/acme/api/pull/7")
	for _, want := range []string{"Faster &lt;checkout&gt;", "- [x] Rollback tested", "Release 1: &lt;b&gt;released&lt;/b&gt;", "opened by octo"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("pull request page: %d, want 200 with %q:\n%s", code, want, body)
		}
	}
	if code, _ := get("/acme/api/pull/8"); code != http.StatusNotFound {
		t.Errorf("an unknown pull request: %d, want 404", code)
	}
	if code, _ := get("/repos/acme/api/pulls/7"); code != http.StatusUnauthorized {
		t.Errorf("the API without a token: %d, want 401 as before", code)
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("%d requests recorded, want only the API one: pages are not API calls", n)
	}
}
