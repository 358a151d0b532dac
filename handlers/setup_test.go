package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/appcreds"
	"github.com/wavegate/wavegate/internal/clock"
)

const (
	testCode          = "a180b1a3d263c81bc6441d7b990bae27d4c10679"
	testClientSecret  = "1f0c8e0d9b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d"
	testWebhookSecret = "5e3c7a9b1d2f4e6a8c0b2d4f6e8a0c2e4b6d8f0a"
	testKeyBody       = "MIIEpAIBAAKCAQEAzGk3c2VjcmV0LWtleS1ib2R5LWZvci10ZXN0cw=="
	testToken         = "QK7VZ2MHT4XWJ3RB5YN6PLCDEA"
	testTokenFile     = "/var/lib/wavegate/setup-token"
)

func readAppYML(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../app.yml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func testCreds() appcreds.Credentials {
	return appcreds.Credentials{
		AppID:         98765,
		Slug:          "wavegate-acme",
		Name:          "Wavegate (acme)",
		HTMLURL:       "https://github.com/apps/wavegate-acme",
		ClientID:      "Iv23liQ1w2e3r4t5y6u7",
		ClientSecret:  testClientSecret,
		WebhookSecret: testWebhookSecret,
		PrivateKeyPEM: []byte("-----BEGIN RSA PRIVATE KEY-----\n" + testKeyBody + "\n-----END RSA PRIVATE KEY-----\n"),
	}
}

// setupHarness drives a Setup through an http.ServeMux with fakes that
// record what the flow hands them.
type setupHarness struct {
	t     *testing.T
	clock *clock.Fake
	mux   *http.ServeMux
	setup *Setup
	// cookie is the setup cookie once admit has presented the token;
	// do sends it with every request.
	cookie *http.Cookie

	mu          sync.Mutex
	exchanged   []string
	registered  []appcreds.Credentials
	configured  string // slug in force; empty: not configured
	exchangeErr error
	reloaded    bool
	// duringExchange, when set, runs inside Exchange: a test holds a
	// registration in flight with it.
	duringExchange func()
}

func newSetupHarness(t *testing.T, edit func(*SetupConfig)) *setupHarness {
	t.Helper()
	h := &setupHarness{t: t, clock: clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), mux: http.NewServeMux(), reloaded: true}
	cfg := SetupConfig{
		Manifest:  readAppYML(t),
		PublicURL: "https://wavegate.example.com",
		WebURL:    "https://github.com",
		Exchange: func(ctx context.Context, code string) (appcreds.Credentials, error) {
			if h.duringExchange != nil {
				h.duringExchange()
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			h.exchanged = append(h.exchanged, code)
			if h.exchangeErr != nil {
				return appcreds.Credentials{}, h.exchangeErr
			}
			return testCreds(), nil
		},
		Registered: func(ctx context.Context, c appcreds.Credentials) (bool, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.registered = append(h.registered, c)
			if h.reloaded {
				h.configured = c.Slug
			}
			return h.reloaded, nil
		},
		Configured: func() (ConfiguredApp, bool) {
			h.mu.Lock()
			defer h.mu.Unlock()
			return ConfiguredApp{ID: testCreds().AppID, Slug: h.configured}, h.configured != ""
		},
		Token:     testToken,
		TokenFile: testTokenFile,
		Clock:     h.clock,
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewSetup(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Routes(h.mux)
	h.setup = s
	return h
}

// admit presents the setup token as the start-up log line does and keeps
// the cookie it earns.
func (h *setupHarness) admit() {
	h.t.Helper()
	res := h.do(http.MethodGet, "/?token="+testToken, nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" {
		h.t.Fatalf("GET /?token=TOKEN = %d to %q, want 303 to /: %s", res.status, res.header.Get("Location"), res.body)
	}
	h.cookie = setupCookieIn(h.t, res)
}

func setupCookieIn(t *testing.T, res pageResult) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == setupCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie set; headers %v", setupCookie, res.header)
	return nil
}

// statesIssued counts outstanding states, to prove that none were issued.
func (h *setupHarness) statesIssued() int {
	h.setup.states.mu.Lock()
	defer h.setup.states.mu.Unlock()
	return len(h.setup.states.issued)
}

type pageResult struct {
	status int
	header http.Header
	body   string
}

func (h *setupHarness) do(method, target string, edit func(*http.Request)) pageResult {
	h.t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if h.cookie != nil {
		req.AddCookie(&http.Cookie{Name: h.cookie.Name, Value: h.cookie.Value})
	}
	if edit != nil {
		edit(req)
	}
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return pageResult{status: rec.Code, header: rec.Result().Header, body: string(body)}
}

// setupForm loads / as a token holder and returns the form's target and
// the manifest it posts.
func (h *setupHarness) setupForm(edit func(*http.Request)) (action *url.URL, manifest map[string]any) {
	h.t.Helper()
	if h.cookie == nil {
		h.admit()
	}
	res := h.do(http.MethodGet, "/", edit)
	if res.status != http.StatusOK {
		h.t.Fatalf("GET / = %d: %s", res.status, res.body)
	}
	checkPageHeaders(h.t, res)
	if !strings.Contains(res.body, "Register Wavegate on GitHub") {
		h.t.Fatalf("setup page lacks the register button: %s", res.body)
	}
	m := regexp.MustCompile(`<form method="post" action="(https://[^"]*)">`).FindStringSubmatch(res.body)
	if m == nil {
		h.t.Fatalf("setup page has no POST form: %s", res.body)
	}
	action, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		h.t.Fatal(err)
	}
	mm := regexp.MustCompile(`<input type="hidden" name="manifest" value="([^"]*)">`).FindStringSubmatch(res.body)
	if mm == nil {
		h.t.Fatalf("setup page has no manifest field: %s", res.body)
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(mm[1])), &manifest); err != nil {
		h.t.Fatalf("manifest field is not JSON: %v: %s", err, mm[1])
	}
	return action, manifest
}

