package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

func testEngineStateSavedWithItsEffects(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	key := store.EngineKey{Repository: "acme/api", Pipeline: "app"}

	st, err := s.LoadEngineState(ctx, key)
	if err != nil || st.Version != 0 || st.State != nil {
		t.Fatalf("fresh state %+v %v", st, err)
	}
	st.State, st.WakeAt = []byte(`{"v":1}`), At(10*time.Minute)
	deploy := store.Effect{Key: "r1/alpha/alpha/full/deploy", Kind: "deploy", Payload: []byte(`{}`), CreatedAt: At(0)}
	v, err := s.SaveEngineState(ctx, st, []store.Effect{deploy}, At(0))
	if err != nil || v != 1 {
		t.Fatalf("first save: %d %v", v, err)
	}
	if _, err := s.Effect(ctx, deploy.Key); err != nil {
		t.Fatalf("the effect was not stored with the state: %v", err)
	}

	// A writer holding the old version loses, and its effects are not added.
	stale := st
	lost := store.Effect{Key: "r1/beta/beta/full/deploy", Kind: "deploy", CreatedAt: At(0)}
	if _, err := s.SaveEngineState(ctx, stale, []store.Effect{lost}, At(0)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale save: %v, want ErrConflict", err)
	}
	if _, err := s.Effect(ctx, lost.Key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a conflicting save's effect was stored: %v", err)
	}

	loaded, err := s.LoadEngineState(ctx, key)
	if err != nil || loaded.Version != 1 || string(loaded.State) != `{"v":1}` || !loaded.WakeAt.Equal(At(10*time.Minute)) {
		t.Fatalf("loaded %+v %v", loaded, err)
	}
	loaded.State, loaded.WakeAt = []byte(`{"v":2}`), time.Time{}
	// Replaying the first decision's effect with the next state stores it once.
	if v, err := s.SaveEngineState(ctx, loaded, []store.Effect{deploy}, At(1)); err != nil || v != 2 {
		t.Fatalf("second save: %d %v", v, err)
	}
	if due, err := s.DueEngineStates(ctx, At(time.Hour), 10); err != nil || len(due) != 0 {
		t.Fatalf("due after clearing the wake time: %v %v", due, err)
	}
}

func testEngineWakeTimes(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	for i, p := range []string{"app", "infra", "idle"} {
		st := store.EngineState{EngineKey: store.EngineKey{Repository: "acme/api", Pipeline: p}, State: []byte(`{}`)}
		if p != "idle" {
			st.WakeAt = At(time.Duration(i+1) * time.Minute)
		}
		if _, err := s.SaveEngineState(ctx, st, nil, At(0)); err != nil {
			t.Fatal(err)
		}
	}
	if next, ok, err := s.NextEngineWake(ctx); err != nil || !ok || !next.Equal(At(time.Minute)) {
		t.Fatalf("next wake %v %v %v", next, ok, err)
	}
	due, err := s.DueEngineStates(ctx, At(90*time.Second), 10)
	if err != nil || len(due) != 1 || due[0].Pipeline != "app" {
		t.Fatalf("due at +90s: %v %v", due, err)
	}
	if due, _ := s.DueEngineStates(ctx, At(time.Hour), 10); len(due) != 2 || due[0].Pipeline != "app" || due[1].Pipeline != "infra" {
		t.Fatalf("due at +1h: %v, want app then infra", due)
	}
}

func testNextReleaseID(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	for _, want := range []struct {
		repo string
		id   int64
	}{{"acme/api", 1}, {"acme/api", 2}, {"acme/web", 1}, {"ACME/API", 3}} {
		if got, err := s.NextReleaseID(ctx, want.repo); err != nil || got != want.id {
			t.Fatalf("%s: %d %v, want %d", want.repo, got, err, want.id)
		}
	}
}
