package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/store"
)

// The line a form makes parses back to what the form said, whatever the
// reason holds.
func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		verb commands.Verb
		form map[string]string
		line string
		want commands.Command // the fields compared
	}{
		{name: "approve", verb: "approve", form: map[string]string{"reason": "looks good"},
			line: `/deploy approve --reason "looks good"`, want: commands.Command{Verb: "approve", Reason: "looks good"}},
		{name: "approve a stage", verb: "approve", form: map[string]string{"stage": "sign-off"},
			line: `/deploy approve sign-off`, want: commands.Command{Verb: "approve", Stage: "sign-off"}},
		{name: "reject", verb: "reject", form: map[string]string{"reason": "no"},
			line: `/deploy reject --reason "no"`, want: commands.Command{Verb: "reject", Reason: "no"}},
		{name: "rollback a stage", verb: "rollback", form: map[string]string{"stage": "gamma", "target": "gamma-1", "reason": "errors"},
			line: `/deploy rollback --stage gamma --target gamma-1 --reason "errors"`, want: commands.Command{Verb: "rollback", Stage: "gamma", Target: "gamma-1", Reason: "errors"}},
		{name: "override", verb: "override", form: map[string]string{"blocker": "alarm", "ttl": "2h", "reason": "flaky"},
			line: `/deploy override alarm --ttl 2h --reason "flaky"`, want: commands.Command{Verb: "override", Blocker: "alarm", Reason: "flaky"}},
		{name: "pause", verb: "pause", form: map[string]string{"reason": "incident 42", "stage": "ignored"},
			line: `/deploy pause prod --reason "incident 42"`, want: commands.Command{Verb: "pause", Pipeline: "prod", Reason: "incident 42"}},
		{name: "resume drops a reason", verb: "resume", form: map[string]string{"reason": "x", "stage": "gamma"},
			line: `/deploy resume prod --stage gamma`, want: commands.Command{Verb: "resume", Pipeline: "prod", Stage: "gamma"}},
		{name: "hostile reason", verb: "pause", form: map[string]string{"reason": `a "quoted" \ reason” --all <script>` + "\nnext line"},
			want: commands.Command{Verb: "pause", Pipeline: "prod", Reason: `a "quoted" \ reason” --all <script> next line`}},
		{name: "hostile stage is one argument", verb: "rollback", form: map[string]string{"stage": `x --all`, "reason": "r"},
			want: commands.Command{Verb: "rollback", Stage: "x --all", Reason: "r"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := commandLine(tc.verb, "prod", tc.form)
			if tc.line != "" && line != tc.line {
				t.Errorf("line %s, want %s", line, tc.line)
			}
			p := commands.Parse(line)
			if p.Kind != commands.Valid {
				t.Fatalf("%s does not parse: %v", line, p.Err)
			}
			c := p.Command
			if c.Verb != tc.want.Verb || c.Reason != tc.want.Reason || c.Stage != tc.want.Stage || c.Target != tc.want.Target ||
				c.Blocker != tc.want.Blocker || c.Pipeline != tc.want.Pipeline || c.All {
				t.Errorf("%s parses to %+v, want %+v", line, c, tc.want)
			}
		})
	}
}

