package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/store"
)

// fakeRunner records what the pages ask the command runner and answers
// resp, with the reason echoed so tests see it come back.
type fakeRunner struct {
	mu      sync.Mutex
	reqs    []commandrun.Request
	invalid []commands.Parsed
	outcome commandrun.Outcome
}

func (f *fakeRunner) Run(_ context.Context, req commandrun.Request) (commandrun.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	return commandrun.Response{Outcome: f.outcome, Text: "ran " + string(req.Command.Verb) + ": " + req.Command.Reason}, nil
}

func (f *fakeRunner) RunInvalid(_ context.Context, req commandrun.Request, p commands.Parsed) (commandrun.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	f.invalid = append(f.invalid, p)
	return commandrun.Response{Outcome: commandrun.Invalid, Text: p.Err.Error()}, nil
}

func (f *fakeRunner) requests() []commandrun.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]commandrun.Request(nil), f.reqs...)
}

// authWorld is the pages with sign-in through a fake GitHub: Acme/API is
// installation 1's, Other/Web installation 2's; rita reads Acme/API, lead
// writes it, max maintains it, olga has only Other/Web.
type authWorld struct {
	t      *testing.T
	fake   *githubfake.Server
	clk    *clock.Fake
	runner *fakeRunner
	srv    *httptest.Server
}

