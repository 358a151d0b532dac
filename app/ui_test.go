package app

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// The pages read what the engine stored, and only with --ui-public.
func TestUIPages(t *testing.T) {
	for _, public := range []bool{false, true} {
		fake := newFake(t)
		cfg := newConfig(t, fake, true)
		cfg.UIPublic = public
		clk := clock.NewFake(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
		r := start(t, cfg, fake, clk, nil)
		key := pipeline.Key{Repository: "acme/api", Pipeline: "prod"}
		p := pipeline.Pipeline{Name: "prod", Stages: []pipeline.Stage{{Name: "beta", Targets: []string{"beta-1"}}}}
		st := pipeline.State{Paused: "paused by @lead: incident 42"}
		if err := pipeline.AddRelease(&st, pipeline.Release{ID: 3, SHA: "c0ffee123456", Pulls: []int{7}, Authors: []string{"octo"}, CreatedAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := r.app.engine.Save(t.Context(), key, 0, p, pipeline.Result{State: st}, clk.Now()); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			path       string
			code       int
			want, also string
		}{
			{"/ui/", 200, `href="/ui/acme/api/prod/releases/3"`, "paused by @lead: incident 42"},
			{"/ui/acme/api/prod/releases/3", 200, "Release #3", "c0ffee1"},
			{"/ui/acme/api/prod/releases/4", 404, "holds no release #4", "All pipelines"},
		} {
			code, body := r.get(tc.path)
			if !public {
				// No OAuth client: nobody can sign in, so the pages are off.
				tc.code, tc.want, tc.also = 404, "--ui-public", "--github-client-id"
			}
			if code != tc.code || !strings.Contains(body, tc.want) || !strings.Contains(body, tc.also) {
				t.Errorf("public %t: GET %s = %d, want %d with %q and %q:\n%s", public, tc.path, code, tc.code, tc.want, tc.also, body)
			}
		}
		r.stop()
	}
}

// uiBrowser is a signed-in browser on a running Wavegate.
type uiBrowser struct {
	t *testing.T
	c *http.Client
	r *running
}

// signInUI signs login in through the fake GitHub's authorize page, as a
// person would with one click.
func signInUI(t *testing.T, r *running, login string) *uiBrowser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &uiBrowser{t: t, r: r, c: &http.Client{Jar: jar}}
	code, body := b.get("/ui/signin") // the fake's page of buttons
	if code != 200 || !strings.Contains(body, "Sign in as "+login) {
		t.Fatalf("authorize page %d:\n%s", code, body)
	}
	// One click: the button's form, posted as a browser would.
	i := strings.Index(body, `name="login" value="`+login+`"`)
	form := body[strings.LastIndex(body[:i], "<form"):i]
	v := url.Values{"login": {login}}
	for _, name := range []string{"client_id", "redirect_uri", "state"} {
		j := strings.Index(form, `name="`+name+`" value="`)
		rest := form[j+len(`name="`+name+`" value="`):]
		v.Set(name, html.UnescapeString(rest[:strings.IndexByte(rest, '"')]))
	}
	resp, err := b.c.PostForm(strings.TrimSuffix(r.fake.URL(), "/")+"/login/oauth/authorize", v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/ui/" || !strings.Contains(string(page), "Sign out ("+login+")") {
		t.Fatalf("sign-in as %s: %d at %s:\n%s", login, resp.StatusCode, resp.Request.URL, page)
	}
	return b
}

func (b *uiBrowser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.r.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// press submits the page's form for verb with reason, following the
// redirect back to the page, and returns the page.
func (b *uiBrowser) press(path, verb, reason string, keep func(url.Values)) (int, string) {
	b.t.Helper()
	_, page := b.get(path)
	i := strings.Index(page, `name="verb" value="`+verb+`"`)
	if i < 0 {
		b.t.Fatalf("no %s form on %s:\n%s", verb, path, page)
	}
	form := page[strings.LastIndex(page[:i], "<form"):i]
	value := func(name string) string {
		j := strings.Index(form, `name="`+name+`" value="`)
		rest := form[j+len(`name="`+name+`" value="`):]
		return rest[:strings.IndexByte(rest, '"')]
	}
	v := url.Values{"csrf": {value("csrf")}, "nonce": {value("nonce")}, "verb": {verb}, "reason": {reason}}
	if keep != nil {
		keep(v)
	}
	resp, err := b.c.PostForm(b.r.url+path, v)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Actions on the release page are commands like any other: the role comes
// from GitHub through the installation, the audit log says "web", and a
// form sent twice acts once.
func TestUIActions(t *testing.T) {
	w := newCommandWorldWith(t, nil, func(cfg *Config, _ *Options) {
		cfg.GitHubClientID, cfg.GitHubClientSecret = "Iv1.fakeclientid", githubfake.DefaultClientSecret
	})
	for _, login := range []string{"lead", "max", "rita"} {
		w.fake.AddUser(login)
	}
	const page = "/ui/acme/api/app/releases/1"
	audit := func() []store.AuditEntry {
		t.Helper()
		e, err := w.r.app.Store().AuditLog(t.Context(), store.AuditFilter{Repository: "acme/api"})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	if code, body := w.r.get(page); code != 401 || !strings.Contains(body, "/ui/signin") {
		t.Fatalf("signed out: %d:\n%s", code, body)
	}

	for _, tc := range []struct{ login, want string }{
		{"rita", "Refused: @rita has read on acme/api; /deploy pause needs maintain"},
		{"lead", "Refused: @lead has write on acme/api; /deploy pause needs maintain"},
	} {
		b := signInUI(t, w.r, tc.login)
		if code, body := b.press(page, "pause", "incident 42", nil); code != 200 || !strings.Contains(body, tc.want) {
			t.Errorf("%s pauses: %d:\n%s", tc.login, code, body)
		}
	}
	if w.state().Paused != "" {
		t.Fatalf("paused by a reader or writer: %q", w.state().Paused)
	}

	max := signInUI(t, w.r, "max")
	// A form without its CSRF token changes nothing and is not audited.
	before := len(audit())
	if code, body := max.press(page, "pause", "forged", func(v url.Values) { v.Del("csrf") }); code != 403 || !strings.Contains(body, "nothing was changed") {
		t.Errorf("no CSRF token: %d:\n%s", code, body)
	}
	if w.state().Paused != "" || len(audit()) != before {
		t.Fatalf("a form without its token acted: paused %q, %d audit entries (was %d)", w.state().Paused, len(audit()), before)
	}

	var nonce string
	code, body := max.press(page, "pause", "incident 42", func(v url.Values) { nonce = v.Get("nonce") })
	if code != 200 || !strings.Contains(body, "Done: ") {
		t.Fatalf("max pauses: %d:\n%s", code, body)
	}
	if p := w.state().Paused; !strings.Contains(p, "incident 42") {
		t.Fatalf("not paused: %q", p)
	}
	// The same form again (a double click, a retry): applied and audited once.
	max.press(page, "pause", "incident 42", func(v url.Values) { v.Set("nonce", nonce) })

	var web []string
	for _, e := range audit() {
		if e.Surface == store.SurfaceWeb {
			web = append(web, e.Login+" "+e.Decision+" "+e.Line)
		}
		if e.Surface == store.SurfaceWeb && e.Source != page {
			t.Errorf("audit source %q, want the page", e.Source)
		}
	}
	want := []string{
		"rita refused /deploy pause app --reason \"incident 42\"",
		"lead refused /deploy pause app --reason \"incident 42\"",
		"max accepted /deploy pause app --reason \"incident 42\"",
	}
	if !slices.Equal(web, want) {
		t.Errorf("audit log from the web:\n%s\nwant:\n%s", strings.Join(web, "\n"), strings.Join(want, "\n"))
	}
}
