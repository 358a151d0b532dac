package web

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// fakeHistory is the release history, oldest first.
type fakeHistory struct {
	rows  []store.HistoryEvent
	err   error
	since []time.Time
}

func (f *fakeHistory) ReleaseHistory(_ context.Context, since time.Time) ([]store.HistoryEvent, error) {
	f.since = append(f.since, since)
	if f.err != nil {
		return nil, f.err
	}
	var out []store.HistoryEvent
	for _, e := range f.rows {
		if !e.At.Before(since) {
			out = append(out, e)
		}
	}
	return out, nil
}

// scriptedHistory: acme/api's prod released #1 (2h lead) 48 hours ago, #2
// (4h) 26 hours ago, #4 (1h) 5 hours ago; #3 failed in gamma 9 hours ago
// and gamma was restored 4 hours later; #0 (3h) was released 8 days ago.
// acme/web's prod only failed, #7, an hour ago.
func scriptedHistory() []store.HistoryEvent {
	h := func(d time.Duration) time.Time { return now.Add(-d * time.Hour) }
	api := func(id int64, kind store.HistoryKind, stage string, started, at time.Time) store.HistoryEvent {
		return store.HistoryEvent{Repository: "acme/api", Pipeline: "prod", ReleaseID: id, Kind: kind, Stage: stage, StartedAt: started, At: at}
	}
	return []store.HistoryEvent{
		api(0, store.HistoryReleased, "", h(8*24+3), h(8*24)),
		api(1, store.HistoryReleased, "", h(50), h(48)),
		api(2, store.HistoryReleased, "", h(30), h(26)),
		api(3, store.HistoryFailed, "gamma", h(10), h(9)),
		api(4, store.HistoryReleased, "", h(6), h(5)),
		api(4, store.HistoryRestored, "gamma", h(9), h(5)),
		{Repository: "acme/web", Pipeline: "prod", ReleaseID: 7, Kind: store.HistoryFailed, Stage: "beta", StartedAt: h(2), At: h(1)},
	}
}

func TestMetricsPage(t *testing.T) {
	for _, tc := range []struct {
		path  string
		since time.Time
		want  []string
	}{
		{"/ui/metrics?days=7", now.Add(-7 * 24 * time.Hour), []string{
			`<span aria-current="page"><strong>Last 7 days</strong></span>`, `<a href="/ui/metrics?days=30">Last 30 days</a>`,
			"Over the 7 days to 10:00 UTC.",
			`<h2 id="metrics-0">acme/api <span class="pipe">prod</span></h2>`,
			// Deployments per day: two in the day to 3 Dec 10:00, one in the last.
			`aria-label="Releases per day over 7 days: 3 releases in all, at most 2 in the day to 3 Dec 10:00 UTC"`,
			`Deployments per day (scale 0 to 2)`, `viewBox="0 0 714 100"`,
			`<rect x="522" y="4" width="77" height="96"><title>2 releases in the day to 3 Dec 10:00 UTC</title></rect>`,
			`<rect x="624" y="52" width="77" height="48"><title>1 release in the day to 4 Dec 10:00 UTC</title></rect>`,
			`<span>28 Nov 10:00 UTC</span><span>4 Dec 10:00 UTC</span>`,
			`<tr><td>3 Dec 10:00 UTC</td><td>2</td></tr>`, `<tr><td>4 Dec 10:00 UTC</td><td>1</td></tr>`,
			// Lead times 1h, 2h, 4h: p50 2h, p90 4h; one failure of four changes.
			`<tr><th scope="row">Deployment frequency</th><td>0.43 a day</td><td>3 released</td></tr>`,
			`<tr><th scope="row">Lead time for changes</th><td>2h median, 4h p90</td><td>3 released</td></tr>`,
			`<tr><th scope="row">Change failure rate</th><td>25%</td><td>1 failed of 4 released or failed</td></tr>`,
			`<tr><th scope="row">Time to restore</th><td>4h median</td><td>1 restored</td></tr>`,
			`aria-label="Change failure rate: 25%, 1 of 4 changes failed"`, `<rect class="part" x="0" y="0" width="50" height="16">`,
			`<span class="big">2h</span> median, <span class="big">4h</span> at p90`,
			// acme/web only failed.
			`<h2 id="metrics-1">acme/web <span class="pipe">prod</span></h2>`,
			`<tr><th scope="row">Change failure rate</th><td>100%</td><td>1 failed of 1 released or failed</td></tr>`,
			`<dt>Lead time</dt><dd>nothing released</dd>`, `width="200" height="16"></rect>`,
		}},
		{"/ui/metrics", now.Add(-30 * 24 * time.Hour), []string{
			`<strong>Last 30 days</strong>`,
			`aria-label="Releases per day over 30 days: 4 releases in all, at most 2 in the day to 3 Dec 10:00 UTC"`,
			`<tr><th scope="row">Deployment frequency</th><td>0.13 a day</td><td>4 released</td></tr>`,
			// Lead times 1h, 2h, 3h, 4h: p50 2h, p90 4h.
			`<td>2h median, 4h p90</td><td>4 released</td>`,
			`<td>20%</td><td>1 failed of 5 released or failed</td>`,
			`<tr><td>27 Nov 10:00 UTC</td><td>1</td></tr>`,
		}},
		{"/ui/metrics?days=90", now.Add(-90 * 24 * time.Hour), []string{`<strong>Last 90 days</strong>`, `<td>0.04 a day</td>`}},
	} {
		hist := &fakeHistory{rows: scriptedHistory()}
		code, _, body := get(t, pagesWith(t, Config{History: hist}), "GET", tc.path)
		if code != 200 {
			t.Fatalf("GET %s = %d:\n%s", tc.path, code, body)
		}
		if len(hist.since) != 1 || !hist.since[0].Equal(tc.since) {
			t.Errorf("GET %s read the history since %v, want %v", tc.path, hist.since, tc.since)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", tc.path, w)
			}
		}
		if t.Failed() {
			t.Fatal(body)
		}
	}
}

