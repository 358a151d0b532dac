package effects

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wavegate/wavegate/delivery"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

// historyRun drives Plan the way the runner does, saving each result
// through an EngineStore over a real store. Every deploy reports a minute
// after it starts.
type historyRun struct {
	t   *testing.T
	ctx context.Context
	es  *EngineStore
	key pipeline.Key
	p   pipeline.Pipeline
	st  pipeline.State
	now time.Time
	// fails says which deploys fail.
	fails func(pipeline.DeployEffect) bool
}

func openHistoryDB(t *testing.T) *sqlite.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (h *historyRun) plan() pipeline.Result {
	h.t.Helper()
	_, version, err := h.es.Load(h.ctx, h.key)
	if err != nil {
		h.t.Fatal(err)
	}
	res := pipeline.Plan(h.p, h.st, pipeline.Inputs{}, h.now)
	if err := h.es.Save(h.ctx, h.key, version, h.p, res, h.now); err != nil {
		h.t.Fatal(err)
	}
	h.st = res.State
	return res
}

// settle plans until no deploy is in flight.
func (h *historyRun) settle() {
	h.t.Helper()
	for res := h.plan(); len(res.Deploys) > 0; res = h.plan() {
		h.now = h.now.Add(time.Minute)
		for _, d := range res.Deploys {
			outcome := pipeline.OutcomeSuccess
			if h.fails != nil && h.fails(d) {
				outcome = pipeline.OutcomeFailed
			}
			if _, err := pipeline.RecordOutcome(&h.st, d.Step.Key, outcome, "scripted", h.now); err != nil {
				h.t.Fatal(err)
			}
		}
	}
}

func (h *historyRun) push(id int64, sha string) {
	h.t.Helper()
	if err := pipeline.AddRelease(&h.st, pipeline.Release{ID: id, SHA: sha, CreatedAt: h.now}); err != nil {
		h.t.Fatal(err)
	}
	h.settle()
}

