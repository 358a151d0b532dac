package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

var now = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// fakeStore is the index and the engine states the pages read.
type fakeStore struct {
	docs map[pipeline.Key]doc
	keys []store.EngineKey // in the index's order
	err  error
}

type doc struct {
	p  pipeline.Pipeline
	st pipeline.State
}

func (f *fakeStore) add(repo string, p pipeline.Pipeline, st pipeline.State) {
	if f.docs == nil {
		f.docs = map[pipeline.Key]doc{}
	}
	f.docs[pipeline.Key{Repository: repo, Pipeline: p.Name}] = doc{p, st}
	f.keys = append(f.keys, store.EngineKey{Repository: repo, Pipeline: p.Name})
}

func (f *fakeStore) EngineKeys(_ context.Context, repo string) ([]store.EngineKey, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []store.EngineKey
	for _, k := range f.keys {
		if repo == "" || strings.EqualFold(k.Repository, repo) {
			out = append(out, k)
		}
	}
	return out, nil
}

func (f *fakeStore) LoadWithPipeline(_ context.Context, key pipeline.Key) (pipeline.Pipeline, pipeline.State, int64, error) {
	d, ok := f.docs[key]
	if !ok {
		return pipeline.Pipeline{}, pipeline.State{}, 0, fmt.Errorf("no configuration known for pipeline %s of %s", key.Pipeline, key.Repository)
	}
	return d.p, d.st, 1, nil
}

func prodPipeline() pipeline.Pipeline {
	return pipeline.Pipeline{Name: "prod", Stages: []pipeline.Stage{
		{Name: "beta", Targets: []string{"beta-1"}},
		{Name: "gamma", Targets: []string{"gamma-1", "gamma-2"}},
	}}
}

// bakingState has release 1 done in beta and rolled back in gamma, and
// release 2 baking in beta with data points short, held at gamma by a
// window and a freeze.
func bakingState() pipeline.State {
	step := func(sha, outcome string) *pipeline.Step {
		return &pipeline.Step{Action: "deploy", Variant: "full", SHA: sha, StartedAt: now.Add(-time.Hour),
			Outcome: outcome, FinishedAt: now.Add(-50 * time.Minute)}
	}
	return pipeline.State{
		Releases: []*pipeline.Release{
			{ID: 1, SHA: "1111111aaaaaaa", Authors: []string{"ana"}, Pulls: []int{7}, CreatedAt: now.Add(-2 * time.Hour), Status: pipeline.ReleaseFailed,
				Reason: "alarm errors fired in gamma",
				Stages: map[string]*pipeline.StageRun{
					"beta": {Status: pipeline.StageSucceeded, StartedAt: now.Add(-2 * time.Hour), FinishedAt: now.Add(-90 * time.Minute),
						Targets: map[string]*pipeline.TargetRun{"beta-1": {Phase: pipeline.PhaseDone, Step: step("1111111aaaaaaa", "succeeded")}}},
					"gamma": {Status: pipeline.StageFailed, Reason: "alarm errors fired",
						Targets: map[string]*pipeline.TargetRun{"gamma-1": {Phase: pipeline.PhaseRolledBack,
							Undone: step("1111111aaaaaaa", "succeeded"),
							Step:   &pipeline.Step{Action: "rollback", Variant: "full", SHA: "0000000fffffff", StartedAt: now.Add(-40 * time.Minute), Outcome: "succeeded", FinishedAt: now.Add(-30 * time.Minute)}}}},
				}},
			{ID: 2, SHA: "2222222bbbbbbb", Authors: []string{"bo", "cy"}, Pulls: []int{8, 9}, CreatedAt: now.Add(-time.Hour), Status: pipeline.ReleaseActive,
				Stages: map[string]*pipeline.StageRun{
					"beta": {Status: pipeline.StageActive, StartedAt: now.Add(-30 * time.Minute), Targets: map[string]*pipeline.TargetRun{
						"beta-1": {Phase: pipeline.PhaseFullBaking, BakeUntil: now.Add(22 * time.Minute), Step: step("2222222bbbbbbb", "succeeded"),
							Datapoints: pipeline.DatapointProgress{Count: 1240, Min: 3000, At: now}}}},
				}},
		},
		Holds: map[string]*pipeline.Hold{"gamma": {ReleaseID: 1, Reason: "rolled back by alarm errors", Since: now.Add(-30 * time.Minute)}},
		Held: []pipeline.Held{{ReleaseID: 2, Stage: "gamma", Target: "gamma-1", Blockers: []pipeline.Blocker{
			{Kind: pipeline.BlockerWindow, Reason: "outside the deploy window", Until: now.Add(3 * time.Hour)},
			{Kind: pipeline.BlockerFreeze, Reason: "holiday freeze"},
		}}},
	}
}

