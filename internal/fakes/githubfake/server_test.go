package githubfake

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestETagAndRateLimit(t *testing.T) {
	s := newFake(t)
	auth := "token " + s.Token(1)
	resp, body := do(t, s, "GET", "/repos/acme/api", auth, "", nil)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag == "" || body == "" {
		t.Fatalf("first GET: %d etag %q", resp.StatusCode, etag)
	}
	if resp.Header.Get("X-RateLimit-Limit") != "5000" || resp.Header.Get("X-RateLimit-Remaining") != "4999" ||
		resp.Header.Get("X-RateLimit-Used") != "1" || resp.Header.Get("X-RateLimit-Resource") != "core" || resp.Header.Get("X-RateLimit-Reset") == "" {
		t.Errorf("rate headers = %v", resp.Header)
	}

	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag} {
		resp, body = do(t, s, "GET", "/repos/acme/api", auth, "", http.Header{"If-None-Match": {inm}})
		if resp.StatusCode != http.StatusNotModified || body != "" {
			t.Errorf("If-None-Match %s: %d %q", inm, resp.StatusCode, body)
		}
		if resp.Header.Get("X-RateLimit-Remaining") != "4999" {
			t.Errorf("a 304 is free: remaining %s", resp.Header.Get("X-RateLimit-Remaining"))
		}
	}
	resp, _ = do(t, s, "GET", "/repos/acme/api", auth, "", http.Header{"If-None-Match": {`"stale"`}})
	if resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Remaining") != "4998" {
		t.Errorf("stale ETag: %d, remaining %s", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}
	if n := s.Count("GET", "/repos/{owner}/{repo}"); n != 5 {
		t.Errorf("304s are recorded too: count %d, want 5", n)
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	gh := client(t, s, 1)
	s.SetRateLimitRemaining(1, 1)
	if _, _, err := gh.Repositories.Get(ctx, "acme", "api"); err != nil {
		t.Fatal(err)
	}
	_, _, err := gh.Repositories.Get(ctx, "acme", "api")
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || rl.Rate.Remaining != 0 {
		t.Errorf("err = %v, want a RateLimitError", err)
	}
}

func TestFailNext(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	gh := client(t, s, 1)
	s.FailNext("GET", "/repos/{owner}/{repo}", Fault{Status: http.StatusBadGateway, Times: 2})
	for i := range 2 {
		if _, resp, _ := gh.Repositories.Get(ctx, "acme", "api"); statusOf(resp) != http.StatusBadGateway {
			t.Errorf("call %d: %d, want 502", i, statusOf(resp))
		}
	}
	if _, _, err := gh.Repositories.Get(ctx, "acme", "api"); err != nil {
		t.Errorf("third call: %v", err)
	}

	s.FailNext("POST", "/repos/{owner}/{repo}/check-runs", Fault{
		Status: http.StatusForbidden, Header: http.Header{"Retry-After": {"30"}},
		Body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
	})
	_, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "api", github.CreateCheckRunOptions{Name: "n", HeadSHA: shaA})
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.GetRetryAfter().Seconds() != 30 {
		t.Errorf("err = %v, want a secondary rate limit with retry-after 30s", err)
	}
	if len(s.CheckRuns(testRepo)) != 0 {
		t.Error("a failed request must not change state")
	}
	// go-github remembers the abuse limit and refuses calls until it passes;
	// a fresh client shows the fault was consumed.
	gh = client(t, s, 1)
	if _, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "api", github.CreateCheckRunOptions{Name: "n", HeadSHA: shaA}); err != nil {
		t.Errorf("after the fault: %v", err)
	}

	s.FailNext("", "", Fault{Status: http.StatusNotFound})
	if _, resp, _ := gh.PullRequests.List(ctx, "acme", "api", nil); statusOf(resp) != 404 {
		t.Errorf("wildcard fault: %d", statusOf(resp))
	}
	want := []int{502, 502, 200, 403, 201, 404}
	var got []int
	for _, r := range s.Requests() {
		got = append(got, r.Status)
	}
	if !slices.Equal(got, want) {
		t.Errorf("recorded statuses %v, want %v", got, want)
	}
}

