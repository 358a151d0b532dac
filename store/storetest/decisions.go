package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// testReleaseDecisions: decisions are saved with the state, in its
// transaction, and read back per release in order, the last limit of them.
func testReleaseDecisions(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	key := store.EngineKey{Repository: "Acme/API", Pipeline: "app"}
	dec := func(id int64, stage, target, what string, at time.Duration) store.DecisionEvent {
		return store.DecisionEvent{Repository: key.Repository, Pipeline: key.Pipeline, ReleaseID: id, Stage: stage, Target: target,
			What: what, Reason: what + " because", At: At(at)}
	}
	v, err := s.SaveEngineState(ctx, store.EngineState{EngineKey: key, State: []byte(`{}`), Decisions: []store.DecisionEvent{
		dec(1, "alpha", "", "entered", time.Minute), dec(1, "alpha", "alpha-1", "onebox-deploying", time.Minute), dec(2, "", "", "waiting", time.Minute),
	}}, nil, At(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveEngineState(ctx, store.EngineState{EngineKey: key, Version: v, State: []byte(`{}`), Decisions: []store.DecisionEvent{
		dec(1, "alpha", "alpha-1", "onebox-baking", 2*time.Minute),
	}}, nil, At(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A save that conflicts records nothing.
	if _, err := s.SaveEngineState(ctx, store.EngineState{EngineKey: key, Version: v, State: []byte(`{}`), Decisions: []store.DecisionEvent{
		dec(1, "alpha", "", "lost", 3*time.Minute),
	}}, nil, At(3*time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale save: %v, want a conflict", err)
	}

	describe := func(es []store.DecisionEvent) []string {
		out := []string{}
		for _, e := range es {
			out = append(out, fmt.Sprintf("%d %s/%s %s (%s) %s", e.ReleaseID, e.Stage, e.Target, e.What, e.Reason, e.At.Sub(At(0))))
		}
		return out
	}
	for _, tc := range []struct {
		repo  string
		id    int64
		limit int
		want  []string
	}{
		{"acme/api", 1, 0, []string{"1 alpha/ entered (entered because) 1m0s", "1 alpha/alpha-1 onebox-deploying (onebox-deploying because) 1m0s",
			"1 alpha/alpha-1 onebox-baking (onebox-baking because) 2m0s"}},
		{"ACME/api", 1, 2, []string{"1 alpha/alpha-1 onebox-deploying (onebox-deploying because) 1m0s", "1 alpha/alpha-1 onebox-baking (onebox-baking because) 2m0s"}},
		{"acme/api", 2, 0, []string{"2 / waiting (waiting because) 1m0s"}},
		{"acme/api", 3, 0, []string{}},
		{"other/api", 1, 0, []string{}},
	} {
		got, err := s.ReleaseDecisions(ctx, tc.repo, key.Pipeline, tc.id, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, fmt.Sprintf("ReleaseDecisions(%s, %d, limit %d)", tc.repo, tc.id, tc.limit), describe(got), tc.want...)
	}
}
