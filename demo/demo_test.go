package demo

import (
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/internal/fakes/slackfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// syncBuffer is the story's output, written by several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The whole story, fast: two releases released, the third rolled back
// with its stage held, nothing outside loopback, nothing left on disk.
func TestStoryEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	d, err := Start(ctx, Options{Listen: "127.0.0.1:0", Speed: 6000, ApproveAfter: time.Hour, ResumeAfter: -1, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.Finished():
	case <-d.Done():
		t.Fatalf("the demo stopped before its story finished: %v\n%s", d.Err(), out.String())
	case <-time.After(90 * time.Second): // a deadlock guard, not a wait for time to pass
		t.Fatalf("the story did not finish:\n%s", out.String())
	}

	t.Log(out.String())
	key := pipeline.Key{Repository: repoFull, Pipeline: pipelineName}
	st, _, err := (&effects.EngineStore{DB: d.app.Store()}).Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	hold := st.Holds[alarmStage]
	if hold == nil || hold.ReleaseID != 3 {
		t.Errorf("hold on %s = %+v, want one for release 3", alarmStage, hold)
	}
	if r := st.Release(3); r == nil || r.Status != pipeline.ReleaseFailed || phase(st, 3, alarmStage, alarmTarget) != pipeline.PhaseRolledBack {
		t.Errorf("release 3: %+v, want failed and rolled back on %s", r, alarmTarget)
	}
	if inv := st.Targets[alarmTarget]; inv == nil || inv.Running != sha("pull-2-merge") {
		t.Errorf("%s runs %+v after the rollback, want release 2's %s", alarmTarget, inv, shortSHA(sha("pull-2-merge")))
	}
	hist, err := d.app.Store().ReleaseHistory(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]store.HistoryKind{}
	for _, h := range hist {
		if h.Kind != store.HistoryRestored {
			got[h.ReleaseID] = h.Kind
		}
	}
	want := map[int64]store.HistoryKind{1: store.HistoryReleased, 2: store.HistoryReleased, 3: store.HistoryFailed}
	for id, kind := range want {
		if got[id] != kind {
			t.Errorf("release %d ended %q, want %q (history %+v)", id, got[id], kind, hist)
		}
	}

	// PR #1 was held by the review gate before it passed.
	pr1 := pull{number: 1}
	failed, passed := false, false
	for _, r := range d.sim.gh.Requests() {
		if strings.Contains(r.Template, "/check-runs") && strings.Contains(string(r.Body), `"conclusion":"failure"`) &&
			strings.Contains(string(r.Body), "Rollback tested") {
			failed = true
		}
	}
	for _, c := range d.sim.gh.CheckRuns(repoFull) {
		if c.Name == "wavegate/review" && c.HeadSHA == pr1.head() && c.Conclusion == "success" {
			passed = true
		}
	}
	if !failed || !passed {
		t.Errorf("PR #1's review gate: failed first %v, passed at the end %v; want both", failed, passed)
	}

	// Every URL Wavegate was given, and every one the demo posts to, is on loopback.
	urls := configURLs(d.cfg)
	urls["demo's webhooks"] = d.sim.appURL
	urls["page"] = d.URL()
	for what, raw := range urls {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
			t.Errorf("%s %q is not on loopback", what, raw)
		}
	}
	if d.cfg.PrometheusURL == "" {
		t.Error("no Prometheus URL is configured: the bakes count no data points")
	}

	// The pages answer: Wavegate's, and the demo's own.
	// Wavegate's pages need sign-in: the viewer signs in as @you with one
	// click on the simulated GitHub's authorize page.
	if code, body := get(t, d.URL()); code != http.StatusUnauthorized || !strings.Contains(body, "/ui/signin") {
		t.Errorf("signed out, GET %s: %d, want 401 with a sign-in link:\n%s", d.URL(), code, body)
	}
	if body := signInAsYou(t, d); !strings.Contains(body, "Sign out (you)") || !strings.Contains(body, "shop") {
		t.Errorf("signed in as you, the overview shows:\n%s", body)
	}
	for _, page := range []struct{ url, want string }{
		{d.StoryURL(), "Release 3 is rolled back on " + alarmTarget},
		// wave-1's bakes counted the simulated Prometheus's data points.
		{d.StoryURL(), "Release 1 counted "},
		{d.url + "/demo/slack", "#deploys"},
		// The pages link pull requests to the simulated GitHub, which shows them.
		{d.sim.gh.URL() + repoFull + "/pull/1", "wavegate/review: success"},
	} {
		code, body := get(t, page.url)
		if code != http.StatusOK || !strings.Contains(body, page.want) {
			t.Errorf("GET %s: %d, want 200 with %q:\n%s", page.url, code, page.want, body)
		}
	}
	if len(d.slack.Messages(channelID)) == 0 {
		t.Error("Wavegate posted nothing to the simulated Slack channel")
	}

	// The viewer presses Resume on release 3's deploy check run (the
	// demo's press of a check-run button): the hold is lifted, and the
	// maintainer, finding nothing held, says nothing.
	var run3 githubfake.CheckRun
	for _, c := range d.sim.gh.CheckRuns(repoFull) {
		if c.HeadSHA == sha("pull-3-merge") && strings.HasPrefix(c.Name, "wavegate/deploy") {
			run3 = c
		}
	}
	if err := d.press(ctx, run3, "resume"); err != nil {
		t.Fatal(err)
	}
	if err := d.until(ctx, func(st pipeline.State) bool { return st.Holds[alarmStage] == nil }); err != nil {
		t.Fatal(err)
	}
	if err := d.resumeLater(ctx, pull{number: 3}, time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, c := range d.sim.gh.Comments(repoFull, 3) {
		if c.User == maintainer {
			t.Errorf("%s resumed a stage the viewer had resumed: %q", maintainer, c.Body)
		}
	}
	// The viewer comments on the simulated GitHub's page of PR #3, as @you
	// with maintain: the pipeline pauses.
	prPage := d.sim.gh.URL() + repoFull + "/pull/3"
	resp, err := http.PostForm(prPage+"/comments", url.Values{"token": {formToken(t, prPage)}, "body": {`/deploy pause --reason "watching the error rate"`}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Query().Get("problem") != "" {
		t.Fatalf("commenting on PR #3's page: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	if err := d.until(ctx, func(st pipeline.State) bool { return st.Paused != "" }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "@you comments on PR #3: /deploy pause") {
		t.Errorf("the story does not tell of the viewer's comment:\n%s", out.String())
	}

	cancel()
	select {
	case <-d.Done():
	case <-time.After(30 * time.Second): // deadlock guard
		t.Fatal("the demo did not stop")
	}
	if err := d.Err(); err != nil {
		t.Errorf("stopped with %v", err)
	}
	if _, err := os.Stat(d.dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory %s still there after stop: %v", d.dataDir, err)
	}
}

// formToken reads the token of the forms on a simulated GitHub page.
func formToken(t *testing.T, page string) string {
	t.Helper()
	_, body := get(t, page)
	_, rest, ok := strings.Cut(body, `name="token" value="`)
	token, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 {
		t.Fatalf("no form token on %s", page)
	}
	return token
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestStartRefusesAddressesOffLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:3000", ":3000", "192.168.1.10:3000", "example.com:3000", "[::]:3000", "3000"} {
		if d, err := Start(t.Context(), Options{Listen: addr}); err == nil {
			t.Errorf("Start with --listen %q succeeded (%s)", addr, d.URL())
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"http://127.0.0.1:3000/", true},
		{"http://localhost:8080", true},
		{"http://[::1]:9090/", true},
		{"http://127.0.0.2/", true},
		{"https://api.github.com/", false},
		{"https://slack.com/api/", false},
		{"http://10.0.0.1/", false},
		{"http://127.0.0.1.example.com/", false},
	} {
		err := checkLoopback(map[string]string{"x": tt.url})
		if (err == nil) != tt.ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestLoopbackOnlyTransportRefusesTheNetwork(t *testing.T) {
	c := &http.Client{Transport: loopbackOnly{base: http.DefaultTransport}}
	_, err := c.Get("https://api.github.com/")
	if err == nil || !strings.Contains(err.Error(), "never reaches the network") {
		t.Fatalf("a request to api.github.com: %v, want refused before it is sent", err)
	}
}

func TestSlackLinesShowThreadsUnderTheirMessage(t *testing.T) {
	blocks := `[{"type":"section","text":{"type":"mrkdwn","text":"*Release 1* deploying"}},` +
		`{"type":"context","elements":[{"type":"mrkdwn","text":"alpha: done"}]},` +
		`{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"Approve"}}]}]`
	got := slackLines([]slackfake.Message{
		{TS: "1", Text: "fallback 1", Blocks: []byte(blocks)},
		{TS: "2", Text: "release 2"},
		{TS: "3", ThreadTS: "1", Text: "reply to 1"},
		{TS: "4", ThreadTS: "2", Text: "reply to 2"},
	})
	want := []slackLine{
		{Text: "*Release 1* deploying\nalpha: done"},
		{Text: "reply to 1", Reply: true},
		{Text: "release 2"},
		{Text: "reply to 2", Reply: true},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

// signInAsYou signs in to Wavegate's pages as the viewer: the sign-in
// link, then the one button of the simulated GitHub's authorize page. It
// returns the page it lands on.
func signInAsYou(t *testing.T, d *Demo) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(d.url + "/ui/signin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{}
	for _, name := range []string{"client_id", "redirect_uri", "state", "login"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindSubmatch(page)
		if m == nil {
			t.Fatalf("the authorize page has no %s:\n%s", name, page)
		}
		form.Set(name, html.UnescapeString(string(m[1])))
	}
	if form.Get("login") != viewer {
		t.Fatalf("the authorize page offers %q, want %q", form.Get("login"), viewer)
	}
	resp, err = c.PostForm(resp.Request.URL.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signing in as %s: %d at %s:\n%s", viewer, resp.StatusCode, resp.Request.URL, body)
	}
	return string(body)
}
