package handlers

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// assertNoRegistration checks that a page offers nothing that registers an
// App: no form to GitHub, no manifest, no state.
func assertNoRegistration(t *testing.T, h *setupHarness, res pageResult) {
	t.Helper()
	for _, leak := range []string{"Register Wavegate on GitHub", `name="manifest"`, "settings/apps/new", "state="} {
		if strings.Contains(res.body, leak) {
			t.Errorf("page offers registration (%q) without the token:\n%s", leak, res.body)
		}
	}
	if n := h.statesIssued(); n != 0 {
		t.Errorf("%d states issued without the token", n)
	}
}

func TestSetupRefusedWithoutToken(t *testing.T) {
	h := newSetupHarness(t, nil)
	res := h.do(http.MethodGet, "/", nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET / = %d", res.status)
	}
	checkPageHeaders(t, res)
	assertNoRegistration(t, h, res)
	for _, want := range []string{"setup token", testTokenFile, "log", `<form method="post" action="/">`, `name="token"`} {
		if !strings.Contains(res.body, want) {
			t.Errorf("token page lacks %q:\n%s", want, res.body)
		}
	}
	if len((&http.Response{Header: res.header}).Cookies()) != 0 {
		t.Error("a cookie was set without the token")
	}
}

func TestSetupRefusedWithWrongToken(t *testing.T) {
	var logs bytes.Buffer
	h := newSetupHarness(t, func(c *SetupConfig) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	wrongs := map[string]func() pageResult{
		"query":           func() pageResult { return h.do(http.MethodGet, "/?token=AAAAAAAAAAAAAAAAAAAAAAAAAA", nil) },
		"empty query":     func() pageResult { return h.do(http.MethodGet, "/?token=", nil) },
		"prefix of token": func() pageResult { return h.do(http.MethodGet, "/?token="+testToken[:20], nil) },
		"token plus more": func() pageResult { return h.do(http.MethodGet, "/?token="+testToken+"X", nil) },
		"form":            func() pageResult { return h.postToken(strings.ToLower(testToken)) },
		"form without field": func() pageResult {
			return h.do(http.MethodPost, "/", func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") })
		},
	}
	for name, try := range wrongs {
		t.Run(name, func(t *testing.T) {
			res := try()
			if res.status != http.StatusForbidden || !strings.Contains(res.body, "not this Wavegate&#39;s setup token") && !strings.Contains(res.body, "not this Wavegate's setup token") {
				t.Fatalf("status %d, want 403 saying the token is wrong:\n%s", res.status, res.body)
			}
			assertNoRegistration(t, h, res)
			if len((&http.Response{Header: res.header}).Cookies()) != 0 {
				t.Error("a wrong token earned a cookie")
			}
		})
	}
	t.Run("forged cookie", func(t *testing.T) {
		for _, value := range []string{testToken, "", "bm90IGEgZGlnZXN0", newSetupKey(testToken + "x").cookieValue()} {
			res := h.do(http.MethodGet, "/", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: setupCookie, Value: value}) })
			if res.status != http.StatusOK || !strings.Contains(res.body, `name="token"`) {
				t.Errorf("cookie %q: status %d, want the token page", value, res.status)
			}
			assertNoRegistration(t, h, res)
		}
	})
	if strings.Contains(logs.String(), testToken) {
		t.Error("the log holds the real token")
	}
	if !strings.Contains(logs.String(), "wrong setup token") {
		t.Errorf("wrong tokens are not logged: %s", logs.String())
	}
	if len(h.exchanged) != 0 {
		t.Error("Exchange called")
	}
}

func (h *setupHarness) postToken(token string) pageResult {
	h.t.Helper()
	return h.do(http.MethodPost, "/", func(r *http.Request) {
		body := url.Values{"token": {token}}.Encode()
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	})
}

func TestSetupTokenAdmits(t *testing.T) {
	tests := []struct {
		name   string
		send   func(h *setupHarness) pageResult
		secure bool
	}{
		{"query", func(h *setupHarness) pageResult { return h.do(http.MethodGet, "/?token="+testToken, nil) }, false},
		{"query behind https proxy", func(h *setupHarness) pageResult {
			return h.do(http.MethodGet, "/?token="+testToken, func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") })
		}, true},
		{"form", func(h *setupHarness) pageResult { return h.postToken(" " + testToken + "\n") }, false},
		{"form with the whole URL pasted", func(h *setupHarness) pageResult {
			return h.postToken("https://wavegate.example.com/?token=" + testToken)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSetupHarness(t, nil)
			res := tt.send(h)
			if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" {
				t.Fatalf("status %d to %q, want 303 to / (the token leaves the address bar): %s", res.status, res.header.Get("Location"), res.body)
			}
			if got := res.header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("Referrer-Policy = %q, want no-referrer", got)
			}
			if got := res.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			c := setupCookieIn(t, res)
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure != tt.secure {
				t.Errorf("cookie %v: want HttpOnly, SameSite=Lax, Path=/, Secure=%v", c, tt.secure)
			}
			if strings.Contains(c.Value, testToken) {
				t.Error("the cookie holds the token itself")
			}
			if n := h.statesIssued(); n != 0 {
				t.Errorf("presenting the token issued %d states; only the page does", n)
			}
			h.cookie = c
			action, _ := h.setupForm(nil)
			if action.Query().Get("state") == "" {
				t.Fatal("no state in the form")
			}
		})
	}
}