func checkPageHeaders(t *testing.T, res pageResult) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Type":    "text/html; charset=utf-8",
		"X-Frame-Options": "DENY",
		"Cache-Control":   "no-store",
	} {
		if got := res.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestSetupPageFormTarget(t *testing.T) {
	tests := []struct {
		name, webURL, org, want string
	}{
		{"github.com", "", "", "https://github.com/settings/apps/new"},
		{"github.com org", "https://github.com/", "acme", "https://github.com/organizations/acme/settings/apps/new"},
		{"GHES", "https://ghe.example.com", "", "https://ghe.example.com/settings/apps/new"},
		{"GHES org", "https://ghe.example.com", "platform", "https://ghe.example.com/organizations/platform/settings/apps/new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSetupHarness(t, func(c *SetupConfig) { c.WebURL, c.Org = tt.webURL, tt.org })
			action, _ := h.setupForm(nil)
			state := action.Query().Get("state")
			action.RawQuery = ""
			if action.String() != tt.want {
				t.Errorf("form posts to %s, want %s", action, tt.want)
			}
			if len(state) < 20 {
				t.Errorf("state %q is missing or too short to be unguessable", state)
			}
		})
	}
}

func TestSetupPageStatesDiffer(t *testing.T) {
	h := newSetupHarness(t, nil)
	a, _ := h.setupForm(nil)
	b, _ := h.setupForm(nil)
	if a.Query().Get("state") == b.Query().Get("state") {
		t.Fatal("two page loads got the same state")
	}
}

