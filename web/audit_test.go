package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// fakeAudit is the audit log: entries oldest first, as the store returns
// them, and the filters it was asked with.
type fakeAudit struct {
	entries []store.AuditEntry
	err     error
	asked   []store.AuditFilter
}

func (f *fakeAudit) AuditLog(_ context.Context, flt store.AuditFilter) ([]store.AuditEntry, error) {
	f.asked = append(f.asked, flt)
	if f.err != nil {
		return nil, f.err
	}
	var out []store.AuditEntry
	for _, e := range f.entries {
		if flt.Repository == "" || strings.EqualFold(e.Repository, flt.Repository) {
			out = append(out, e)
		}
	}
	if flt.Limit > 0 && len(out) > flt.Limit {
		out = out[len(out)-flt.Limit:]
	}
	return out, nil
}

// pagesWith serves the pages of cfg, public, over an empty index unless
// cfg names one.
func pagesWith(t testing.TB, cfg Config) http.Handler {
	t.Helper()
	if cfg.Index == nil {
		fs := &fakeStore{}
		cfg.Index, cfg.Engine = fs, fs
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.NewFake(now)
	}
	cfg.Public = true
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Routes(mux)
	return mux
}

func auditEntries() []store.AuditEntry {
	return []store.AuditEntry{
		{Seq: 1, At: now.Add(-26 * time.Hour), Repository: "acme/api", Pipeline: "prod", ReleaseID: 4, Login: "lead",
			Surface: store.SurfaceComment, Source: "https://github.com/acme/api/pull/7#issuecomment-1", Line: "/wavegate pause --reason incident 42",
			Verb: "pause", Reason: "incident 42", Decision: store.AuditAccepted, Why: "paused pipeline prod"},
		{Seq: 2, At: now.Add(-2 * time.Hour), SlackUser: "T1/U2", Surface: store.SurfaceSlack, Source: "C123",
			Line: "/wavegate link [redacted]", Verb: "link", Decision: store.AuditAccepted, Why: "linked"},
		{Seq: 3, At: now.Add(-time.Hour), Repository: "acme/web", SlackUser: "T1/U3", Surface: store.SurfaceSlack, Source: "C123",
			Line: "/wavegate approve 9", Verb: "approve", Decision: store.AuditRefused, Why: "link your GitHub login first"},
		{Seq: 4, At: now.Add(-time.Minute), Repository: "acme/api", Pipeline: "prod", ReleaseID: 5, Login: "octo",
			Surface: store.SurfaceButton, Source: "javascript:alert(1)", Line: "rollback", Verb: "rollback",
			Decision: store.AuditInvalid, Why: "no such release"},
	}
}