func TestSetupWithoutConfiguredToken(t *testing.T) {
	h := newSetupHarness(t, func(c *SetupConfig) { c.Token = "" })
	if res := h.do(http.MethodGet, "/", nil); !strings.Contains(res.body, "has no setup token") {
		t.Errorf("page does not say there is no token:\n%s", res.body)
	}
	for _, target := range []string{"/?token=", "/?token=x"} {
		if res := h.do(http.MethodGet, target, nil); res.status != http.StatusForbidden {
			t.Errorf("GET %s = %d, want 403", target, res.status)
		}
	}
	res := h.do(http.MethodGet, "/", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: setupCookie, Value: setupKey{}.cookieValue()}) })
	assertNoRegistration(t, h, res)
}

func TestAnonymousLoadsDoNotEvictOwnerState(t *testing.T) {
	h := newSetupHarness(t, nil)
	action, _ := h.setupForm(nil)
	owner := h.cookie
	h.cookie = nil
	var wg sync.WaitGroup
	for range 4 * maxSetupStates * 4 {
		wg.Go(func() {
			if res := h.do(http.MethodGet, "/", nil); strings.Contains(res.body, "settings/apps/new") {
				t.Error("an anonymous load got a registration form")
			}
		})
	}
	wg.Wait()
	if n := h.statesIssued(); n != 1 {
		t.Fatalf("%d states outstanding after anonymous loads, want the owner's 1", n)
	}
	h.cookie = owner
	if res := h.callback(action.Query().Get("state"), testCode); res.status != http.StatusOK {
		t.Fatalf("owner's callback after anonymous loads = %d: %s", res.status, res.body)
	}
}

func TestStateIssuedBeforeSetupRefusedAfter(t *testing.T) {
	for _, reloaded := range []bool{true, false} {
		name := map[bool]string{true: "in force", false: "awaiting restart"}[reloaded]
		t.Run(name, func(t *testing.T) {
			h := newSetupHarness(t, nil)
			h.reloaded = reloaded
			first, _ := h.setupForm(nil)
			second, _ := h.setupForm(nil)
			if res := h.callback(first.Query().Get("state"), testCode); res.status != http.StatusOK {
				t.Fatalf("first callback = %d: %s", res.status, res.body)
			}
			if n := h.statesIssued(); n != 0 {
				t.Errorf("%d states outlived registration", n)
			}
			res := h.callback(second.Query().Get("state"), "d00d")
			if res.status != http.StatusConflict || len(h.exchanged) != 1 {
				t.Fatalf("callback with an earlier state = %d, exchanges %v; want 409 and one exchange", res.status, h.exchanged)
			}
			// The token is void: presenting it earns nothing.
			for name, res := range map[string]pageResult{
				"query": h.do(http.MethodGet, "/?token="+testToken, nil),
				"form":  h.postToken(testToken),
			} {
				for _, c := range (&http.Response{Header: res.header}).Cookies() {
					if c.Name == setupCookie && c.Value != "" {
						t.Errorf("%s: the used token still earns a cookie", name)
					}
				}
				if strings.Contains(res.body, "settings/apps/new") {
					t.Errorf("%s: registration offered after setup", name)
				}
			}
			if n := h.statesIssued(); n != 0 {
				t.Errorf("%d states issued after setup", n)
			}
		})
	}
}

func TestSetupRefusesUnusableHost(t *testing.T) {
	h := newSetupHarness(t, func(c *SetupConfig) { c.PublicURL = "" })
	h.admit()
	for _, host := range []string{"", "user@evil.example", "evil.example/path", "evil.example?q=1", "evil.example#f"} {
		res := h.do(http.MethodGet, "/", func(r *http.Request) { r.Host = host })
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, "--public-url") {
			t.Errorf("Host %q: status %d, want 400 asking for --public-url:\n%s", host, res.status, res.body)
		}
	}
	if n := h.statesIssued(); n != 0 {
		t.Errorf("%d states issued for unusable hosts", n)
	}
}

func TestSetupDerivedURLLogged(t *testing.T) {
	var logs bytes.Buffer
	h := newSetupHarness(t, func(c *SetupConfig) {
		c.PublicURL = ""
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	h.admit()
	h.do(http.MethodGet, "/", func(r *http.Request) { r.Host = "deploys.acme.dev" })
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "public_url=http://deploys.acme.dev") {
		t.Errorf("no WARN naming the derived URL: %s", logs.String())
	}
}

func TestConfiguredPageWithoutSlug(t *testing.T) {
	h := newSetupHarness(t, func(c *SetupConfig) {
		c.Configured = func() (ConfiguredApp, bool) { return ConfiguredApp{ID: 12345}, true }
	})
	res := h.do(http.MethodGet, "/", nil)
	if res.status != http.StatusOK || !strings.Contains(res.body, "with id 12345") {
		t.Fatalf("GET / = %d:\n%s", res.status, res.body)
	}
	if strings.Contains(res.body, "/installations/new") || strings.Contains(res.body, "app%20") {
		t.Errorf("page links to an install page that cannot exist:\n%s", res.body)
	}
	if !strings.Contains(res.body, "Install App") {
		t.Errorf("page does not say how to install the App without the link:\n%s", res.body)
	}
}