func newPages(t testing.TB, public bool, fs *fakeStore) http.Handler {
	t.Helper()
	p, err := New(Config{Public: public, Index: fs, Engine: fs, Clock: clock.NewFake(now), WebURL: "https://github.com"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Routes(mux)
	return mux
}

func get(t testing.TB, h http.Handler, method, path string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, rec.Result().Header, string(body)
}

func TestRoutes(t *testing.T) {
	fs := &fakeStore{}
	fs.add("Acme/API", prodPipeline(), bakingState())
	for _, tc := range []struct {
		name   string
		public bool
		method string
		path   string
		code   int
		want   string
	}{
		{name: "off: overview", path: "/ui/", code: 404, want: "--ui-public"},
		{name: "off: release", path: "/ui/Acme/API/prod/releases/2", code: 404, want: "--ui-public"},
		{name: "off: anything else", path: "/ui/whatever", code: 404, want: "--ui-public"},
		{name: "off: the stylesheet still", path: "/ui/ui.css", code: 200, want: "font"},
		{name: "overview", public: true, path: "/ui/", code: 200, want: "Acme/API"},
		{name: "release", public: true, path: "/ui/Acme/API/prod/releases/2", code: 200, want: "Release #2"},
		{name: "release, repository in another case", public: true, path: "/ui/acme/api/prod/releases/1", code: 200, want: "Release #1"},
		{name: "unknown repository", public: true, path: "/ui/acme/web/prod/releases/1", code: 404, want: "keeps no pipeline"},
		{name: "unknown pipeline", public: true, path: "/ui/Acme/API/staging/releases/1", code: 404, want: "keeps no pipeline"},
		{name: "unknown release", public: true, path: "/ui/Acme/API/prod/releases/99", code: 404, want: "holds no release #99"},
		{name: "release not a number", public: true, path: "/ui/Acme/API/prod/releases/two", code: 404, want: "by its number"},
		{name: "release zero", public: true, path: "/ui/Acme/API/prod/releases/0", code: 404, want: "by its number"},
		{name: "no such page", public: true, path: "/ui/Acme/API", code: 404, want: "no page at this address"},
		{name: "POST is not served", public: true, method: "POST", path: "/ui/", code: 404, want: "no page"},
		{name: "stylesheet", public: true, path: "/ui/ui.css", code: 200, want: "prefers-color-scheme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			code, hdr, body := get(t, newPages(t, tc.public, fs), method, tc.path)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("%s %s = %d, want %d with %q:\n%s", method, tc.path, code, tc.code, tc.want, body)
			}
			if strings.HasSuffix(tc.path, ".css") {
				return
			}
			if ct := hdr.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
			if strings.Contains(body, "goroutine") || strings.Contains(body, ".go:") {
				t.Errorf("body has a stack trace:\n%s", body)
			}
		})
	}
}

func TestStoreFailureIs500(t *testing.T) {
	fs := &fakeStore{err: errors.New("database is locked")}
	for _, path := range []string{"/ui/", "/ui/acme/api/prod/releases/1"} {
		code, _, body := get(t, newPages(t, true, fs), "GET", path)
		if code != 500 || !strings.Contains(body, "its log says why") || strings.Contains(body, "database is locked") {
			t.Fatalf("GET %s = %d:\n%s", path, code, body)
		}
	}
}

