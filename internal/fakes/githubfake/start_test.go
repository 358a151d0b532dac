package githubfake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
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

// The viewer comments and presses check-run buttons on the page, with the
// page's token only; the callbacks carry it out and a failure shows.
func TestPullRequestPageActions(t *testing.T) {
	var comments []string
	var presses []string
	s, err := Start(Options{Viewer: "you",
		OnComment: func(fullName string, number int, body string) error {
			comments = append(comments, fmt.Sprintf("%s#%d %s", fullName, number, body))
			return nil
		},
		OnPress: func(fullName string, run CheckRun, identifier string) error {
			presses = append(presses, fmt.Sprintf("%s %s %s", fullName, run.Name, identifier))
			return errors.New("refused <for> a reason")
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.AddRepo("acme", "api", RepoOpts{})
	s.AddPull(testRepo, Pull{Number: 7, Title: "Faster", User: "octo", HeadSHA: shaA})
	gh := clientWithToken(t, s, s.Token(1))
	if _, _, err := gh.Checks.CreateCheckRun(context.Background(), "acme", "api", github.CreateCheckRunOptions{
		Name: "wavegate/deploy (app)", HeadSHA: shaA, Status: ptr("in_progress"),
		Actions: []*github.CheckRunAction{{Label: "Approve", Description: "approve the release", Identifier: "approve"}},
	}); err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(s.URL(), "/")
	page := func() string {
		t.Helper()
		resp, err := http.Get(base + "/acme/api/pull/7")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	body := page()
	token := s.formToken
	if !strings.Contains(body, `value="`+token+`"`) || !strings.Contains(body, ">Approve</button>") {
		t.Fatalf("the page has no Approve button with its token:\n%s", body)
	}
	post := func(path string, form url.Values) (*http.Response, string) {
		t.Helper()
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, _ := post("/acme/api/pull/7/comments", url.Values{"token": {"forged"}, "body": {"/deploy approve"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a comment without the page's token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := post("/acme/api/pull/7/comments", url.Values{"token": {token}, "body": {"/deploy approve"}}); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/acme/api/pull/7" {
		t.Errorf("a comment: %d to %q, want 303 back to the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	run := s.CheckRuns(testRepo)[0]
	resp, _ := post("/acme/api/pull/7/press", url.Values{"token": {token}, "check_run": {fmt.Sprint(run.ID)}, "identifier": {"approve"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "problem=") {
		t.Errorf("a refused press: %d to %q, want 303 back with the problem", resp.StatusCode, loc)
	} else if !strings.Contains(pageAt(t, base+loc), "refused &lt;for&gt; a reason") {
		t.Errorf("the page does not show the refusal")
	}
	post("/acme/api/pull/7/press", url.Values{"token": {token}, "check_run": {fmt.Sprint(run.ID)}, "identifier": {"rollback"}})
	if want := []string{"acme/api#7 /deploy approve"}; !slices.Equal(comments, want) {
		t.Errorf("comments %q, want %q", comments, want)
	}
	if want := []string{"acme/api wavegate/deploy (app) approve"}; !slices.Equal(presses, want) {
		t.Errorf("presses %q, want %q (a button the run does not have is not pressed)", presses, want)
	}
}

func pageAt(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
