// Package delivery computes delivery metrics (deployment frequency, lead
// time, change failure rate, time to restore) from the release history.
// It is pure: the caller reads the history and gives the time.
package delivery

import (
	"cmp"
	"slices"
	"time"

	"github.com/wavegate/wavegate/store"
)

// The windows the metrics are shown over.
const (
	Week    = 7 * 24 * time.Hour
	Month   = 30 * 24 * time.Hour
	Quarter = 90 * 24 * time.Hour
)

// Metrics are one pipeline's delivery metrics over a window.
type Metrics struct {
	Repository string
	Pipeline   string
	Window     time.Duration
	// Released counts the releases that finished the last stage in the
	// window; Restored the stages restored in it.
	Released int
	Restored int
	// Failed counts the releases that failed in the window, each once
	// however many stages it failed (or was rolled back) in.
	Failed int
	// DeploysPerDay is Released divided by the window's length in days.
	DeploysPerDay float64
	// LeadTimeP50 and LeadTimeP90 are percentiles of the released rows'
	// At - StartedAt (from the release's creation to its release); zero
	// when Released is 0.
	LeadTimeP50 time.Duration
	LeadTimeP90 time.Duration
	// ChangeFailureRate is Failed divided by the releases that were
	// released or failed in the window, each counted once: a release
	// released then rolled back is one change, and a failed one. Zero when
	// there were none.
	ChangeFailureRate float64
	// RestoreP50 is the median of the restored rows' At - StartedAt (from
	// the stage's first failure to the next release succeeding there); zero
	// when Restored is 0.
	RestoreP50 time.Duration
}

type key struct{ repository, pipeline string }

// Compute returns the metrics of every pipeline with a history row in the
// window ending at now (now-window <= At <= now), ordered by repository
// then pipeline. A pipeline with no row in the window is not listed.
// Percentiles are nearest-rank: the smallest value at least p of the values
// do not exceed, so each is a duration that was actually observed.
func Compute(history []store.HistoryEvent, window time.Duration, now time.Time) []Metrics {
	from := now.Add(-window)
	type acc struct {
		Metrics
		lead, restore []time.Duration
		finished      map[int64]bool // release id: failed
	}
	byKey := map[key]*acc{}
	for _, e := range history {
		if e.At.Before(from) || e.At.After(now) {
			continue
		}
		k := key{e.Repository, e.Pipeline}
		a := byKey[k]
		if a == nil {
			a = &acc{Metrics: Metrics{Repository: e.Repository, Pipeline: e.Pipeline, Window: window}, finished: map[int64]bool{}}
			byKey[k] = a
		}
		switch e.Kind {
		case store.HistoryReleased:
			a.Released++
			a.lead = append(a.lead, e.At.Sub(e.StartedAt))
			if _, ok := a.finished[e.ReleaseID]; !ok {
				a.finished[e.ReleaseID] = false
			}
		case store.HistoryFailed:
			a.finished[e.ReleaseID] = true
		case store.HistoryRestored:
			a.Restored++
			a.restore = append(a.restore, e.At.Sub(e.StartedAt))
		}
	}
	out := make([]Metrics, 0, len(byKey))
	for _, a := range byKey {
		m := a.Metrics
		if days := window.Hours() / 24; days > 0 {
			m.DeploysPerDay = float64(m.Released) / days
		}
		m.LeadTimeP50, m.LeadTimeP90 = percentile(a.lead, 50), percentile(a.lead, 90)
		for _, failed := range a.finished {
			if failed {
				m.Failed++
			}
		}
		if len(a.finished) > 0 {
			m.ChangeFailureRate = float64(m.Failed) / float64(len(a.finished))
		}
		m.RestoreP50 = percentile(a.restore, 50)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Metrics) int {
		return cmp.Or(cmp.Compare(a.Repository, b.Repository), cmp.Compare(a.Pipeline, b.Pipeline))
	})
	return out
}

// percentile is the nearest-rank pct-th percentile of ds (sorted in
// place); zero for none. Integer arithmetic: 0.9*n in floating point may
// land a hair above an integer and pick the next rank.
func percentile(ds []time.Duration, pct int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := (pct*len(ds) + 99) / 100
	return ds[max(rank, 1)-1]
}