// An action runs the command through the runner as the signed-in user,
// and the page shows the outcome once, escaped.
func TestActionRunsCommand(t *testing.T) {
	w := newAuthWorld(t, nil)
	c := w.signIn("max")
	_, page := w.get(c, releasePath)
	csrf, nonce := field(t, page, "csrf"), field(t, page, "nonce")
	reason := `<script>alert("x")</script> & "incident"`
	resp, _ := w.post(c, releasePath, url.Values{"csrf": {csrf}, "nonce": {nonce}, "verb": {"pause"}, "reason": {reason}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != releasePath {
		t.Fatalf("action: %d to %q, want 303 to the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	reqs := w.runner.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d commands run, want 1", len(reqs))
	}
	got := reqs[0]
	want := commandrun.Request{ID: "web:max:" + nonce, Surface: store.SurfaceWeb, Source: releasePath,
		Repository: "Acme/API", Pipeline: "prod", Login: "max", At: now}
	if got.ID != want.ID || got.Surface != want.Surface || got.Source != want.Source || got.Repository != want.Repository ||
		got.Pipeline != want.Pipeline || got.ReleaseID != 0 || got.Login != want.Login || !got.At.Equal(want.At) ||
		got.Command.Verb != commands.VerbPause || got.Command.Reason != reason {
		t.Errorf("request %+v, want %+v pausing with the reason", got, want)
	}
	_, page = w.get(c, releasePath)
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "Done: ran pause: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;incident&#34;") {
		t.Errorf("outcome missing or not escaped:\n%s", page)
	}
	if _, page = w.get(c, releasePath); strings.Contains(page, "Done:") {
		t.Errorf("the outcome shows twice")
	}

	// A release action names the release; a refusal says so.
	w.runner.outcome = commandrun.Refused
	_, page = w.get(c, releasePath)
	w.post(c, releasePath, url.Values{"csrf": {field(t, page, "csrf")}, "nonce": {field(t, page, "nonce")}, "verb": {"approve"}})
	if reqs = w.runner.requests(); len(reqs) != 2 || reqs[1].ReleaseID != 2 || reqs[1].Command.Verb != commands.VerbApprove {
		t.Fatalf("approve: %+v", reqs[len(reqs)-1])
	}
	if _, page = w.get(c, releasePath); !strings.Contains(page, "Refused: ran approve") {
		t.Errorf("the refusal is not shown:\n%s", page)
	}

	// A line the parser refuses is run as invalid, so it is audited too.
	_, page = w.get(c, releasePath)
	w.post(c, releasePath, url.Values{"csrf": {field(t, page, "csrf")}, "nonce": {field(t, page, "nonce")}, "verb": {"reject"}})
	if w.runner.invalid == nil {
		t.Fatalf("reject without a reason was not run as invalid")
	}
	if _, page = w.get(c, releasePath); !strings.Contains(page, "Refused: ") || !strings.Contains(page, "reason") {
		t.Errorf("the parser's answer is not shown:\n%s", page)
	}
}

// Each form has its own nonce: two forms of one page are two commands.
func TestFormNonces(t *testing.T) {
	w := newAuthWorld(t, nil)
	_, page := w.get(w.signIn("lead"), releasePath)
	seen := map[string]bool{}
	for rest := page; ; {
		i := strings.Index(rest, `name="nonce" value="`)
		if i < 0 {
			break
		}
		rest = rest[i+len(`name="nonce" value="`):]
		n := rest[:strings.IndexByte(rest, '"')]
		if seen[n] || !nonceRE.MatchString(n) {
			t.Errorf("nonce %q repeated or malformed", n)
		}
		seen[n] = true
	}
	if len(seen) != 6 {
		t.Errorf("%d forms with a nonce, want 6", len(seen))
	}
	if n := strings.Count(page, `<form method="post" action="/ui/Acme/API/prod/releases/2">`); n != 6 {
		t.Errorf("%d forms post to the release page, want 6", n)
	}
}

// Without the session's CSRF token, or signed out, nothing is run.
func TestActionRefused(t *testing.T) {
	w := newAuthWorld(t, nil)
	max, rita := w.signIn("max"), w.signIn("rita")
	_, maxPage := w.get(max, releasePath)
	_, ritaPage := w.get(rita, releasePath)
	nonce := field(t, maxPage, "nonce")
	for _, tc := range []struct {
		name   string
		client *http.Client
		path   string
		form   url.Values
		code   int
		want   string
	}{
		{"no CSRF token", max, releasePath, url.Values{"nonce": {nonce}, "verb": {"pause"}, "reason": {"x"}}, 403, "nothing was changed"},
		{"wrong CSRF token", max, releasePath, url.Values{"csrf": {"AAAA"}, "nonce": {nonce}, "verb": {"pause"}, "reason": {"x"}}, 403, "Sign in"},
		{"another session's token", max, releasePath, url.Values{"csrf": {field(t, ritaPage, "csrf")}, "nonce": {nonce}, "verb": {"pause"}, "reason": {"x"}}, 403, "nothing was changed"},
		{"signed out", w.browser(), releasePath, url.Values{"csrf": {field(t, maxPage, "csrf")}, "nonce": {nonce}, "verb": {"pause"}, "reason": {"x"}}, 401, "Sign in"},
		{"not a verb of the page", max, releasePath, url.Values{"csrf": {field(t, maxPage, "csrf")}, "nonce": {nonce}, "verb": {"block"}, "reason": {"x"}}, 403, "nothing was changed"},
		{"bad nonce", max, releasePath, url.Values{"csrf": {field(t, maxPage, "csrf")}, "nonce": {"1"}, "verb": {"pause"}, "reason": {"x"}}, 403, "nothing was changed"},
		{"unreadable repository", w.signIn("olga"), "/ui/Acme/API/prod/releases/2", url.Values{"nonce": {nonce}, "verb": {"pause"}, "reason": {"x"}}, 403, "nothing was changed"},
		{"form too large", max, releasePath, url.Values{"csrf": {field(t, maxPage, "csrf")}, "nonce": {nonce}, "verb": {"pause"}, "reason": {strings.Repeat("x", maxForm)}}, 403, "Nothing was changed"},
	} {
		resp, body := w.post(tc.client, tc.path, tc.form)
		if resp.StatusCode != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want %d with %q:\n%s", tc.name, resp.StatusCode, tc.code, tc.want, body)
		}
	}
	if n := len(w.runner.requests()); n != 0 {
		t.Errorf("%d commands run, want none", n)
	}
	// olga with her own token still cannot reach Acme/API: 404, as if absent.
	olga := w.signIn("olga")
	_, olgaPage := w.get(olga, "/ui/")
	resp, body := w.post(olga, releasePath, url.Values{"csrf": {field(t, olgaPage, "csrf")}, "nonce": {nonce}, "verb": {"pause"}, "reason": {"x"}})
	if resp.StatusCode != 404 || !strings.Contains(body, "keeps no pipeline") || len(w.runner.requests()) != 0 {
		t.Errorf("olga acting on Acme/API: %d:\n%s", resp.StatusCode, body)
	}
}