func TestAuditPage(t *testing.T) {
	audit := &fakeAudit{entries: auditEntries()}
	h := pagesWith(t, Config{Audit: audit})
	code, hdr, body := get(t, h, "GET", "/ui/audit")
	if code != 200 || hdr.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /ui/audit = %d %q:\n%s", code, hdr.Get("Content-Type"), body)
	}
	if got := audit.asked[0]; got != (store.AuditFilter{Limit: AuditLimit}) {
		t.Errorf("asked the log for %+v, want the last %d", got, AuditLimit)
	}
	for _, want := range []string{
		// Newest first: the button, the Slack refusal, then yesterday's pause.
		`<td>09:59 UTC</td><td>@octo</td><td>button<br><a class="note" href="/ui/audit?repo=acme%2fapi">acme/api</a></td><td><code>rollback</code></td><td><span class="decision invalid">invalid</span></td><td><p>no such release</p></td><td><a href="/ui/acme/api/prod/releases/5">#5</a></td></tr>`,
		`<td>09:00 UTC</td><td>Slack user T1/U3 (not linked)</td><td>slack<br>`,
		`<span class="decision refused">refused</span></td><td><p>link your GitHub login first</p>`,
		`<td>3 Dec 2026 08:00 UTC</td><td>@lead</td><td><a href="https://github.com/acme/api/pull/7#issuecomment-1">comment</a>`,
		`<p>Reason: incident 42</p><p>paused pipeline prod</p>`,
		// The Slack link names no repository: left out, and said so.
		"Not shown: 1, about repositories you cannot read or about no repository (Slack links).",
		`<a href="/ui/audit">Audit</a>`, `<a href="/ui/metrics">Metrics</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	if i, j := strings.Index(body, "@octo"), strings.Index(body, "@lead"); i < 0 || j < i {
		t.Errorf("rows are not newest first")
	}
	for _, not := range []string{"[redacted]", "javascript:", "T1/U2"} {
		if strings.Contains(body, not) {
			t.Errorf("audit page shows %q", not)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

func TestAuditPageFilter(t *testing.T) {
	for _, tc := range []struct {
		path   string
		code   int
		want   string
		filter string // the repository asked of the log; "-" for not asked
	}{
		{"/ui/audit?repo=acme/web", 200, "Audit log of acme/web", "acme/web"},
		{"/ui/audit?repo=ACME/Web", 200, "/wavegate approve 9", "ACME/Web"},
		{"/ui/audit?repo=acme/none", 200, "No command about acme/none to show yet", "acme/none"},
		{"/ui/audit?repo=acme", 404, "named owner/name", "-"},
		{"/ui/audit?repo=acme/web/x", 404, "named owner/name", "-"},
		{"/ui/audit?repo=/web", 404, "named owner/name", "-"},
	} {
		audit := &fakeAudit{entries: auditEntries()}
		code, _, body := get(t, pagesWith(t, Config{Audit: audit}), "GET", tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d, want %d with %q:\n%s", tc.path, code, tc.code, tc.want, body)
		}
		switch {
		case tc.filter == "-" && len(audit.asked) > 0:
			t.Errorf("GET %s asked the log %+v", tc.path, audit.asked)
		case tc.filter != "-" && (len(audit.asked) != 1 || audit.asked[0].Repository != tc.filter):
			t.Errorf("GET %s asked the log %+v, want repository %q", tc.path, audit.asked, tc.filter)
		}
		if tc.code == 200 && strings.Contains(body, "@octo") {
			t.Errorf("GET %s shows acme/api's rows", tc.path)
		}
	}
}

func TestAuditPageFailures(t *testing.T) {
	code, _, body := get(t, pagesWith(t, Config{Audit: &fakeAudit{err: errors.New("database is locked")}}), "GET", "/ui/audit")
	if code != 500 || !strings.Contains(body, "could not read its audit log") || strings.Contains(body, "database is locked") {
		t.Errorf("store failure: %d:\n%s", code, body)
	}
	code, _, body = get(t, pagesWith(t, Config{Audit: &fakeAudit{}}), "GET", "/ui/audit")
	if code != 200 || !strings.Contains(body, "No command to show yet") {
		t.Errorf("empty log: %d:\n%s", code, body)
	}
	// Without --ui-public the audit page is off like the others.
	fs := &fakeStore{}
	p, err := New(Config{Index: fs, Engine: fs, Clock: clock.NewFake(now), Audit: &fakeAudit{entries: auditEntries()}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Routes(mux)
	code, _, body = get(t, mux, "GET", "/ui/audit")
	if code != 404 || !strings.Contains(body, "--ui-public") || strings.Contains(body, "octo") {
		t.Errorf("pages off: %d:\n%s", code, body)
	}
}

// Command lines, reasons and answers are typed by people: all escaped.
func TestAuditPageEscapes(t *testing.T) {
	const script, quote = `<script>alert("x")</script>`, `"><img src=x onerror=alert(1)>`
	audit := &fakeAudit{entries: []store.AuditEntry{{Seq: 1, At: now, Repository: `acme/a&b`, Pipeline: `p"<i>`, ReleaseID: 3,
		Login: `a"b`, Surface: store.SurfaceComment, Source: `https://github.com/"><script>`, Line: "/wavegate pause " + script,
		Reason: quote, Decision: store.AuditAccepted, Why: script}}}
	_, _, body := get(t, pagesWith(t, Config{Audit: audit}), "GET", "/ui/audit")
	for _, raw := range []string{"<script>", "<img", "<i>", `a"b`, `a&b`} {
		if strings.Contains(body, raw) {
			t.Errorf("audit page shows %q unescaped", raw)
		}
	}
	for _, want := range []string{"/wavegate pause &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "Reason: &#34;&gt;&lt;img src=x",
		"@a&#34;b", `href="/ui/acme/a&amp;b/p%22%3Ci%3E/releases/3"`, `href="/ui/audit?repo=acme%2fa%26b"`} {
		if !strings.Contains(body, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}