func TestOverviewSays(t *testing.T) {
	fs := &fakeStore{}
	api := bakingState()
	api.Releases = append(api.Releases, &pipeline.Release{ID: 3, SHA: "3333333ccccccc", Pulls: []int{10}, Authors: []string{"di"}, Status: pipeline.ReleaseActive})
	fs.add("acme/api", prodPipeline(), api)
	paused := bakingState()
	paused.Paused, paused.OrgPaused = "paused by @lead: incident 42", "paused by @owner: org-wide"
	paused.Held = nil
	fs.add("acme/web", pipeline.Pipeline{Name: "prod", Stages: []pipeline.Stage{{Name: "beta", Targets: []string{"beta-1"}}, {Name: "new", Targets: []string{"n-1"}}}}, paused)
	_, _, body := get(t, newPages(t, true, fs), "GET", "/ui/")
	for _, want := range []string{
		`<a href="/ui/acme/api/prod/releases/2">#2</a>`, // the newest release in beta
		`<code>2222222</code>`,
		`<a href="https://github.com/acme/api/pull/8">#8</a>, <a href="https://github.com/acme/api/pull/9">#9</a>`,
		"@bo, @cy",
		"baking, 22m left",
		"1,240 of 3,000 data points",
		`<a href="/ui/acme/api/prod/releases/1">#1</a>`, // gamma's: rolled back
		"rolled back",
		"held after rollback", "rolled back by alarm errors (release #1, since 09:30 UTC)",
		"release #2 at gamma / gamma-1", "outside the deploy window", "at 13:00 UTC", "holiday freeze", "no set time",
		"paused by @lead: incident 42", "organization paused", "paused by @owner: org-wide",
		"no release yet", // acme/web's stage "new"
		// A release no stage has taken yet is shown too.
		`Waiting for the first stage: <a href="/ui/acme/api/prod/releases/3">#3</a> <code>3333333</code>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

func TestOverviewEmptyAndUnreadable(t *testing.T) {
	_, _, body := get(t, newPages(t, true, &fakeStore{}), "GET", "/ui/")
	if !strings.Contains(body, "keeps no pipeline yet") {
		t.Fatalf("empty overview:\n%s", body)
	}
	fs := &fakeStore{}
	fs.add("acme/api", prodPipeline(), bakingState())
	fs.keys = append(fs.keys, store.EngineKey{Repository: "acme/gone", Pipeline: "prod"})
	code, _, body := get(t, newPages(t, true, fs), "GET", "/ui/")
	if code != 200 || !strings.Contains(body, "acme/gone prod") || !strings.Contains(body, "#2") {
		t.Fatalf("overview with an unreadable pipeline = %d:\n%s", code, body)
	}
}

func TestReleasePageSays(t *testing.T) {
	fs := &fakeStore{}
	fs.add("acme/api", prodPipeline(), bakingState())
	h := newPages(t, true, fs)
	_, _, body := get(t, h, "GET", "/ui/acme/api/prod/releases/1")
	for _, want := range []string{
		"failed", "alarm errors fired in gamma", "@ana", `href="https://github.com/acme/api/pull/7"`,
		"Started 08:00 UTC; finished 08:30 UTC",
		"undone by the rollback:</span> deploy full <code>1111111</code>, succeeded, started 09:00 UTC, finished 09:10 UTC",
		"rollback full <code>0000000</code>, succeeded, started 09:20 UTC, finished 09:30 UTC",
		"Pauses and holds of the pipeline", "held after rollback",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("release 1 lacks %q", want)
		}
	}
	_, _, body = get(t, h, "GET", "/ui/acme/api/prod/releases/2")
	for _, want := range []string{
		"in progress", "baking, 22m left", "1,240 of 3,000 data points",
		`<h2 id="held">Held</h2>`, "outside the deploy window", "at 13:00 UTC", "holiday freeze",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("release 2 lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

// Every string the pages show may come from people (commit messages,
// reasons given to /deploy, configuration files): all of it is escaped.
func TestHostileStringsAreEscaped(t *testing.T) {
	const (
		script = `<script>alert("x")</script>`
		quote  = `"><img src=x onerror=alert(1)>`
		amp    = `R&D's "fix" & more`
		branch = `feat/<b>bold</b>`
	)
	st := bakingState()
	st.Paused = "paused by @lead: " + script
	st.Holds["gamma"].Reason = quote
	st.Held[0].Blockers[0].Reason = amp
	st.Releases[0].Reason = "pushed to " + branch
	st.Releases[0].Authors = []string{`a"b`}
	st.Releases[0].Stages["gamma"].Targets["gamma-1"].Step.Reason = script
	st.Releases[1].Stages["beta"].Targets["beta-1"].Waiting = quote
	st.Releases[1].Stages["beta"].Targets["beta-1"].Datapoints = pipeline.DatapointProgress{Min: 10, Err: script, At: now}
	p := prodPipeline()
	p.Stages[0].Name = `beta"<i>`
	for _, r := range st.Releases {
		r.Stages[`beta"<i>`] = r.Stages["beta"]
		delete(r.Stages, "beta")
	}
	fs := &fakeStore{}
	fs.add(`acme/a&b`, p, st)
	h := newPages(t, true, fs)
	pages := []string{"/ui/", "/ui/acme/a&b/prod/releases/1", "/ui/acme/a&b/prod/releases/2",
		"/ui/acme/api/" + "%3Cscript%3E" + "/releases/1"}
	for _, path := range pages {
		code, _, body := get(t, h, "GET", path)
		if code != 200 && code != 404 {
			t.Fatalf("GET %s = %d:\n%s", path, code, body)
		}
		for _, raw := range []string{"<script>", "<img", "<b>", "<i>", `a"b`, `R&D`} {
			if strings.Contains(body, raw) {
				t.Errorf("GET %s shows %q unescaped:\n%s", path, raw, body)
			}
		}
	}
	// And escaped, not dropped.
	_, _, body := get(t, h, "GET", "/ui/acme/a&b/prod/releases/1")
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "feat/&lt;b&gt;bold&lt;/b&gt;", "&#34;&gt;&lt;img", "acme/a&amp;b"} {
		if !strings.Contains(body, want) {
			t.Errorf("release 1 lacks %q", want)
		}
	}
	_, _, body = get(t, h, "GET", "/ui/")
	for _, want := range []string{"R&amp;D&#39;s &#34;fix&#34; &amp; more", `href="/ui/acme/a&amp;b/prod/releases/2"`} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

