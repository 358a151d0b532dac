package effects

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// The decisions (pipeline.Decision.What) the release history is made of.
const (
	decisionReleased  = "released"
	decisionFailed    = "failed"
	decisionSucceeded = "succeeded"
)

// historyEvents are the release history rows res's decisions make, at now.
// A stage's success is offered as a restore; the store records it only
// when that stage has a failure not yet restored. Lead time starts at the
// release's creation: the state does not know when its pull requests were
// merged.
func historyEvents(key pipeline.Key, p pipeline.Pipeline, res pipeline.Result, now time.Time) []store.HistoryEvent {
	var out []store.HistoryEvent
	for _, d := range res.Decisions {
		if d.Target != "" {
			continue
		}
		r := res.State.Release(d.ReleaseID)
		if r == nil {
			continue
		}
		e := store.HistoryEvent{Repository: key.Repository, Pipeline: key.Pipeline, ReleaseID: r.ID, SHA: r.SHA,
			Stage: d.Stage, At: now, StartedAt: r.CreatedAt}
		switch {
		case d.What == decisionReleased && d.Stage == "":
			e.Kind = store.HistoryReleased
		case d.What == decisionFailed && d.Stage != "" && !isApproval(res.State.PipelineOf(r, p), d.Stage):
			// An approval that timed out or was rejected failed no change.
			e.Kind = store.HistoryFailed
		case d.What == decisionSucceeded && d.Stage != "":
			e.Kind, e.StartedAt = store.HistoryRestored, time.Time{}
		default:
			continue
		}
		out = append(out, e)
	}
	return out
}

func isApproval(p pipeline.Pipeline, stage string) bool {
	for _, s := range p.Stages {
		if s.Name == stage {
			return s.IsApproval()
		}
	}
	return false
}

// DeliveryMetrics are the Prometheus metrics of releases, observed once
// the history rows that record them are committed.
type DeliveryMetrics struct {
	leadTime *prometheus.HistogramVec
	releases *prometheus.CounterVec
}

// NewDeliveryMetrics registers the release metrics with reg (none when nil).
func NewDeliveryMetrics(reg prometheus.Registerer) (*DeliveryMetrics, error) {
	m := &DeliveryMetrics{
		leadTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "wavegate_release_lead_time_seconds",
			Help: "Time from a release's creation (its push to the deployment branch) to its finishing the last stage.",
			// One minute to about eleven days.
			Buckets: prometheus.ExponentialBuckets(60, 2, 15),
		}, []string{"repository", "pipeline"}),
		releases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_releases_total",
			Help: "Releases that finished the last stage (outcome released) or failed in a deploy stage (outcome failed).",
		}, []string{"repository", "pipeline", "outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.leadTime, m.releases} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register release metrics: %w", err)
		}
	}
	return m, nil
}

// observe counts the releases of committed history rows: a release that
// failed in several stages at once counts once.
func (m *DeliveryMetrics) observe(events []store.HistoryEvent) {
	if m == nil {
		return
	}
	failed := map[int64]bool{}
	for _, e := range events {
		switch e.Kind {
		case store.HistoryReleased:
			m.leadTime.WithLabelValues(e.Repository, e.Pipeline).Observe(e.At.Sub(e.StartedAt).Seconds())
			m.releases.WithLabelValues(e.Repository, e.Pipeline, string(store.HistoryReleased)).Inc()
		case store.HistoryFailed:
			if !failed[e.ReleaseID] {
				failed[e.ReleaseID] = true
				m.releases.WithLabelValues(e.Repository, e.Pipeline, string(store.HistoryFailed)).Inc()
			}
		}
	}
}
