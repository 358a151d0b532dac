package effects

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

type scriptedHistory struct {
	rows  []store.HistoryEvent
	err   error
	since time.Time
}

func (h *scriptedHistory) ReleaseHistory(_ context.Context, since time.Time) ([]store.HistoryEvent, error) {
	h.since = since
	return h.rows, h.err
}

// The gauges say what the metrics page says for the last 30 days:
// released #1 (lead 1h) and #3 (3h), #2 failed in beta and beta restored
// 2h later, and a pipeline with only a failure.
func TestDeliveryCollector(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	h := func(d time.Duration) time.Time { return now.Add(-d * time.Hour) }
	ev := func(repo string, id int64, kind store.HistoryKind, stage string, started, at time.Time) store.HistoryEvent {
		return store.HistoryEvent{Repository: repo, Pipeline: "prod", ReleaseID: id, Kind: kind, Stage: stage, StartedAt: started, At: at}
	}
	hist := &scriptedHistory{rows: []store.HistoryEvent{
		ev("acme/api", 1, store.HistoryReleased, "", h(50), h(49)),
		ev("acme/api", 2, store.HistoryFailed, "beta", h(30), h(29)),
		ev("acme/api", 3, store.HistoryReleased, "", h(12), h(9)),
		ev("acme/api", 3, store.HistoryRestored, "beta", h(29), h(27)),
		ev("acme/web", 7, store.HistoryFailed, "beta", h(2), h(1)),
	}}
	c := NewDeliveryCollector(hist, clock.NewFake(now))
	want := `
# HELP wavegate_delivery_change_failure_ratio Releases that failed in a deploy stage over those released or failed, over the last 30 days.
# TYPE wavegate_delivery_change_failure_ratio gauge
wavegate_delivery_change_failure_ratio{pipeline="prod",repository="acme/api"} 0.3333333333333333
wavegate_delivery_change_failure_ratio{pipeline="prod",repository="acme/web"} 1
# HELP wavegate_delivery_deploys_per_day Releases that finished the last stage over the last 30 days, per day.
# TYPE wavegate_delivery_deploys_per_day gauge
wavegate_delivery_deploys_per_day{pipeline="prod",repository="acme/api"} 0.06666666666666667
wavegate_delivery_deploys_per_day{pipeline="prod",repository="acme/web"} 0
# HELP wavegate_delivery_lead_time_seconds Lead time from a release's creation to its release over the last 30 days, by quantile (0.5, 0.9).
# TYPE wavegate_delivery_lead_time_seconds gauge
wavegate_delivery_lead_time_seconds{pipeline="prod",quantile="0.5",repository="acme/api"} 3600
wavegate_delivery_lead_time_seconds{pipeline="prod",quantile="0.9",repository="acme/api"} 10800
# HELP wavegate_delivery_scrape_errors_total Scrapes whose release history could not be read; their delivery gauges are missing.
# TYPE wavegate_delivery_scrape_errors_total counter
wavegate_delivery_scrape_errors_total 0
# HELP wavegate_delivery_time_to_restore_seconds Median time from a stage's failure to the next release succeeding there, over the last 30 days.
# TYPE wavegate_delivery_time_to_restore_seconds gauge
wavegate_delivery_time_to_restore_seconds{pipeline="prod",repository="acme/api"} 7200
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if want := now.Add(-30 * 24 * time.Hour); !hist.since.Equal(want) {
		t.Errorf("history read since %v, want %v", hist.since, want)
	}

	// A history that cannot be read counts an error and sends no gauge.
	hist.err = errors.New("database is locked")
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP wavegate_delivery_scrape_errors_total Scrapes whose release history could not be read; their delivery gauges are missing.
# TYPE wavegate_delivery_scrape_errors_total counter
wavegate_delivery_scrape_errors_total 1
`)); err != nil {
		t.Error(err)
	}
}
