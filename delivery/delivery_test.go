package delivery

import (
	"slices"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// scripted is a history over a hundred days ending at clk.Now(): rows on
// each window's edge, outside every window and after now.
func scripted(now time.Time) []store.HistoryEvent {
	day := 24 * time.Hour
	ev := func(repo, pipe string, kind store.HistoryKind, id int64, stage string, at time.Time, took time.Duration) store.HistoryEvent {
		return store.HistoryEvent{Repository: repo, Pipeline: pipe, ReleaseID: id, Stage: stage, Kind: kind, At: at, StartedAt: at.Add(-took)}
	}
	app := func(kind store.HistoryKind, id int64, stage string, at time.Time, took time.Duration) store.HistoryEvent {
		return ev("acme/api", "app", kind, id, stage, at, took)
	}
	return []store.HistoryEvent{
		ev("acme/web", "app", store.HistoryReleased, 1, "", now.Add(-100*day), time.Hour),
		app(store.HistoryReleased, 1, "", now.Add(-95*day), time.Hour),
		app(store.HistoryReleased, 2, "", now.Add(-60*day), 2*time.Hour),
		app(store.HistoryFailed, 3, "prod", now.Add(-20*day), time.Hour),
		app(store.HistoryRestored, 4, "prod", now.Add(-20*day+3*time.Hour), 3*time.Hour),
		app(store.HistoryReleased, 4, "", now.Add(-20*day+3*time.Hour), 4*time.Hour),
		app(store.HistoryReleased, 5, "", now.Add(-7*day), 30*time.Minute),
		// Released, then rolled back in two stages: one failed change.
		app(store.HistoryFailed, 5, "prod", now.Add(-6*day), 0),
		app(store.HistoryFailed, 5, "staging", now.Add(-6*day), 0),
		ev("acme/api", "worker", store.HistoryFailed, 1, "prod", now.Add(-3*day), time.Hour),
		app(store.HistoryFailed, 6, "staging", now.Add(-2*day), time.Hour),
		app(store.HistoryRestored, 7, "staging", now.Add(-day), day),
		app(store.HistoryReleased, 7, "", now.Add(-day), 10*time.Hour),
		app(store.HistoryReleased, 8, "", now.Add(time.Hour), time.Hour),
	}
}

func TestCompute(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	history := scripted(clk.Now())
	worker := func(w time.Duration) Metrics {
		return Metrics{Repository: "acme/api", Pipeline: "worker", Window: w, Failed: 1, ChangeFailureRate: 1}
	}
	tests := []struct {
		window time.Duration
		want   []Metrics
	}{
		{Week, []Metrics{{Repository: "acme/api", Pipeline: "app", Window: Week,
			Released: 2, Failed: 2, Restored: 1, DeploysPerDay: 2.0 / 7,
			LeadTimeP50: 30 * time.Minute, LeadTimeP90: 10 * time.Hour,
			ChangeFailureRate: 2.0 / 3, RestoreP50: 24 * time.Hour}, worker(Week)}},
		{Month, []Metrics{{Repository: "acme/api", Pipeline: "app", Window: Month,
			Released: 3, Failed: 3, Restored: 2, DeploysPerDay: 0.1,
			LeadTimeP50: 4 * time.Hour, LeadTimeP90: 10 * time.Hour,
			ChangeFailureRate: 0.6, RestoreP50: 3 * time.Hour}, worker(Month)}},
		{Quarter, []Metrics{{Repository: "acme/api", Pipeline: "app", Window: Quarter,
			Released: 4, Failed: 3, Restored: 2, DeploysPerDay: 4.0 / 90,
			LeadTimeP50: 2 * time.Hour, LeadTimeP90: 10 * time.Hour,
			ChangeFailureRate: 0.5, RestoreP50: 3 * time.Hour}, worker(Quarter)}},
	}
	for _, tt := range tests {
		got := Compute(history, tt.window, clk.Now())
		if !slices.Equal(got, tt.want) {
			t.Errorf("window %s:\n got %+v\nwant %+v", tt.window, got, tt.want)
		}
	}
	// An hour on, the release made after the first now counts, and the
	// week's edge row (release 5's release) has left the week, though its
	// rollback has not.
	clk.Advance(time.Hour)
	got := Compute(history, Week, clk.Now())
	want := Metrics{Repository: "acme/api", Pipeline: "app", Window: Week,
		Released: 2, Failed: 2, Restored: 1, DeploysPerDay: 2.0 / 7,
		LeadTimeP50: time.Hour, LeadTimeP90: 10 * time.Hour,
		ChangeFailureRate: 0.5, RestoreP50: 24 * time.Hour}
	if len(got) != 2 || got[0] != want {
		t.Errorf("an hour on:\n got %+v\nwant %+v first", got, want)
	}
}

func TestComputeEmpty(t *testing.T) {
	if got := Compute(nil, Week, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Fatalf("metrics of no history: %+v", got)
	}
}

func TestPercentile(t *testing.T) {
	minutes := func(n int) []time.Duration {
		var ds []time.Duration
		for i := n; i >= 1; i-- { // reversed: percentile sorts
			ds = append(ds, time.Duration(i)*time.Minute)
		}
		return ds
	}
	tests := []struct {
		n, pct int
		want   time.Duration
	}{
		{0, 50, 0},
		{1, 50, time.Minute},
		{1, 90, time.Minute},
		{2, 50, time.Minute},
		{3, 50, 2 * time.Minute},
		{10, 50, 5 * time.Minute},
		{10, 90, 9 * time.Minute},
		{11, 90, 10 * time.Minute},
		{20, 90, 18 * time.Minute},
		{100, 90, 90 * time.Minute},
	}
	for _, tt := range tests {
		if got := percentile(minutes(tt.n), tt.pct); got != tt.want {
			t.Errorf("p%d of 1..%d minutes = %s, want %s", tt.pct, tt.n, got, tt.want)
		}
	}
}
