package githubapp

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"

	"github.com/wavegate/wavegate/internal/clock"
)

// stubRT answers every request with what fn returns.
type stubRT func(*http.Request) (*http.Response, error)

func (s stubRT) RoundTrip(r *http.Request) (*http.Response, error) { return s(r) }

// trackedBody records whether it was closed.
type trackedBody struct {
	io.Reader
	mu     sync.Mutex
	closed bool
}

func (b *trackedBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

func (b *trackedBody) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

func respond(status int, header map[string]string, body string) (*http.Response, *trackedBody) {
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	tb := &trackedBody{Reader: strings.NewReader(body)}
	return &http.Response{StatusCode: status, Header: h, Body: tb}, tb
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestRateLimitClassifiesResponses(t *testing.T) {
	fc := newFakeClock()
	now := fc.Now()
	const secondaryBody = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
	tests := []struct {
		name          string
		path          string
		status        int
		header        map[string]string
		body          string
		wantErr       bool
		wantSecondary bool
		wantUntil     time.Time
		wantResource  string
	}{
		{"secondary with retry-after", "/repos/o/r", 403, map[string]string{"Retry-After": "90"}, secondaryBody, true, true, now.Add(90 * time.Second), ""},
		{"secondary retry-after shorter than a minute", "/repos/o/r", 403, map[string]string{"Retry-After": "10"}, "", true, true, now.Add(time.Minute), ""},
		{"secondary retry-after as a date", "/repos/o/r", 403, map[string]string{"Retry-After": now.Add(5 * time.Minute).UTC().Format(http.TimeFormat)}, "", true, true, now.Add(5 * time.Minute), ""},
		{"secondary named only in the body", "/repos/o/r", 403, map[string]string{"X-RateLimit-Remaining": "4000"}, secondaryBody, true, true, now.Add(time.Minute), ""},
		{"429 without headers", "/repos/o/r", 429, nil, "", true, true, now.Add(time.Minute), ""},
		{"secondary outlasted by an exhausted quota", "/repos/o/r", 403, map[string]string{"Retry-After": "30", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": unix(now.Add(10 * time.Minute))}, "", true, true, now.Add(10 * time.Minute), ""},
		{"primary 403", "/repos/o/r", 403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": unix(now.Add(time.Hour))}, `{"message":"API rate limit exceeded"}`, true, false, now.Add(time.Hour), "core"},
		{"primary 429", "/repos/o/r", 429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": unix(now.Add(time.Hour))}, "", true, false, now.Add(time.Hour), "core"},
		{"primary search quota", "/search/issues", 403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": unix(now.Add(30 * time.Second)), "X-RateLimit-Resource": "search"}, "", true, false, now.Add(30 * time.Second), "search"},
		{"primary without reset", "/repos/o/r", 403, map[string]string{"X-RateLimit-Remaining": "0"}, "", true, false, now.Add(time.Minute), "core"},
		{"permission 403 is not a limit", "/repos/o/r", 403, map[string]string{"X-RateLimit-Remaining": "4000"}, `{"message":"Resource not accessible by integration"}`, false, false, time.Time{}, ""},
		{"404", "/repos/o/r", 404, nil, `{"message":"Not Found"}`, false, false, time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := respond(tt.status, tt.header, tt.body)
			rl := newRateLimit(stubRT(func(*http.Request) (*http.Response, error) { return resp, nil }), clock.NewFake(now), "")
			req, _ := http.NewRequest(http.MethodGet, "https://api.github.com"+tt.path, nil)
			got, err := rl.RoundTrip(req)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("RoundTrip error %v, want the response", err)
				}
				b, _ := io.ReadAll(got.Body)
				if string(b) != tt.body {
					t.Errorf("body = %q, want it intact: %q", b, tt.body)
				}
				if body.isClosed() {
					t.Error("body of a passed-on response was closed")
				}
				return
			}
			var rle *RateLimitError
			if !errors.As(err, &rle) {
				t.Fatalf("RoundTrip = %v, %v; want a *RateLimitError", got, err)
			}
			if !rle.Until.Equal(tt.wantUntil) || rle.Secondary != tt.wantSecondary || rle.Resource != tt.wantResource {
				t.Errorf("got Until=now+%v Secondary=%v Resource=%q; want now+%v %v %q",
					rle.Until.Sub(now), rle.Secondary, rle.Resource, tt.wantUntil.Sub(now), tt.wantSecondary, tt.wantResource)
			}
			if rle.Status != tt.status || rle.Method != "GET" || rle.Endpoint != normalizeEndpoint(tt.path) {
				t.Errorf("error describes %d %s %s, want %d GET %s", rle.Status, rle.Method, rle.Endpoint, tt.status, normalizeEndpoint(tt.path))
			}
			if !body.isClosed() {
				t.Error("rate-limited response body left open")
			}
			if !rle.RetryAt().Equal(rle.Until) || !rle.Transient() {
				t.Error("RetryAt/Transient disagree with the error")
			}
		})
	}
}

func TestSecondaryLimitBlocksUntilRetryAfter(t *testing.T) {
	f := newFakeGitHub(t, nil, "")
	f.on("GET /repos/o/r", reply{403, map[string]string{"Retry-After": "90"}, `{"message":"You have exceeded a secondary rate limit."}`})
	fc := newFakeClock()
	start := fc.Now()
	gh := NewAnonymous(Config{BaseURL: f.baseURL(), Clock: fc})

	_, _, err := gh.Repositories.Get(t.Context(), "o", "r")
	var rle *RateLimitError
	if !errors.As(err, &rle) || !rle.Secondary || !rle.Until.Equal(start.Add(90*time.Second)) {
		t.Fatalf("first call: err = %v, want a secondary RateLimitError until now+90s", err)
	}
	var retry interface{ RetryAt() time.Time }
	if !errors.As(err, &retry) || !retry.RetryAt().Equal(start.Add(90*time.Second)) {
		t.Errorf("error through go-github does not expose RetryAt() = now+90s: %v", err)
	}
	if !IsTransient(err) {
		t.Errorf("IsTransient(%v) = false", err)
	}

	fc.Advance(89 * time.Second)
	hits := f.total()
	_, _, err = gh.Repositories.Get(t.Context(), "o", "r")
	if !errors.As(err, &rle) || rle.Status != 0 || !rle.Until.Equal(start.Add(90*time.Second)) {
		t.Fatalf("call at now+89s: err = %v, want a fail-fast RateLimitError until now+90s", err)
	}
	if f.total() != hits {
		t.Fatalf("call at now+89s reached the server")
	}

	fc.Advance(time.Second)
	if _, _, err := gh.Repositories.Get(t.Context(), "o", "r"); err != nil {
		t.Fatalf("call at now+90s: %v", err)
	}
	if f.total() != hits+1 {
		t.Fatalf("call at now+90s did not reach the server")
	}
}

func TestConsecutiveSecondaryLimitsBackOffExponentially(t *testing.T) {
	f := newFakeGitHub(t, nil, "")
	limited := reply{403, nil, `{"message":"You have exceeded a secondary rate limit"}`}
	f.on("GET /repos/o/r", limited, limited, limited)
	fc := newFakeClock()
	gh := NewAnonymous(Config{BaseURL: f.baseURL(), Clock: fc})

	wantWaits := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute}
	for i, want := range wantWaits {
		now := fc.Now()
		_, _, err := gh.Repositories.Get(t.Context(), "o", "r")
		var rle *RateLimitError
		if !errors.As(err, &rle) || rle.Status != 403 {
			t.Fatalf("limit %d: err = %v, want a RateLimitError from GitHub's 403", i+1, err)
		}
		if got := rle.Until.Sub(now); got != want {
			t.Fatalf("limit %d: wait %v, want %v", i+1, got, want)
		}
		fc.Set(rle.Until)
	}
	// A success ends the streak: the next limit waits a minute again.
	if _, _, err := gh.Repositories.Get(t.Context(), "o", "r"); err != nil {
		t.Fatal(err)
	}
	f.on("GET /repos/o/r", limited)
	now := fc.Now()
	_, _, err := gh.Repositories.Get(t.Context(), "o", "r")
	var rle *RateLimitError
	if !errors.As(err, &rle) || rle.Until.Sub(now) != time.Minute {
		t.Fatalf("limit after a success: err = %v, want a wait of 1m", err)
	}
}

func TestSecondaryBackoffIsCapped(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 30 * time.Minute, 30 * time.Minute}
	for i, w := range want {
		if got := secondaryBackoff(i + 1); got != w {
			t.Errorf("secondaryBackoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := secondaryBackoff(1000); got != 30*time.Minute {
		t.Errorf("secondaryBackoff(1000) = %v, want the cap", got)
	}
}

func TestPrimaryLimitBlocksItsResourceUntilReset(t *testing.T) {
	f := newFakeGitHub(t, nil, "")
	fc := newFakeClock()
	reset := fc.Now().Add(time.Hour)
	f.on("GET /repos/o/r", reply{403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": unix(reset), "X-RateLimit-Resource": "core"}, `{"message":"API rate limit exceeded"}`})
	gh := NewAnonymous(Config{BaseURL: f.baseURL(), Clock: fc})

	_, _, err := gh.Repositories.Get(t.Context(), "o", "r")
	var rle *RateLimitError
	if !errors.As(err, &rle) || rle.Secondary || !rle.Until.Equal(reset) {
		t.Fatalf("err = %v, want a primary RateLimitError until the reset", err)
	}

	fc.Set(reset.Add(-time.Second))
	hits := f.total()
	if _, _, err := gh.Issues.Get(t.Context(), "o", "r", 1); !errors.As(err, &rle) || !rle.Until.Equal(reset) {
		t.Fatalf("core call before reset: err = %v, want a fail-fast RateLimitError", err)
	}
	if f.total() != hits {
		t.Fatal("core call before reset reached the server")
	}
	// The search quota is separate.
	if _, _, err := gh.Search.Issues(t.Context(), "is:open", nil); err != nil {
		t.Fatalf("search call while core is exhausted: %v", err)
	}

	fc.Set(reset)
	if _, _, err := gh.Repositories.Get(t.Context(), "o", "r"); err != nil {
		t.Fatalf("call at reset: %v", err)
	}
}

func TestExhaustedQuotaOnSuccessBlocksTheNextCall(t *testing.T) {
	f := newFakeGitHub(t, nil, "")
	fc := newFakeClock()
	reset := fc.Now().Add(10 * time.Minute)
	f.on("GET /a", reply{200, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": unix(reset)}, "last one"})
	// go-github would refuse on its own; the raw http.Client shows our layer does.
	hc := NewAnonymous(Config{BaseURL: f.baseURL(), Clock: fc}).Client()
	resp, err := hc.Get(f.baseURL() + "a")
	if err != nil {
		t.Fatalf("the call that spent the quota: %v", err)
	}
	resp.Body.Close()
	hits := f.total()
	_, err = hc.Get(f.baseURL() + "b")
	var rle *RateLimitError
	if !errors.As(err, &rle) || !rle.Until.Equal(reset) || f.total() != hits {
		t.Fatalf("next call: err = %v (server hits %d -> %d), want a fail-fast RateLimitError until reset", err, hits, f.total())
	}
}

func TestRateLimitStateIsPerClient(t *testing.T) {
	key, pemKey := newKey(t)
	f := newFakeGitHub(t, key, "")
	c := newTestClients(t, f, pemKey, nil)
	one, _ := c.Installation(1)
	two, _ := c.Installation(2)
	f.on("GET /repos/o/one", reply{403, map[string]string{"Retry-After": "60"}, ""})
	if _, _, err := one.Repositories.Get(t.Context(), "o", "one"); !errors.As(err, new(*RateLimitError)) {
		t.Fatalf("installation 1: err = %v, want a RateLimitError", err)
	}
	if _, _, err := one.Repositories.Get(t.Context(), "o", "other"); !errors.As(err, new(*RateLimitError)) {
		t.Fatalf("installation 1 again: err = %v, want it still blocked", err)
	}
	if _, _, err := two.Repositories.Get(t.Context(), "o", "two"); err != nil {
		t.Errorf("installation 2 blocked by installation 1's limit: %v", err)
	}
	if _, _, err := c.App().Apps.Get(t.Context(), ""); err != nil {
		t.Errorf("App client blocked by installation 1's limit: %v", err)
	}
}

func TestRateLimitedTokenRequest(t *testing.T) {
	key, pemKey := newKey(t)
	f := newFakeGitHub(t, key, "")
	fc := newFakeClock()
	c := newTestClients(t, f, pemKey, func(cfg *Config) { cfg.Clock = fc })
	f.on("POST /app/installations/9/access_tokens", reply{403, map[string]string{"Retry-After": "120"}, `{"message":"You have exceeded a secondary rate limit"}`})
	gh, _ := c.Installation(9)

	_, _, err := gh.Repositories.Get(t.Context(), "o", "r")
	var rle *RateLimitError
	if !errors.As(err, &rle) || !rle.Until.Equal(fc.Now().Add(2*time.Minute)) {
		t.Fatalf("err = %v, want a RateLimitError until now+2m from the token request", err)
	}
	_, _, err = gh.Repositories.Get(t.Context(), "o", "r")
	if !errors.As(err, &rle) || rle.Status != 0 {
		t.Fatalf("second call: err = %v, want a fail-fast RateLimitError", err)
	}
	if n := len(f.requests("POST /app/installations/9/access_tokens")); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
	fc.Advance(2 * time.Minute)
	if _, _, err := gh.Repositories.Get(t.Context(), "o", "r"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

// A burst of calls already in flight when the limit hits is one limit, not
// several consecutive ones.
func TestConcurrentLimitedAnswersCountOnce(t *testing.T) {
	fc := newFakeClock()
	start := fc.Now()
	var arrived sync.WaitGroup
	arrived.Add(2)
	release := make(chan struct{})
	var mu sync.Mutex
	hold := true
	rl := newRateLimit(stubRT(func(*http.Request) (*http.Response, error) {
		mu.Lock()
		h := hold
		mu.Unlock()
		if h {
			arrived.Done()
			<-release
		}
		resp, _ := respond(429, nil, "")
		return resp, nil
	}), fc, "")

	errs := make(chan error, 2)
	for range 2 {
		go func() {
			req, _ := http.NewRequest(http.MethodGet, "https://api.github.com/repos/o/r", nil)
			_, err := rl.RoundTrip(req)
			errs <- err
		}()
	}
	arrived.Wait()
	mu.Lock()
	hold = false
	mu.Unlock()
	close(release)
	for range 2 {
		var rle *RateLimitError
		if err := <-errs; !errors.As(err, &rle) || !rle.Until.Equal(start.Add(time.Minute)) {
			t.Fatalf("burst answer: err = %v, want a RateLimitError until now+1m", err)
		}
	}

	fc.Set(start.Add(time.Minute))
	req, _ := http.NewRequest(http.MethodGet, "https://api.github.com/repos/o/r", nil)
	_, err := rl.RoundTrip(req)
	var rle *RateLimitError
	if !errors.As(err, &rle) || rle.Until.Sub(fc.Now()) != 2*time.Minute {
		t.Fatalf("next limit: err = %v, want a wait of 2m (the burst counted once)", err)
	}
}

func TestFailFastClosesRequestBody(t *testing.T) {
	fc := newFakeClock()
	rl := newRateLimit(stubRT(func(*http.Request) (*http.Response, error) {
		resp, _ := respond(429, nil, "")
		return resp, nil
	}), fc, "")
	req, _ := http.NewRequest(http.MethodGet, "https://api.github.com/x", nil)
	if _, err := rl.RoundTrip(req); err == nil {
		t.Fatal("want a limit")
	}
	body := &trackedBody{Reader: strings.NewReader("{}")}
	req, _ = http.NewRequest(http.MethodPost, "https://api.github.com/x", body)
	if _, err := rl.RoundTrip(req); !errors.As(err, new(*RateLimitError)) {
		t.Fatalf("err = %v, want a fail-fast limit", err)
	}
	if !body.isClosed() {
		t.Error("request body not closed when refusing")
	}
}

// ghinstallation hands a failed token answer back inside its error with the
// body still open; the stack must release it yet keep it readable.
func TestFailedTokenRequestReleasesBody(t *testing.T) {
	_, pemKey := newKey(t)
	var body *trackedBody
	base := stubRT(func(r *http.Request) (*http.Response, error) {
		resp, b := respond(http.StatusServiceUnavailable, nil, `{"message":"try later"}`)
		body = b
		resp.Request = r
		return resp, nil
	})
	c, err := New(Config{AppID: testAppID, PrivateKey: pemKey, BaseURL: "https://ghe.example.com/api/v3", Base: base, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	gh, _ := c.Installation(11)
	_, _, err = gh.Repositories.Get(t.Context(), "o", "r")
	var he *ghinstallation.HTTPError
	if !errors.As(err, &he) || he.Response == nil {
		t.Fatalf("err = %v, want ghinstallation's HTTPError", err)
	}
	if !body.isClosed() {
		t.Error("token answer body left open")
	}
	if b, _ := io.ReadAll(he.Response.Body); string(b) != `{"message":"try later"}` {
		t.Errorf("token answer body reads %q after release, want it kept", b)
	}
	if !IsTransient(err) {
		t.Errorf("IsTransient(%v) = false for a 503 token answer", err)
	}
	if n := callsOf(c.Calls(), "POST", "/app/installations/{installation_id}/access_tokens", "503"); n != 1 {
		t.Errorf("token request counted %d times, want 1: %+v", n, c.Calls())
	}
}