func newAuthWorld(t *testing.T, configure func(*Config)) *authWorld {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddRepo("Acme", "API", githubfake.RepoOpts{InstallationID: 1})
	fake.AddRepo("Other", "Web", githubfake.RepoOpts{InstallationID: 2})
	for login, role := range map[string]string{"rita": "read", "lead": "write", "max": "maintain"} {
		fake.SetPermission("Acme/API", login, role)
		fake.AddUser(login)
	}
	fake.AddUser("olga", "Other/Web")
	fake.AddUser("nemo")
	fs := &fakeStore{}
	fs.add("Acme/API", prodPipeline(), bakingState())
	fs.add("Other/Web", prodPipeline(), bakingState())
	w := &authWorld{t: t, fake: fake, clk: clock.NewFake(now), runner: &fakeRunner{}}
	key := make([]byte, 32)
	// One command and one failed release in each repository, so that the
	// audit and metrics pages show whose rows each user may see.
	audit := &fakeAudit{}
	history := &fakeHistory{}
	for _, repo := range []string{"Acme/API", "Other/Web"} {
		audit.entries = append(audit.entries, store.AuditEntry{RequestID: repo, At: now.Add(-time.Hour), Repository: repo,
			Pipeline: "prod", Login: "max", Surface: store.SurfaceComment, Line: "/deploy pause prod --reason in-" + repo,
			Verb: "pause", Decision: store.AuditAccepted})
		history.rows = append(history.rows, store.HistoryEvent{Repository: repo, Pipeline: "prod", ReleaseID: 1,
			Kind: store.HistoryFailed, Stage: "beta", StartedAt: now.Add(-2 * time.Hour), At: now.Add(-time.Hour)})
	}
	cfg := Config{Index: fs, Engine: fs, Clock: w.clk, WebURL: githubapp.WebURL(fake.URL()), APIURL: fake.URL(),
		SessionKey: key, OAuth: fake.OAuthClient, Commands: w.runner, Audit: audit, History: history}
	if configure != nil {
		configure(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Routes(mux)
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	return w
}

// browser is a client with its own cookies that does not follow redirects
// into the pages unless told to.
func (w *authWorld) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// signIn goes through the whole flow as login: the sign-in link, GitHub's
// authorize page (login pre-selected), the callback, the overview.
func (w *authWorld) signIn(login string) *http.Client {
	w.t.Helper()
	c := w.browser()
	w.fake.SelectUser(login)
	defer w.fake.SelectUser("")
	resp, err := c.Get(w.srv.URL + "/ui/signin")
	if err != nil {
		w.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/ui/" || !strings.Contains(string(body), "Sign out ("+login+")") {
		w.t.Fatalf("sign-in as %s ended at %s with %d:\n%s", login, resp.Request.URL, resp.StatusCode, body)
	}
	return c
}

func (w *authWorld) get(c *http.Client, path string) (int, string) {
	w.t.Helper()
	resp, err := c.Get(w.srv.URL + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// post submits form without following the redirect.
func (w *authWorld) post(c *http.Client, path string, form url.Values) (*http.Response, string) {
	w.t.Helper()
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := nc.PostForm(w.srv.URL+path, form)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// field reads the first value of a form field on a page.
func field(t *testing.T, page, name string) string {
	t.Helper()
	i := strings.Index(page, `name="`+name+`" value="`)
	if i < 0 {
		t.Fatalf("no %s field in:\n%s", name, page)
	}
	rest := page[i+len(`name="`+name+`" value="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

const releasePath = "/ui/Acme/API/prod/releases/2"

func TestSignInAccess(t *testing.T) {
	w := newAuthWorld(t, nil)
	clients := map[string]*http.Client{"signed out": w.browser()}
	for _, login := range []string{"rita", "lead", "max", "olga", "nemo"} {
		clients[login] = w.signIn(login)
	}
	for _, tc := range []struct {
		who, path  string
		code       int
		want, hide string
	}{
		{"signed out", "/ui/", 401, "Sign in with GitHub", "Acme/API"},
		{"signed out", releasePath, 401, `href="/ui/signin"`, "Release #2"},
		{"signed out", "/ui/Acme/API/prod/releases/99", 401, "Sign in", "holds no release"},
		{"rita", "/ui/", 200, "Acme/API", "Other/Web"},
		{"rita", releasePath, 200, "Release #2", ""},
		{"rita", "/ui/acme/api/prod/releases/2", 200, "Release #2", ""},
		{"rita", "/ui/Other/Web/prod/releases/2", 404, "keeps no pipeline", "Release #2"},
		{"rita", "/ui/Nobody/Here/prod/releases/2", 404, "keeps no pipeline", ""},
		{"lead", releasePath, 200, "Act on this release", ""},
		{"max", "/ui/", 200, "Sign out (max)", "Other/Web"},
		{"olga", "/ui/", 200, "Other/Web", "Acme/API"},
		{"olga", releasePath, 404, "keeps no pipeline", "Release #2"},
		{"nemo", "/ui/", 200, "No pipeline here is of a repository GitHub lists for @nemo", "keeps no pipeline yet"},
		{"signed out", "/ui/audit", 401, "Sign in", "in-Acme/API"},
		{"signed out", "/ui/metrics", 401, "Sign in", "Acme/API"},
		{"rita", "/ui/audit", 200, "in-Acme/API", "in-Other/Web"},
		{"rita", "/ui/audit?repo=Other/Web", 404, "", "in-Other/Web"},
		{"olga", "/ui/audit", 200, "in-Other/Web", "in-Acme/API"},
		{"rita", "/ui/metrics", 200, "Acme/API", "Other/Web"},
		{"olga", "/ui/metrics", 200, "Other/Web", "Acme/API"},
	} {
		code, body := w.get(clients[tc.who], tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) || (tc.hide != "" && strings.Contains(body, tc.hide)) {
			t.Errorf("%s: GET %s = %d, want %d with %q and without %q:\n%s", tc.who, tc.path, code, tc.code, tc.want, tc.hide, body)
		}
	}
	// Every form is for signed-in users only, and a reader sees them too:
	// the runner, not the page, decides what a role may do.
	if _, body := w.get(clients["rita"], releasePath); !strings.Contains(body, `value="pause"`) {
		t.Errorf("rita's release page has no pause form")
	}
}

func TestSignInOffWithoutClient(t *testing.T) {
	w := newAuthWorld(t, func(c *Config) { c.OAuth = func() (string, string) { return "", "" } })
	for _, path := range []string{"/ui/", releasePath, "/ui/signin"} {
		if code, body := w.get(w.browser(), path); code != 404 || !strings.Contains(body, "--github-client-id") {
			t.Errorf("GET %s without a client = %d:\n%s", path, code, body)
		}
	}
}

func TestSessionCookieFlags(t *testing.T) {
	for _, tc := range []struct {
		public string
		secure bool
	}{{"", false}, {"http://wavegate.internal", false}, {"https://wavegate.example", true}} {
		w := newAuthWorld(t, func(c *Config) { c.PublicURL = tc.public })
		w.fake.SelectUser("rita")
		// By hand, without a cookie jar: a Secure cookie is still sent to
		// this plain-http test server, as a browser would over https.
		resp, err := http.DefaultTransport.RoundTrip(mustRequest(t, w.srv.URL+"/ui/signin"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var state *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == stateCookie {
				state = ck
			}
		}
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if state == nil || !state.HttpOnly || state.Secure != tc.secure || state.SameSite != http.SameSiteLaxMode {
			t.Errorf("public URL %q: state cookie %+v", tc.public, state)
		}
		if !strings.HasPrefix(loc.String(), w.fake.URL()+"login/oauth/authorize?") || loc.Query().Get("client_id") != "Iv1.fakeclientid" || loc.Query().Get("state") == "" {
			t.Fatalf("sign-in redirects to %s", loc)
		}
		if tc.public != "" && loc.Query().Get("redirect_uri") != tc.public+"/ui/oauth/callback" {
			t.Errorf("redirect_uri %s, want under %s", loc.Query().Get("redirect_uri"), tc.public)
		}
		// GitHub sends the browser back with a code.
		resp, err = http.DefaultTransport.RoundTrip(mustRequest(t, loc.String()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		back, _ := url.Parse(resp.Header.Get("Location"))
		req := mustRequest(t, w.srv.URL+"/ui/oauth/callback?"+back.RawQuery)
		req.AddCookie(&http.Cookie{Name: state.Name, Value: state.Value})
		resp, err = http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == sessionCookie && ck.Value != "" {
				session = ck
			}
		}
		if resp.StatusCode != http.StatusSeeOther || session == nil {
			t.Fatalf("public URL %q: callback %d, cookies %v", tc.public, resp.StatusCode, resp.Cookies())
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/ui/" || session.Secure != tc.secure {
			t.Errorf("public URL %q: session cookie %+v: want HttpOnly, SameSite=Lax, Path=/ui/, Secure %t", tc.public, session, tc.secure)
		}
		if strings.Contains(session.Value, "ghu_") || strings.Contains(session.Value, "rita") {
			t.Errorf("the session cookie shows its contents: %s", session.Value)
		}
	}
}

// A callback whose state is not the one this browser was given is refused
// before any code is exchanged.
func TestCallbackState(t *testing.T) {
	w := newAuthWorld(t, nil)
	c := w.browser()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(w.srv.URL + "/ui/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, tc := range []struct {
		name   string
		client *http.Client
		query  string
	}{
		{"wrong state", c, "code=abc&state=not-the-one"},
		{"no state", c, "code=abc"},
		{"no state cookie", w.browser(), "code=abc&state=whatever"},
	} {
		w.fake.ResetRecording()
		code, body := w.get(tc.client, "/ui/oauth/callback?"+tc.query)
		if code != 403 || !strings.Contains(body, "Sign in again") {
			t.Errorf("%s: callback = %d:\n%s", tc.name, code, body)
		}
		if n := w.fake.Count("POST", "/login/oauth/access_token"); n != 0 {
			t.Errorf("%s: %d code exchanges, want none", tc.name, n)
		}
		if code, _ := w.get(tc.client, "/ui/"); code != 401 {
			t.Errorf("%s: signed in after all (%d)", tc.name, code)
		}
	}
}

func TestForgedExpiredAndSignedOutSessions(t *testing.T) {
	w := newAuthWorld(t, nil)
	u, _ := url.Parse(w.srv.URL + "/ui/")

	forged := w.browser()
	forged.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: "eyJpIjoiYSIsImwiOiJtYXgifQ", Path: "/ui/"}})
	if code, _ := w.get(forged, "/ui/"); code != 401 {
		t.Errorf("forged cookie: %d, want 401", code)
	}

	// A cookie sealed with another key (another Wavegate) does not open.
	other, _ := newSealer([]byte(strings.Repeat("k", 32)))
	v, _ := other.seal(sessionCookie, session{ID: "x", Login: "max", Token: "ghu_x", Expires: now.Add(time.Hour).Unix()})
	foreign := w.browser()
	foreign.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: v, Path: "/ui/"}})
	if code, _ := w.get(foreign, "/ui/"); code != 401 {
		t.Errorf("cookie of another key: %d, want 401", code)
	}

	c := w.signIn("max")
	kept := c.Jar.Cookies(u)
	_, page := w.get(c, "/ui/")
	csrf := field(t, page, "csrf")
	if resp, _ := w.post(c, "/ui/signout", url.Values{}); resp.StatusCode != 403 {
		t.Errorf("sign-out without the CSRF token: %d, want 403", resp.StatusCode)
	}
	if code, _ := w.get(c, "/ui/"); code != 200 {
		t.Errorf("a refused sign-out signed out anyway: %d", code)
	}
	if resp, _ := w.post(c, "/ui/signout", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out: %d, want 303", resp.StatusCode)
	}
	if code, _ := w.get(c, "/ui/"); code != 401 {
		t.Errorf("after sign-out: %d, want 401", code)
	}
	replay := w.browser()
	replay.Jar.SetCookies(u, kept)
	if code, _ := w.get(replay, "/ui/"); code != 401 {
		t.Errorf("a copy of a signed-out session's cookie: %d, want 401", code)
	}

	c = w.signIn("max")
	w.clk.Advance(8*time.Hour + time.Second)
	if code, _ := w.get(c, "/ui/"); code != 401 {
		t.Errorf("after 8 hours: %d, want 401", code)
	}
}

// What GitHub says a user can read is asked once a minute per session.
func TestAccessCache(t *testing.T) {
	w := newAuthWorld(t, nil)
	c := w.signIn("rita")
	count := func() int {
		return w.fake.Count("GET", "/user/installations") + w.fake.Count("GET", "/user/installations/{installation_id}/repositories")
	}
	first := count()
	if first == 0 {
		t.Fatal("sign-in showed the overview without asking GitHub what rita can read")
	}
	w.get(c, "/ui/")
	w.get(c, releasePath)
	w.clk.Advance(59 * time.Second)
	w.get(c, "/ui/")
	if n := count(); n != first {
		t.Errorf("within a minute: %d calls to GitHub, want %d", n, first)
	}
	w.clk.Advance(time.Second)
	w.get(c, "/ui/")
	if n := count(); n != 2*first {
		t.Errorf("after a minute: %d calls, want %d", n, 2*first)
	}
	// Access taken away on GitHub shows after the minute.
	w.fake.SetPermission("Acme/API", "rita", "")
	w.clk.Advance(time.Minute)
	if code, _ := w.get(c, releasePath); code != 404 {
		t.Errorf("rita no longer reads Acme/API but sees its release: %d", code)
	}
}

func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// A token GitHub no longer takes ends the session; a GitHub that does not
// answer is said so, not shown as a page of nothing.
func TestGitHubRefusesOrFails(t *testing.T) {
	w := newAuthWorld(t, nil)
	c := w.signIn("rita")
	w.clk.Advance(accessTTL)
	w.fake.FailNext("GET", "/user/installations", githubfake.Fault{Status: 502})
	if code, body := w.get(c, "/ui/"); code != 503 || !strings.Contains(body, "GitHub did not answer") {
		t.Errorf("GitHub failing: %d:\n%s", code, body)
	}
	if code, _ := w.get(c, "/ui/"); code != 200 {
		t.Errorf("GitHub back: %d, want 200", code)
	}
	w.fake.RevokeUserTokens()
	w.clk.Advance(accessTTL)
	if code, body := w.get(c, releasePath); code != 401 || strings.Contains(body, "Release #2") {
		t.Errorf("with a revoked token: %d:\n%s", code, body)
	}
	w.fake.AddUser("rita") // GitHub would take a new token: signing in again works
	w.signIn("rita")
}

// Signing in from a page's 401 returns to that page; never elsewhere.
func TestSignInReturns(t *testing.T) {
	w := newAuthWorld(t, nil)
	c := w.browser()
	code, body := w.get(c, releasePath)
	link := `href="/ui/signin?next=%2Fui%2FAcme%2FAPI%2Fprod%2Freleases%2F2"`
	if code != 401 || !strings.Contains(body, link) {
		t.Fatalf("401 page lacks %s:\n%s", link, body)
	}
	w.fake.SelectUser("rita")
	resp, err := c.Get(w.srv.URL + "/ui/signin?next=" + url.QueryEscape(releasePath))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != releasePath || resp.StatusCode != 200 {
		t.Errorf("signed in at %s (%d), want %s", resp.Request.URL, resp.StatusCode, releasePath)
	}
	for _, next := range []string{"https://evil.example/ui/", "//evil.example/ui/", "/ui/\\evil", "/elsewhere", "javascript:alert(1)"} {
		if localPage(next) {
			t.Errorf("%q passes as a page to return to", next)
		}
		c := w.browser()
		resp, err := c.Get(w.srv.URL + "/ui/signin?next=" + url.QueryEscape(next))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Request.URL.Host != strings.TrimPrefix(w.srv.URL, "http://") || resp.Request.URL.Path != "/ui/" {
			t.Errorf("next=%q: signed in at %s, want the overview", next, resp.Request.URL)
		}
	}
}

// With a clock of its own for sign-in (the demo's pages run on a fast
// clock), a session lasts by that clock, whatever the pages' clock does.
func TestSessionClockIsSignInsOwn(t *testing.T) {
	session := clock.NewFake(now)
	w := newAuthWorld(t, func(c *Config) { c.SessionClock = session })
	max := w.signIn("max")
	w.clk.Advance(9 * time.Hour) // past a session's 8 hours on the pages' clock
	if code, body := w.get(max, "/ui/"); code != 200 || !strings.Contains(body, "Sign out (max)") {
		t.Fatalf("after 9 hours of the pages' clock: %d:\n%s", code, body)
	}
	session.Advance(9 * time.Hour)
	if code, _ := w.get(max, "/ui/"); code != 401 {
		t.Fatalf("after 9 hours of sign-in's clock: %d, want 401", code)
	}
}
