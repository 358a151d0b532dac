package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// testReleaseHistory: rows are saved with the state, in its transaction; a
// row saved twice is kept once; restored is recorded only after a failure
// and starts at the stage's first failure since it was last restored.
func testReleaseHistory(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	key := store.EngineKey{Repository: "Acme/API", Pipeline: "app"}
	version := int64(0)
	save := func(at time.Duration, events ...store.HistoryEvent) {
		t.Helper()
		v, err := s.SaveEngineState(ctx, store.EngineState{EngineKey: key, Version: version, State: []byte(`{}`), History: events}, nil, At(at))
		if err != nil {
			t.Fatalf("save at %s: %v", at, err)
		}
		version = v
	}
	ev := func(kind store.HistoryKind, id int64, stage string, at, started time.Duration) store.HistoryEvent {
		return store.HistoryEvent{Repository: key.Repository, Pipeline: key.Pipeline, ReleaseID: id, SHA: "sha" + string(rune('0'+id)),
			Stage: stage, Kind: kind, At: At(at), StartedAt: At(started)}
	}
	// A success with no failure before it restores nothing.
	save(time.Minute, ev(store.HistoryRestored, 1, "prod", time.Minute, 0))
	save(2*time.Minute, ev(store.HistoryReleased, 1, "", 2*time.Minute, 0))
	// Saved again (a replay): kept once.
	save(3*time.Minute, ev(store.HistoryReleased, 1, "", 3*time.Minute, time.Minute))
	save(4*time.Minute, ev(store.HistoryFailed, 2, "prod", 4*time.Minute, 3*time.Minute))
	save(5*time.Minute, ev(store.HistoryFailed, 3, "prod", 5*time.Minute, 4*time.Minute))
	// A failure elsewhere does not make prod restorable twice.
	save(6*time.Minute, ev(store.HistoryFailed, 3, "staging", 6*time.Minute, 4*time.Minute))
	save(7*time.Minute, ev(store.HistoryRestored, 4, "prod", 7*time.Minute, 0), ev(store.HistoryReleased, 4, "", 7*time.Minute, 6*time.Minute))
	save(8*time.Minute, ev(store.HistoryRestored, 5, "prod", 8*time.Minute, 0))

	// A save that conflicts records nothing.
	stale := store.EngineState{EngineKey: key, Version: version - 1, State: []byte(`{}`),
		History: []store.HistoryEvent{ev(store.HistoryFailed, 9, "prod", 9*time.Minute, 0)}}
	if _, err := s.SaveEngineState(ctx, stale, nil, At(9*time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale save: %v, want a conflict", err)
	}

	got, err := s.ReleaseHistory(ctx, At(0))
	if err != nil {
		t.Fatal(err)
	}
	lower := func(e store.HistoryEvent) store.HistoryEvent { e.Repository = "acme/api"; return e }
	want := []store.HistoryEvent{
		lower(ev(store.HistoryReleased, 1, "", 2*time.Minute, 0)),
		lower(ev(store.HistoryFailed, 2, "prod", 4*time.Minute, 3*time.Minute)),
		lower(ev(store.HistoryFailed, 3, "prod", 5*time.Minute, 4*time.Minute)),
		lower(ev(store.HistoryFailed, 3, "staging", 6*time.Minute, 4*time.Minute)),
		lower(ev(store.HistoryRestored, 4, "prod", 7*time.Minute, 4*time.Minute)),
		lower(ev(store.HistoryReleased, 4, "", 7*time.Minute, 6*time.Minute)),
	}
	if !slices.EqualFunc(got, want, historyEqual) {
		t.Fatalf("history:\n got %+v\nwant %+v", got, want)
	}
	since, err := s.ReleaseHistory(ctx, At(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(since, want[2:], historyEqual) {
		t.Fatalf("history since 5m:\n got %+v\nwant %+v", since, want[2:])
	}
	// The same release failing in prod again after the restore makes it
	// restorable again, from the new failure.
	save(10*time.Minute, ev(store.HistoryFailed, 6, "prod", 10*time.Minute, 9*time.Minute))
	save(11*time.Minute, ev(store.HistoryRestored, 7, "prod", 11*time.Minute, 0))
	last, err := s.ReleaseHistory(ctx, At(11*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if w := []store.HistoryEvent{lower(ev(store.HistoryRestored, 7, "prod", 11*time.Minute, 10*time.Minute))}; !slices.EqualFunc(last, w, historyEqual) {
		t.Fatalf("second restore:\n got %+v\nwant %+v", last, w)
	}
}

// testReleaseHistoryRejectsUnknownKind: an unknown kind fails the save,
// state included.
func testReleaseHistoryRejectsUnknownKind(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	key := store.EngineKey{Repository: "acme/api", Pipeline: "app"}
	st := store.EngineState{EngineKey: key, State: []byte(`{}`),
		History: []store.HistoryEvent{{Repository: key.Repository, Pipeline: key.Pipeline, ReleaseID: 1, Kind: "deployed", At: At(0)}}}
	if _, err := s.SaveEngineState(ctx, st, nil, At(0)); err == nil {
		t.Fatal("a history row of unknown kind was accepted")
	}
	if got, err := s.LoadEngineState(ctx, key); err != nil || got.Version != 0 {
		t.Fatalf("the state was saved without its history: %+v %v", got, err)
	}
}

func historyEqual(a, b store.HistoryEvent) bool {
	return a.Repository == b.Repository && a.Pipeline == b.Pipeline && a.ReleaseID == b.ReleaseID && a.SHA == b.SHA &&
		a.Stage == b.Stage && a.Kind == b.Kind && a.At.Equal(b.At) && a.StartedAt.Equal(b.StartedAt)
}

// testReleaseHistoryRestoresPerStage: a failure makes only its own
// repository's, pipeline's and stage's next success a restore; the
// repository is compared case-insensitively.
func testReleaseHistoryRestoresPerStage(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	versions := map[store.EngineKey]int64{}
	save := func(e store.HistoryEvent) {
		t.Helper()
		k := store.EngineKey{Repository: e.Repository, Pipeline: e.Pipeline}
		// Engine keys, like every repository key, ignore case.
		vk := store.EngineKey{Repository: strings.ToLower(e.Repository), Pipeline: e.Pipeline}
		v, err := s.SaveEngineState(ctx, store.EngineState{EngineKey: k, Version: versions[vk], State: []byte(`{}`),
			History: []store.HistoryEvent{e}}, nil, e.At)
		if err != nil {
			t.Fatalf("save %+v: %v", e, err)
		}
		versions[vk] = v
	}
	ev := func(repo, pipe string, kind store.HistoryKind, id int64, stage string, at time.Duration) store.HistoryEvent {
		return store.HistoryEvent{Repository: repo, Pipeline: pipe, ReleaseID: id, Stage: stage, Kind: kind, At: At(at), StartedAt: At(0)}
	}
	save(ev("acme/api", "app", store.HistoryFailed, 1, "prod", time.Minute))
	save(ev("acme/web", "app", store.HistoryRestored, 1, "prod", 2*time.Minute))
	save(ev("acme/api", "worker", store.HistoryRestored, 1, "prod", 3*time.Minute))
	save(ev("acme/api", "app", store.HistoryRestored, 2, "staging", 4*time.Minute))
	save(ev("Acme/Api", "app", store.HistoryRestored, 2, "prod", 5*time.Minute))
	got, err := s.ReleaseHistory(ctx, At(0))
	if err != nil {
		t.Fatal(err)
	}
	restored := ev("acme/api", "app", store.HistoryRestored, 2, "prod", 5*time.Minute)
	restored.StartedAt = At(time.Minute)
	want := []store.HistoryEvent{ev("acme/api", "app", store.HistoryFailed, 1, "prod", time.Minute), restored}
	if !slices.EqualFunc(got, want, historyEqual) {
		t.Fatalf("history:\n got %+v\nwant %+v", got, want)
	}
}