func TestSetupManifestJSON(t *testing.T) {
	app, err := parseManifest(readAppYML(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, publicURL, host, proto, want string
		warn                               bool
	}{
		{"configured", "https://wavegate.example.com/", "ignored.example", "", "https://wavegate.example.com", false},
		{"configured beats forwarded headers", "https://wavegate.example.com", "evil.example", "http", "https://wavegate.example.com", false},
		{"from request behind proxy", "", "deploys.acme.dev", "https", "https://deploys.acme.dev", false},
		{"from plain request", "", "localhost:8080", "", "http://localhost:8080", true},
		{"loopback ip", "", "127.0.0.1:8080", "https", "https://127.0.0.1:8080", true},
		{"unknown proto ignored", "", "deploys.acme.dev", "javascript", "http://deploys.acme.dev", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSetupHarness(t, func(c *SetupConfig) { c.PublicURL = tt.publicURL })
			h.admit()
			res := h.do(http.MethodGet, "/", func(r *http.Request) {
				r.Host = tt.host
				r.Header.Set("X-Forwarded-Host", "injected.example")
				if tt.proto != "" {
					r.Header.Set("X-Forwarded-Proto", tt.proto)
				}
			})
			if got := strings.Contains(res.body, "GitHub may not be able to reach"); got != tt.warn {
				t.Errorf("reachability warning shown = %v, want %v", got, tt.warn)
			}
			derived := tt.publicURL == ""
			if got := strings.Contains(res.body, "they come from your browser's request"); got != derived {
				t.Errorf("derived-address warning shown = %v, want %v", got, derived)
			}
			if strings.Contains(res.body, "injected.example") {
				t.Error("X-Forwarded-Host reached the page")
			}
			_, m := h.setupForm(func(r *http.Request) {
				r.Host = tt.host
				if tt.proto != "" {
					r.Header.Set("X-Forwarded-Proto", tt.proto)
				}
			})
			hook, _ := m["hook_attributes"].(map[string]any)
			for field, want := range map[string]any{
				"name":         "Wavegate",
				"url":          tt.want,
				"redirect_url": tt.want + "/setup/callback",
				"setup_url":    tt.want + "/",
				"public":       false,
			} {
				if m[field] != want {
					t.Errorf("%s = %v, want %v", field, m[field], want)
				}
			}
			if hook["url"] != tt.want+"/webhooks/github" || hook["active"] != true {
				t.Errorf("hook_attributes = %v", hook)
			}
			perms := map[string]string{}
			for k, v := range m["default_permissions"].(map[string]any) {
				perms[k] = v.(string)
			}
			if !mapsEqual(perms, app.DefaultPermissions) {
				t.Errorf("default_permissions = %v, want app.yml's %v", perms, app.DefaultPermissions)
			}
			var events []string
			for _, e := range m["default_events"].([]any) {
				events = append(events, e.(string))
			}
			if !slices.Equal(events, app.DefaultEvents) {
				t.Errorf("default_events = %v, want app.yml's %v", events, app.DefaultEvents)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func (h *setupHarness) callback(state, code string) pageResult {
	h.t.Helper()
	q := url.Values{}
	if state != "" {
		q.Set("state", state)
	}
	if code != "" {
		q.Set("code", code)
	}
	return h.do(http.MethodGet, "/setup/callback?"+q.Encode(), nil)
}

func TestCallbackBadState(t *testing.T) {
	h := newSetupHarness(t, nil)
	action, _ := h.setupForm(nil)
	good := action.Query().Get("state")
	for name, state := range map[string]string{
		"missing":  "",
		"unknown":  "NOTISSUEDBYTHISSERVER2345",
		"modified": good + "x",
	} {
		t.Run(name, func(t *testing.T) {
			res := h.callback(state, testCode)
			if res.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400", res.status)
			}
			checkPageHeaders(t, res)
			if !strings.Contains(res.body, "not valid") {
				t.Errorf("page does not explain the refusal: %s", res.body)
			}
		})
	}
	if len(h.exchanged) != 0 {
		t.Fatalf("Exchange called %d times for bad states", len(h.exchanged))
	}
}

func TestCallbackRegisters(t *testing.T) {
	h := newSetupHarness(t, nil)
	action, _ := h.setupForm(nil)
	state := action.Query().Get("state")

	res := h.callback(state, testCode)
	if res.status != http.StatusOK {
		t.Fatalf("callback = %d: %s", res.status, res.body)
	}
	checkPageHeaders(t, res)
	if got := res.header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer: the URL holds the code", got)
	}
	if !slices.Equal(h.exchanged, []string{testCode}) {
		t.Errorf("Exchange got %v, want [%s]", h.exchanged, testCode)
	}
	if len(h.registered) != 1 || h.registered[0].AppID != testCreds().AppID || h.registered[0].WebhookSecret != testWebhookSecret {
		t.Fatalf("Registered got %v, want the exchanged credentials", h.registered)
	}
	for _, want := range []string{
		"Wavegate is registered as <strong>wavegate-acme</strong>",
		`href="https://github.com/apps/wavegate-acme/installations/new"`,
	} {
		if !strings.Contains(res.body, want) {
			t.Errorf("done page lacks %q: %s", want, res.body)
		}
	}
	if strings.Contains(res.body, "Restart Wavegate now") {
		t.Error("done page asks for a restart although Registered reloaded")
	}
	assertNoSecrets(t, res.body)

	// Now configured: the home page says so, and nothing re-registers.
	home := h.do(http.MethodGet, "/", nil)
	if home.status != http.StatusOK || !strings.Contains(home.body, "Wavegate is running") ||
		!strings.Contains(home.body, "https://wavegate.example.com/webhooks/github") || !strings.Contains(home.body, `href="/ui/"`) {
		t.Errorf("home after registration = %d: %s", home.status, home.body)
	}
	if strings.Contains(home.body, "<form") {
		t.Error("home page offers registration again once configured")
	}
	again := h.callback(state, testCode)
	if again.status != http.StatusConflict || !strings.Contains(again.body, "already configured") {
		t.Errorf("second callback = %d: %s", again.status, again.body)
	}
	if len(h.exchanged) != 1 || len(h.registered) != 1 {
		t.Errorf("second callback reached Exchange/Registered: %d/%d calls", len(h.exchanged), len(h.registered))
	}
}

func TestCallbackRestartNotice(t *testing.T) {
	h := newSetupHarness(t, nil)
	h.reloaded = false
	action, _ := h.setupForm(nil)
	res := h.callback(action.Query().Get("state"), testCode)
	if res.status != http.StatusOK || !strings.Contains(res.body, "Restart Wavegate now") {
		t.Fatalf("callback = %d, want the restart notice: %s", res.status, res.body)
	}
	// Not in force until restarted, yet no second App may be registered.
	home := h.do(http.MethodGet, "/", nil)
	if !strings.Contains(home.body, "Restart Wavegate now") || strings.Contains(home.body, "<form") {
		t.Errorf("home while awaiting restart: %s", home.body)
	}
	other := h.callback("ANYSTATE", testCode)
	if other.status != http.StatusConflict {
		t.Errorf("callback while awaiting restart = %d, want 409", other.status)
	}
}

func TestCallbackConcurrentRegistrations(t *testing.T) {
	h := newSetupHarness(t, nil)
	first, _ := h.setupForm(nil)
	second, _ := h.setupForm(nil)
	entered, proceed := make(chan struct{}), make(chan struct{})
	h.duringExchange = func() {
		close(entered)
		<-proceed
	}
	done := make(chan pageResult)
	go func() { done <- h.callback(first.Query().Get("state"), testCode) }()
	<-entered
	if res := h.callback(second.Query().Get("state"), "b0b0b0"); res.status != http.StatusConflict {
		t.Errorf("callback during another registration = %d, want 409", res.status)
	}
	close(proceed)
	if res := <-done; res.status != http.StatusOK {
		t.Fatalf("first callback = %d: %s", res.status, res.body)
	}
	if len(h.exchanged) != 1 || len(h.registered) != 1 {
		t.Fatalf("exchanged %v, registered %d: want one App", h.exchanged, len(h.registered))
	}
}

func TestCallbackExpiredState(t *testing.T) {
	h := newSetupHarness(t, nil)
	action, _ := h.setupForm(nil)
	h.clock.Advance(setupStateTTL + time.Second)
	res := h.callback(action.Query().Get("state"), testCode)
	if res.status != http.StatusBadRequest {
		t.Fatalf("expired state: status = %d, want 400", res.status)
	}
	if len(h.exchanged) != 0 {
		t.Fatal("Exchange called with an expired state")
	}
}

func TestCallbackStateIsSingleUse(t *testing.T) {
	h := newSetupHarness(t, nil)
	h.exchangeErr = errors.New("GitHub answered 404 Not Found")
	action, _ := h.setupForm(nil)
	state := action.Query().Get("state")
	if res := h.callback(state, testCode); res.status != http.StatusBadGateway {
		t.Fatalf("first use = %d, want 502", res.status)
	}
	if res := h.callback(state, testCode); res.status != http.StatusBadRequest {
		t.Fatalf("replayed state = %d, want 400", res.status)
	}
}

func TestCallbackAfterConfigured(t *testing.T) {
	h := newSetupHarness(t, nil)
	action, _ := h.setupForm(nil)
	h.configured = "wavegate-existing"
	res := h.callback(action.Query().Get("state"), testCode)
	if res.status != http.StatusConflict || !strings.Contains(res.body, "already configured") ||
		!strings.Contains(res.body, "wavegate-existing") {
		t.Fatalf("callback when configured = %d: %s", res.status, res.body)
	}
	if len(h.exchanged)+len(h.registered) != 0 {
		t.Fatal("a configured Wavegate exchanged or registered credentials from a web request")
	}
}

func TestCallbackExchangeFailure(t *testing.T) {
	h := newSetupHarness(t, nil)
	h.exchangeErr = errors.New("POST https://api.github.com/app-manifests/" + testCode + "/conversions: 404 Not Found")
	action, _ := h.setupForm(nil)
	res := h.callback(action.Query().Get("state"), testCode)
	if res.status != http.StatusBadGateway {
		t.Fatalf("status = %d, want 502", res.status)
	}
	if !strings.Contains(res.body, "404 Not Found") || !strings.Contains(res.body, "GitHub did not hand over") {
		t.Errorf("502 page does not say what failed: %s", res.body)
	}
	if strings.Contains(res.body, testCode) {
		t.Errorf("502 page shows the one-time code: %s", res.body)
	}
	if len(h.registered) != 0 {
		t.Fatal("Registered called after a failed exchange")
	}
	// A failure leaves setup available.
	h.exchangeErr = nil
	action, _ = h.setupForm(nil)
	if res := h.callback(action.Query().Get("state"), testCode); res.status != http.StatusOK {
		t.Fatalf("retry after failure = %d: %s", res.status, res.body)
	}
}

func TestCallbackMalformedCode(t *testing.T) {
	h := newSetupHarness(t, nil)
	action, _ := h.setupForm(nil)
	res := h.callback(action.Query().Get("state"), "../../user")
	if res.status != http.StatusBadRequest || len(h.exchanged) != 0 {
		t.Fatalf("malformed code: status %d, exchanged %v", res.status, h.exchanged)
	}
}

func TestSetupMethods(t *testing.T) {
	h := newSetupHarness(t, nil)
	h.admit()
	if res := h.do(http.MethodPost, "/setup/callback", nil); res.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /setup/callback = %d, want 405", res.status)
	}
	for _, target := range []string{"/", "/setup/callback"} {
		if res := h.do(http.MethodPut, target, nil); res.status != http.StatusMethodNotAllowed {
			t.Errorf("PUT %s = %d, want 405", target, res.status)
		}
		if res := h.do(http.MethodHead, target, nil); res.status != http.StatusOK || res.body != "" {
			t.Errorf("HEAD %s = %d with %d bytes", target, res.status, len(res.body))
		}
	}
	if len(h.exchanged) != 0 {
		t.Error("HEAD on the callback exchanged a code")
	}
	if n := h.statesIssued(); n != 0 {
		t.Errorf("HEAD issued %d states", n)
	}
}

func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{testClientSecret, testWebhookSecret, testKeyBody, testCode} {
		if strings.Contains(s, secret) {
			t.Errorf("output leaks %q", secret)
		}
	}
}
