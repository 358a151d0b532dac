package effects

import (
	"context"
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
//
// Plan may drop a release from the state in the very plan that releases
// it (a state keeps only the latest finished releases, and newer ones may
// have finished first); such a release is read from the stored state, the
// one Plan started from.
func (e *EngineStore) historyEvents(ctx context.Context, key pipeline.Key, p pipeline.Pipeline, res pipeline.Result, now time.Time) ([]store.HistoryEvent, error) {
	var stored *pipeline.State
	find := func(id int64) (*pipeline.Release, pipeline.State, error) {
		if r := res.State.Release(id); r != nil {
			return r, res.State, nil
		}
		if stored == nil {
			st, _, err := e.Load(ctx, key)
			if err != nil {
				return nil, pipeline.State{}, fmt.Errorf("find release %d, dropped by its plan: %w", id, err)
			}
			stored = &st
		}
		return stored.Release(id), *stored, nil
	}
	var out []store.HistoryEvent
	for _, d := range res.Decisions {
		if d.Target != "" || !historyDecision(d) {
			continue
		}
		r, st, err := find(d.ReleaseID)
		if err != nil {
			return nil, err
		}
		if r == nil {
			continue
		}
		ev := store.HistoryEvent{Repository: key.Repository, Pipeline: key.Pipeline, ReleaseID: r.ID, SHA: r.SHA,
			Stage: d.Stage, At: now, StartedAt: r.CreatedAt}
		switch d.What {
		case decisionReleased:
			ev.Kind = store.HistoryReleased
		case decisionFailed:
			if isApproval(st.PipelineOf(r, p), d.Stage) {
				continue // an approval that timed out or was rejected failed no change
			}
			ev.Kind = store.HistoryFailed
		case decisionSucceeded:
			ev.Kind, ev.StartedAt = store.HistoryRestored, time.Time{}
		}
		out = append(out, ev)
	}
	return out, nil
}

// decisionEvents are res's decisions about releases, for the release
// pages' timelines.
func decisionEvents(key pipeline.Key, res pipeline.Result, now time.Time) []store.DecisionEvent {
	var out []store.DecisionEvent
	for _, d := range res.Decisions {
		if d.ReleaseID == 0 {
			continue
		}
		out = append(out, store.DecisionEvent{Repository: key.Repository, Pipeline: key.Pipeline, ReleaseID: d.ReleaseID,
			Stage: d.Stage, Target: d.Target, What: d.What, Reason: d.Reason, At: now})
	}
	return out
}

// historyDecision reports whether d is one the history records (a stage's
// success as a possible restore).
func historyDecision(d pipeline.Decision) bool {
	switch d.What {
	case decisionReleased:
		return d.Stage == ""
	case decisionFailed, decisionSucceeded:
		return d.Stage != ""
	}
	return false
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