func TestMetricsPageFailures(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		hist       *fakeHistory
		code       int
		want       string
	}{
		{"bad window", "/ui/metrics?days=14", &fakeHistory{}, 404, "last 7, 30 or 90 days"},
		{"window not a number", "/ui/metrics?days=x", &fakeHistory{}, 404, "last 7, 30 or 90 days"},
		{"store failure", "/ui/metrics", &fakeHistory{err: errors.New("database is locked")}, 500, "could not read its release history"},
		{"nothing yet", "/ui/metrics?days=7", &fakeHistory{}, 200, "Nothing was released, failed or restored in the last 7 days"},
	} {
		code, _, body := get(t, pagesWith(t, Config{History: tc.hist}), "GET", tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) || strings.Contains(body, "database is locked") {
			t.Errorf("%s: GET %s = %d, want %d with %q:\n%s", tc.name, tc.path, code, tc.code, tc.want, body)
		}
	}
}

func TestMetricsPageEscapes(t *testing.T) {
	rows := []store.HistoryEvent{{Repository: `acme/<script>x</script>`, Pipeline: `p"<i>`, ReleaseID: 1,
		Kind: store.HistoryReleased, StartedAt: now.Add(-time.Hour), At: now.Add(-time.Minute)}}
	_, _, body := get(t, pagesWith(t, Config{History: &fakeHistory{rows: rows}}), "GET", "/ui/metrics")
	for _, raw := range []string{"<script>", "<i>"} {
		if strings.Contains(body, raw) {
			t.Errorf("metrics page shows %q unescaped:\n%s", raw, body)
		}
	}
	if !strings.Contains(body, "acme/&lt;script&gt;x&lt;/script&gt; <span class=\"pipe\">p&#34;&lt;i&gt;</span>") {
		t.Errorf("metrics page lacks the escaped names:\n%s", body)
	}
}

func TestSpan(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {59*time.Second + 600*time.Millisecond, "1m"}, {45 * time.Second, "45s"},
		{12*time.Minute + 20*time.Second, "12m"}, {59*time.Minute + 40*time.Second, "1h"},
		{3*time.Hour + 20*time.Minute, "3h 20m"}, {47 * time.Hour, "47h"},
		{52*time.Hour + 10*time.Minute, "2d 4h"}, {72 * time.Hour, "3d"},
	} {
		if got := span(tc.d); got != tc.want {
			t.Errorf("span(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestDayCounts(t *testing.T) {
	day := 24 * time.Hour
	got := dayCounts([]time.Time{
		now.Add(-3 * day),           // the window's first instant: day 0
		now.Add(-2 * day),           // a boundary: the later day, 1
		now.Add(-2*day - time.Hour), // day 0
		now,                         // the last instant: day 2
		now.Add(time.Minute),        // after now: not counted
		now.Add(-3*day - time.Hour), // before the window
	}, 3, now)
	if want := []int{2, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("dayCounts = %v, want %v", got, want)
	}
}