// The release page's links name every segment escaped.
func TestReleaseURL(t *testing.T) {
	for _, tc := range []struct {
		repo, pipe string
		id         int64
		want       string
	}{
		{"acme/api", "prod", 12, "/ui/acme/api/prod/releases/12"},
		{"acme/a b", "p?q", 1, "/ui/acme/a%20b/p%3Fq/releases/1"},
		{"acme/a/b", "prod", 1, "/ui/acme/a%2Fb/prod/releases/1"},
	} {
		if got := ReleaseURL(tc.repo, tc.pipe, tc.id); got != tc.want {
			t.Errorf("ReleaseURL(%q, %q, %d) = %q, want %q", tc.repo, tc.pipe, tc.id, got, tc.want)
		}
	}
}

func TestOverviewPages(t *testing.T) {
	fs := &fakeStore{}
	for i := range 2*PerPage + 5 {
		fs.add(fmt.Sprintf("acme/r%03d", i), prodPipeline(), pipeline.State{})
	}
	h := newPages(t, true, fs)
	for _, tc := range []struct {
		path    string
		code    int
		want    []string
		wantNot []string
	}{
		{"/ui/", 200, []string{"acme/r000", "acme/r099", "Pipelines 1–100 of 205", "Page 1 of 3", `<a href="/ui/?page=2" rel="next">`}, []string{"acme/r100", `rel="prev"`}},
		{"/ui/?page=2", 200, []string{"acme/r100", "acme/r199", `<a href="/ui/" rel="prev">`, `<a href="/ui/?page=3" rel="next">`}, []string{"acme/r099", "acme/r200"}},
		{"/ui/?page=3", 200, []string{"acme/r200", "acme/r204", "Pipelines 201–205 of 205", `id="pipeline-204"`}, []string{"acme/r199", `rel="next"`}},
		{"/ui/?page=4", 404, []string{"no page 4: it has 3"}, nil},
		{"/ui/?page=0", 404, []string{"numbered from 1"}, nil},
		{"/ui/?page=x", 404, []string{"numbered from 1"}, nil},
	} {
		code, _, body := get(t, h, "GET", tc.path)
		if code != tc.code {
			t.Errorf("GET %s = %d, want %d", tc.path, code, tc.code)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", tc.path, w)
			}
		}
		for _, w := range tc.wantNot {
			if strings.Contains(body, w) {
				t.Errorf("GET %s has %q", tc.path, w)
			}
		}
	}
	// One page only: no pager.
	_, _, body := get(t, newPages(t, true, &fakeStore{}), "GET", "/ui/")
	if strings.Contains(body, "Page 1 of") {
		t.Errorf("a single page shows a pager:\n%s", body)
	}
}
