package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/wavegate/wavegate/delivery"
	"github.com/wavegate/wavegate/store"
)

// metricWindows are the windows the metrics page offers, in days.
var metricWindows = []int{7, 30, 90}

const defaultMetricDays = 30

// metricsPage is /ui/metrics: the four delivery metrics of each pipeline
// over a window.
type metricsPage struct {
	Title, Now string
	Days       int
	Windows    []windowLink
	Pipelines  []pipelineMetrics
	Frame      frame // who is signed in; render fills it
}

type windowLink struct {
	Days    int
	URL     string
	Current bool
}

// pipelineMetrics holds one pipeline's figures as the page prints them.
type pipelineMetrics struct {
	Index                int
	Repository, Pipeline string
	// Frequency is "0.43 a day"; Released the count behind it.
	Frequency                  string
	Released, Failed, Finished int
	Restored                   int
	// LeadP50 and LeadP90 are "" when nothing was released.
	LeadP50, LeadP90 string
	FailureRate      string
	Restore          string // "" when no stage was restored
	Deploys          barChart
	Failures         rateBar
}

func (p *Pages) metrics(w http.ResponseWriter, r *http.Request) {
	days := defaultMetricDays
	if q := r.URL.Query().Get("days"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || !slices.Contains(metricWindows, n) {
			p.notFound(w, r, "The metrics page shows the last 7, 30 or 90 days, such as /ui/metrics?days=7.")
			return
		}
		days = n
	}
	now := p.cfg.Clock.Now()
	window := time.Duration(days) * 24 * time.Hour
	history, err := p.cfg.History.ReleaseHistory(r.Context(), now.Add(-window))
	if err != nil {
		p.cfg.Logger.Error("web metrics: read the release history", "days", days, "err", err)
		p.render(w, r, http.StatusInternalServerError, "message.html", messagePage{Title: "Could not read the release history",
			Message: "Wavegate could not read its release history from its database; its log says why. Reload the page to try again.", OverviewURL: "/ui/"})
		return
	}
	readable := map[string]bool{}
	shown := history[:0:0]
	for _, e := range history {
		ok, seen := readable[e.Repository]
		if !seen {
			ok = p.canRead(r, e.Repository)
			readable[e.Repository] = ok
		}
		if ok {
			shown = append(shown, e)
		}
	}
	b := builder{now: now, webURL: p.cfg.WebURL}
	page := metricsPage{Title: "Delivery metrics", Now: b.clock(now), Days: days}
	for _, d := range metricWindows {
		page.Windows = append(page.Windows, windowLink{Days: d, URL: "/ui/metrics?days=" + strconv.Itoa(d), Current: d == days})
	}
	// What the charts and the failure rate's denominator need beside
	// Compute's figures, counted over the same rows.
	released := map[pipeKey][]time.Time{}
	finished := map[pipeKey]map[int64]bool{}
	for _, e := range shown {
		if e.At.After(now) || (e.Kind != store.HistoryReleased && e.Kind != store.HistoryFailed) {
			continue
		}
		k := pipeKey{e.Repository, e.Pipeline}
		if finished[k] == nil {
			finished[k] = map[int64]bool{}
		}
		finished[k][e.ReleaseID] = true
		if e.Kind == store.HistoryReleased {
			released[k] = append(released[k], e.At)
		}
	}
	for i, m := range delivery.Compute(shown, window, now) {
		k := pipeKey{m.Repository, m.Pipeline}
		counts := dayCounts(released[k], days, now)
		page.Pipelines = append(page.Pipelines, pipelineView(i, m, len(finished[k]), counts, now))
	}
	p.render(w, r, http.StatusOK, "metrics.html", page)
}

type pipeKey struct{ repository, pipeline string }

// pipelineView prints m; finished is the changes the failure rate divides
// by (released or failed, each once).
func pipelineView(i int, m delivery.Metrics, finished int, counts []int, now time.Time) pipelineMetrics {
	v := pipelineMetrics{Index: i, Repository: m.Repository, Pipeline: m.Pipeline, Released: m.Released,
		Failed: m.Failed, Restored: m.Restored, Frequency: fmt.Sprintf("%.2f a day", m.DeploysPerDay),
		FailureRate: percent(m.ChangeFailureRate), Finished: finished}
	if m.Released > 0 {
		v.LeadP50, v.LeadP90 = span(m.LeadTimeP50), span(m.LeadTimeP90)
	}
	if m.Restored > 0 {
		v.Restore = span(m.RestoreP50)
	}
	v.Deploys = releasesChart(counts, now, dayLabel)
	v.Failures = newRateBar(fmt.Sprintf("Change failure rate: %s, %d of %s failed", v.FailureRate, m.Failed, plural(v.Finished, "change")), m.ChangeFailureRate)
	return v
}

// dayLabel names the end of a day of the chart.
func dayLabel(t time.Time) string { return t.UTC().Format("2 Jan 15:04 UTC") }