// The overview offers pause and resume on each pipeline the user can read.
func TestOverviewActions(t *testing.T) {
	w := newAuthWorld(t, nil)
	c := w.signIn("max")
	_, page := w.get(c, "/ui/")
	if !strings.Contains(page, `action="/ui/Acme/API/prod"`) || strings.Contains(page, `action="/ui/Other/Web/prod"`) {
		t.Fatalf("overview forms:\n%s", page)
	}
	form := url.Values{"csrf": {field(t, page, "csrf")}, "nonce": {field(t, page, "nonce")}, "verb": {"approve"}}
	if resp, _ := w.post(c, "/ui/Acme/API/prod", form); resp.StatusCode != 403 || len(w.runner.requests()) != 0 {
		t.Errorf("approve on a pipeline: %d, %d commands run", resp.StatusCode, len(w.runner.requests()))
	}
	form.Set("verb", "pause")
	form.Set("reason", "incident")
	resp, _ := w.post(c, "/ui/Acme/API/prod", form)
	reqs := w.runner.requests()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/" || len(reqs) != 1 {
		t.Fatalf("pause from the overview: %d to %q, %d commands", resp.StatusCode, resp.Header.Get("Location"), len(reqs))
	}
	if r := reqs[0]; r.Pipeline != "prod" || r.ReleaseID != 0 || r.Source != "/ui/" || r.Command.Line != `/deploy pause prod --reason "incident"` {
		t.Errorf("request %+v", r)
	}
	if _, page = w.get(c, "/ui/"); !strings.Contains(page, "Done: ran pause: incident") {
		t.Errorf("no outcome on the overview:\n%s", page)
	}
	// Nobody signed in: no forms at all.
	pub := newAuthWorld(t, func(c *Config) { c.Public = true })
	if _, page := pub.get(pub.browser(), "/ui/"); strings.Contains(page, "<form") || !strings.Contains(page, "read-only") {
		t.Errorf("--ui-public overview has forms or lacks the read-only note:\n%s", page)
	}
	if _, page := pub.get(pub.browser(), releasePath); strings.Contains(page, "<form") {
		t.Errorf("--ui-public release page has forms")
	}
}