func TestRecording(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	gh := client(t, s, 1)
	if _, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "api", github.CreateCheckRunOptions{Name: "wavegate/review", HeadSHA: shaA}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Repositories.ListDeployments(ctx, "acme", "api", &github.DeploymentsListOptions{Environment: "beta"}); err != nil {
		t.Fatal(err)
	}
	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("recorded %d", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/repos/acme/api/check-runs" || r.Template != "/repos/{owner}/{repo}/check-runs" ||
		r.Status != 201 || !strings.Contains(string(r.Body), `"head_sha":"`+shaA+`"`) {
		t.Errorf("request = %+v", r)
	}
	if r.Header.Get("Authorization") != "" || r.Header.Get("User-Agent") == "" {
		t.Errorf("headers = %v: Authorization must be dropped, the rest kept", r.Header)
	}
	if reqs[1].Query.Get("environment") != "beta" {
		t.Errorf("query = %v", reqs[1].Query)
	}
	if s.Count("POST", "/repos/{owner}/{repo}/check-runs") != 1 || s.Count("GET", "/repos/{owner}/{repo}/check-runs") != 0 {
		t.Error("Count must match method and template")
	}
	if s.CountExcept("/repos/{owner}/{repo}/deployments") != 1 {
		t.Error("CountExcept")
	}
	s.ResetRecording()
	if s.Calls() != 0 || len(s.Requests()) != 0 {
		t.Error("ResetRecording")
	}
}

// TestConformanceCheck: cleanup flags requests GitHub's description does not
// have, and bodies its schemas reject, while the fake still answers them.
func TestConformanceCheck(t *testing.T) {
	ct := &captureTB{TB: t}
	s := New(ct)
	s.AddRepo("acme", "api", RepoOpts{})
	auth := "token " + s.Token(1)

	resp, body := do(t, s, "GET", "/repos/acme/api/branches", auth, "", nil)
	if resp.StatusCode != 404 || !strings.Contains(body, `"message":"Not Found"`) {
		t.Errorf("unknown route: %d %s", resp.StatusCode, body)
	}
	// Wrong method on a served path: also GitHub's 404, not Go's 405.
	if resp, _ := do(t, s, "PUT", "/repos/acme/api/check-runs/1", auth, "{}", nil); resp.StatusCode != 404 {
		t.Errorf("wrong method: %d", resp.StatusCode)
	}
	// The fake does not check the status enum; the schema does.
	resp, _ = do(t, s, "POST", "/repos/acme/api/check-runs", auth, `{"name":"n","head_sha":"`+shaA+`","status":"bogus"}`, nil)
	if resp.StatusCode != 201 {
		t.Errorf("bogus status: %d", resp.StatusCode)
	}
	if n := s.Count("GET", ""); n != 1 {
		t.Errorf("unknown routes are recorded with an empty template: %d", n)
	}

	errs := ct.runCleanups()
	if len(errs) != 3 {
		t.Fatalf("errors = %q, want 3", errs)
	}
	for i, want := range []string{"GET /repos/acme/api/branches", "PUT /repos/acme/api/check-runs/1", "POST /repos/acme/api/check-runs: request body"} {
		if !strings.Contains(errs[i], want) {
			t.Errorf("error %d = %q, want it to mention %q", i, errs[i], want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	s.AddPull(testRepo, Pull{Number: 1, User: "alice"})
	gh := client(t, s, 1)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if _, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "api", github.CreateCheckRunOptions{Name: "n", HeadSHA: shaA}); err != nil {
					t.Error(err)
				}
				if _, _, err := gh.Issues.CreateComment(ctx, "acme", "api", 1, &github.IssueComment{Body: ptr(itoa(w*each + i))}); err != nil {
					t.Error(err)
				}
				_ = s.CheckRuns(testRepo)
			}
		})
	}
	wg.Wait()
	if n := len(s.CheckRuns(testRepo)); n != workers*each {
		t.Errorf("check runs = %d", n)
	}
	if n := len(s.Comments(testRepo, 1)); n != workers*each {
		t.Errorf("comments = %d", n)
	}
	if n := s.Calls(); n != 2*workers*each {
		t.Errorf("calls = %d", n)
	}
}