// A release released, one failing in prod, and the next one succeeding
// there after the resume: the history, the metrics computed from it, and
// the Prometheus metrics, all to the second.
func TestSaveRecordsReleaseHistory(t *testing.T) {
	ctx := context.Background()
	db := openHistoryDB(t)
	reg := prometheus.NewRegistry()
	metrics, err := NewDeliveryMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := &historyRun{t: t, ctx: ctx, es: &EngineStore{DB: db, Metrics: metrics},
		key: pipeline.Key{Repository: "acme/api", Pipeline: "app"},
		p: pipeline.Pipeline{Name: "app", DeployTimeout: 30 * time.Minute, Stages: []pipeline.Stage{
			{Name: "staging", Targets: []string{"s1"}}, {Name: "prod", Targets: []string{"p1"}}}},
		st: pipeline.State{}, now: start,
		fails: func(d pipeline.DeployEffect) bool {
			return d.ReleaseID == 2 && d.Stage == "prod" && d.Step.Action == pipeline.ActionDeploy
		}}
	at := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }

	h.push(1, "sha1") // staging +0, prod +1, released +2
	h.now = at(10)
	h.push(2, "sha2") // staging +10, prod fails +12, rolled back +13
	h.now = at(20)
	pipeline.Resume(&h.st, "prod")
	h.settle()
	h.now = at(30)
	h.push(3, "sha3") // staging +30, prod +31, released +32

	got, err := db.ReleaseHistory(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	ev := func(kind store.HistoryKind, id int64, sha, stage string, at, started time.Time) store.HistoryEvent {
		return store.HistoryEvent{Repository: "acme/api", Pipeline: "app", ReleaseID: id, SHA: sha, Stage: stage, Kind: kind, At: at, StartedAt: started}
	}
	want := []store.HistoryEvent{
		ev(store.HistoryReleased, 1, "sha1", "", at(2), at(0)),
		ev(store.HistoryFailed, 2, "sha2", "prod", at(12), at(10)),
		ev(store.HistoryRestored, 3, "sha3", "prod", at(32), at(12)),
		ev(store.HistoryReleased, 3, "sha3", "", at(32), at(30)),
	}
	if !slices.EqualFunc(got, want, func(a, b store.HistoryEvent) bool { return a == b }) {
		t.Fatalf("history:\n got %+v\nwant %+v", got, want)
	}

	m := delivery.Compute(got, delivery.Week, at(60))
	wantM := []delivery.Metrics{{Repository: "acme/api", Pipeline: "app", Window: delivery.Week,
		Released: 2, Failed: 1, Restored: 1, DeploysPerDay: 2.0 / 7,
		LeadTimeP50: 2 * time.Minute, LeadTimeP90: 2 * time.Minute,
		ChangeFailureRate: 1.0 / 3, RestoreP50: 20 * time.Minute}}
	if !slices.Equal(m, wantM) {
		t.Fatalf("metrics:\n got %+v\nwant %+v", m, wantM)
	}

	if n := testutil.ToFloat64(metrics.releases.WithLabelValues("acme/api", "app", "released")); n != 2 {
		t.Errorf("released total %v, want 2", n)
	}
	if n := testutil.ToFloat64(metrics.releases.WithLabelValues("acme/api", "app", "failed")); n != 1 {
		t.Errorf("failed total %v, want 1", n)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var count uint64
	var sum float64
	for _, f := range families {
		if f.GetName() == "wavegate_release_lead_time_seconds" {
			for _, s := range f.GetMetric() {
				count, sum = count+s.GetHistogram().GetSampleCount(), sum+s.GetHistogram().GetSampleSum()
			}
		}
	}
	if count != 2 || sum != 240 {
		t.Errorf("lead time histogram: %d samples summing to %vs, want 2 summing to 240s", count, sum)
	}
}

func TestHistoryEvents(t *testing.T) {
	created := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := created.Add(time.Hour)
	key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	p := pipeline.Pipeline{Name: "app", Stages: []pipeline.Stage{
		{Name: "staging", Targets: []string{"s1"}},
		{Name: "sign-off", Approval: &pipeline.Approval{Timeout: time.Hour}},
		{Name: "prod", Targets: []string{"p1"}}}}
	st := pipeline.State{Releases: []*pipeline.Release{{ID: 4, SHA: "sha4", CreatedAt: created}}}
	ev := func(kind store.HistoryKind, stage string, started time.Time) store.HistoryEvent {
		return store.HistoryEvent{Repository: "acme/api", Pipeline: "app", ReleaseID: 4, SHA: "sha4", Stage: stage, Kind: kind, At: now, StartedAt: started}
	}
	tests := []struct {
		name string
		d    pipeline.Decision
		want []store.HistoryEvent
	}{
		{"released", pipeline.Decision{ReleaseID: 4, What: "released"}, []store.HistoryEvent{ev(store.HistoryReleased, "", created)}},
		{"failed in a deploy stage", pipeline.Decision{ReleaseID: 4, Stage: "prod", What: "failed"}, []store.HistoryEvent{ev(store.HistoryFailed, "prod", created)}},
		{"stage succeeded: a restore if prod had failed", pipeline.Decision{ReleaseID: 4, Stage: "prod", What: "succeeded"}, []store.HistoryEvent{ev(store.HistoryRestored, "prod", time.Time{})}},
		{"an approval failing fails no change", pipeline.Decision{ReleaseID: 4, Stage: "sign-off", What: "failed"}, nil},
		{"a target's phase", pipeline.Decision{ReleaseID: 4, Stage: "prod", Target: "p1", What: "rollback-failed"}, nil},
		{"a target done", pipeline.Decision{ReleaseID: 4, Stage: "prod", Target: "p1", What: "done"}, nil},
		{"stopped", pipeline.Decision{ReleaseID: 4, Stage: "prod", What: "stopped"}, nil},
		{"a release neither state holds", pipeline.Decision{ReleaseID: 3, What: "released"}, nil},
	}
	es := &EngineStore{DB: openHistoryDB(t)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := es.historyEvents(t.Context(), key, p, pipeline.Result{State: st, Decisions: []pipeline.Decision{tt.d}}, now)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// A release rolled back in two stages at once is one failed release.
func TestDeliveryMetricsCountAFailedReleaseOnce(t *testing.T) {
	m, err := NewDeliveryMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	m.observe([]store.HistoryEvent{
		{Repository: "acme/api", Pipeline: "app", ReleaseID: 4, Stage: "staging", Kind: store.HistoryFailed, At: at},
		{Repository: "acme/api", Pipeline: "app", ReleaseID: 4, Stage: "prod", Kind: store.HistoryFailed, At: at},
		{Repository: "acme/api", Pipeline: "app", ReleaseID: 5, Stage: "prod", Kind: store.HistoryRestored, At: at},
	})
	if n := testutil.ToFloat64(m.releases.WithLabelValues("acme/api", "app", "failed")); n != 1 {
		t.Fatalf("failed total %v, want 1", n)
	}
	if n := testutil.CollectAndCount(m.releases); n != 1 {
		t.Fatalf("%d series, want only the failed one", n)
	}
}

// A plan that releases a release and drops it from the state at once
// (newer releases finished first): the row is made from the stored state.
func TestSaveRecordsAReleaseItsPlanDropped(t *testing.T) {
	ctx := t.Context()
	db := openHistoryDB(t)
	es := &EngineStore{DB: db}
	key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	p := pipeline.Pipeline{Name: "app", Stages: []pipeline.Stage{{Name: "prod", Targets: []string{"p1"}}}}
	created := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var before pipeline.State
	if err := pipeline.AddRelease(&before, pipeline.Release{ID: 1, SHA: "sha1", CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
	if err := es.Save(ctx, key, 0, p, pipeline.Result{State: before}, created); err != nil {
		t.Fatal(err)
	}
	now := created.Add(time.Hour)
	dropped := pipeline.Result{State: pipeline.State{}, Decisions: []pipeline.Decision{
		{ReleaseID: 1, Stage: "prod", What: "succeeded"}, {ReleaseID: 1, What: "released"}}}
	if err := es.Save(ctx, key, 1, p, dropped, now); err != nil {
		t.Fatal(err)
	}
	got, err := db.ReleaseHistory(ctx, created)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.HistoryEvent{{Repository: "acme/api", Pipeline: "app", ReleaseID: 1, SHA: "sha1", Kind: store.HistoryReleased, At: now, StartedAt: created}}
	if !slices.Equal(got, want) {
		t.Fatalf("history:\n got %+v\nwant %+v", got, want)
	}
}
