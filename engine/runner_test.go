package engine

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
)

var simStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func simplePipeline(stages ...pipeline.Stage) pipeline.Pipeline {
	return pipeline.Pipeline{Name: "app", DeployTimeout: 30 * time.Minute, Stages: stages}
}

// memStore is a Store in memory, signalling every save. It keeps states
// encoded, as a real store does, so a loaded state shares nothing with
// the one saved.
type memStore struct {
	mu        sync.Mutex
	states    map[pipeline.Key][]byte
	versions  map[pipeline.Key]int64
	wake      map[pipeline.Key]time.Time
	deploys   []pipeline.DeployEffect
	conflicts int // Save fails with ErrConflict this many times first
	saved     chan struct{}
	pipeline  pipeline.Pipeline // the last saved
}

func newMemStore() *memStore {
	return &memStore{states: map[pipeline.Key][]byte{}, versions: map[pipeline.Key]int64{}, wake: map[pipeline.Key]time.Time{}, saved: make(chan struct{}, 100)}
}

func (m *memStore) Load(_ context.Context, key pipeline.Key) (pipeline.State, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var st pipeline.State
	if doc, ok := m.states[key]; ok {
		if err := json.Unmarshal(doc, &st); err != nil {
			return pipeline.State{}, 0, err
		}
	}
	return st, m.versions[key], nil
}

func (m *memStore) Save(_ context.Context, key pipeline.Key, version int64, p pipeline.Pipeline, res pipeline.Result, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conflicts > 0 {
		m.conflicts--
		m.versions[key]++ // someone else saved meanwhile
		return ErrConflict
	}
	if m.versions[key] != version {
		return ErrConflict
	}
	doc, err := json.Marshal(res.State)
	if err != nil {
		return err
	}
	m.states[key], m.versions[key] = doc, version+1
	m.pipeline = p
	m.wake[key] = res.WakeAt
	m.deploys = append(m.deploys, res.Deploys...)
	m.saved <- struct{}{}
	return nil
}

func (m *memStore) Due(_ context.Context, now time.Time, limit int) ([]pipeline.Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []pipeline.Key
	for k, w := range m.wake {
		if !w.IsZero() && !w.After(now) && len(out) < limit {
			out = append(out, k)
		}
	}
	return out, nil
}

func (m *memStore) NextWake(context.Context) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best time.Time
	for _, w := range m.wake {
		if !w.IsZero() && (best.IsZero() || w.Before(best)) {
			best = w
		}
	}
	return best, !best.IsZero(), nil
}

func (m *memStore) deployCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.deploys)
}

type onePipeline struct{ p pipeline.Pipeline }

func (o onePipeline) Pipeline(context.Context, pipeline.Key) (pipeline.Pipeline, error) {
	return o.p, nil
}

func TestRunnerWakesWhenABakeEnds(t *testing.T) {
	store := newMemStore()
	clk := clock.NewFake(simStart)
	p := simplePipeline(pipeline.Stage{Name: "a", Targets: []string{"A"}, Bake: 10 * time.Minute, OneBox: true})
	r := &Runner{Store: store, Pipelines: onePipeline{p}, Clock: clk}
	key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	res, err := r.Apply(ctx, key, func(_ pipeline.Pipeline, st *pipeline.State) error {
		return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "s1", CreatedAt: clk.Now()})
	})
	if err != nil || len(res.Deploys) != 1 || res.Deploys[0].Step.Variant != pipeline.VariantOnebox {
		t.Fatalf("apply: %+v %v", res.Deploys, err)
	}
	clk.Advance(time.Minute)
	if _, err := r.Apply(ctx, key, func(_ pipeline.Pipeline, st *pipeline.State) error {
		_, err := pipeline.RecordOutcome(st, res.Deploys[0].Step.Key, pipeline.OutcomeSuccess, "", clk.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The one-box bakes until +11m: the runner sleeps until then, no polling.
	bakeEnd := simStart.Add(11 * time.Minute)
	clk.BlockUntilTimerAt(bakeEnd)
	before := store.deployCount()
	clk.Set(bakeEnd)
	for store.deployCount() == before {
		<-store.saved
	}
	if d := store.deploys[len(store.deploys)-1]; d.Step.Variant != pipeline.VariantFull || d.Target != "A" {
		t.Fatalf("after the bake: %+v, want the full deploy of A", d)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRunnerReplaysOnConflict(t *testing.T) {
	store := newMemStore()
	store.conflicts = 2
	r := &Runner{Store: store, Pipelines: onePipeline{simplePipeline(pipeline.Stage{Name: "a", Targets: []string{"A"}})}, Clock: clock.NewFake(simStart)}
	calls := 0
	res, err := r.Apply(context.Background(), pipeline.Key{Repository: "acme/api", Pipeline: "app"}, func(_ pipeline.Pipeline, st *pipeline.State) error {
		calls++
		return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "s1"})
	})
	if err != nil || len(res.Deploys) != 1 || calls != 3 {
		t.Fatalf("deploys %d, err %v, op applied %d times; want one deploy after 3 tries", len(res.Deploys), err, calls)
	}
	if n := store.deployCount(); n != 1 {
		t.Fatalf("%d deploys saved, want 1", n)
	}
}

// windowClosed is a blocker only the runner's inputs know: a deploy window
// that opens at a given time.
type windowClosed struct{ opens time.Time }

func (w windowClosed) Blockers(_ *pipeline.Release, _ pipeline.Stage, _ string, now time.Time) []pipeline.Blocker {
	if now.Before(w.opens) {
		return []pipeline.Blocker{{Kind: pipeline.BlockerWindow, Reason: "outside the deploy window", Until: w.opens}}
	}
	return nil
}

// The runner saves what holds each release, as planned with its blockers,
// in the state; a state saved before that was recorded loads as it is and
// has it from its next save on.
func TestRunnerSavesWhatHoldsEachRelease(t *testing.T) {
	store := newMemStore()
	key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	var old pipeline.State
	if err := pipeline.AddRelease(&old, pipeline.Release{ID: 1, SHA: "s1", CreatedAt: simStart}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if data, err := json.Marshal(old); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "Held") // as saved before the field existed
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	store.states[key], store.versions[key] = data, 1

	opens := simStart.Add(time.Hour)
	r := &Runner{Store: store, Clock: clock.NewFake(simStart),
		Pipelines: onePipeline{simplePipeline(pipeline.Stage{Name: "a", Targets: []string{"A"}})},
		Inputs: func(context.Context, pipeline.Key, pipeline.Pipeline, pipeline.State) (pipeline.Inputs, error) {
			return pipeline.Inputs{Blockers: windowClosed{opens: opens}}, nil
		}}
	if _, err := r.Apply(t.Context(), key, nil); err != nil {
		t.Fatal(err)
	}
	st, _, err := store.Load(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	want := []pipeline.Held{{ReleaseID: 1, Stage: "a", Target: "A", Blockers: []pipeline.Blocker{
		{Kind: pipeline.BlockerWindow, Reason: "outside the deploy window", Until: opens}}}}
	if !reflect.DeepEqual(st.Held, want) {
		t.Fatalf("saved held %+v, want %+v", st.Held, want)
	}
}

// Reconfigure plans with the changed pipeline and saves it; after a
// conflict the change is made again to the pipeline loaded afresh.
func TestReconfigureChangesThePipelineInForce(t *testing.T) {
	store := newMemStore()
	store.conflicts = 1
	key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	changes := 0
	var planned []string
	r := &Runner{Store: store, Clock: clock.NewFake(simStart),
		Pipelines: onePipeline{simplePipeline(pipeline.Stage{Name: "a", Targets: []string{"A"}})},
		Inputs: func(_ context.Context, _ pipeline.Key, p pipeline.Pipeline, _ pipeline.State) (pipeline.Inputs, error) {
			planned = append(planned, p.SlackChannel)
			return pipeline.Inputs{}, nil
		}}
	_, err := r.Reconfigure(t.Context(), key, func(p pipeline.Pipeline) pipeline.Pipeline {
		changes++
		p.SlackChannel = "#changed"
		return p
	})
	if err != nil {
		t.Fatal(err)
	}
	if changes != 2 || !reflect.DeepEqual(planned, []string{"#changed", "#changed"}) || store.pipeline.SlackChannel != "#changed" {
		t.Fatalf("changes %d, planned with %q, saved %q", changes, planned, store.pipeline.SlackChannel)
	}
}
