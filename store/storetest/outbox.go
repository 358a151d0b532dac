package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

func effect(key string, created time.Time) store.Effect {
	return store.Effect{Key: key, Kind: "check_run.update", Payload: []byte(key), CreatedAt: created}
}

func claimKeys(t *testing.T, s store.Store, now time.Time, limit int, lease time.Duration) []store.Effect {
	t.Helper()
	es, err := s.ClaimEffects(context.Background(), now, limit, lease)
	if err != nil {
		t.Fatalf("ClaimEffects(%v): %v", now, err)
	}
	return es
}

func keys(es []store.Effect) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Key)
	}
	return out
}

func testAddEffectsSkipsExistingKey(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	if err := s.AddEffects(ctx, effect("k1", At(0)), effect("k2", At(0))); err != nil {
		t.Fatal(err)
	}
	again := effect("k1", At(time.Hour))
	again.Kind, again.Payload = "slack.post", []byte("changed")
	// Existing key, and a key repeated within one call: both skipped.
	if err := s.AddEffects(ctx, again, effect("k3", At(0)), effect("k3", At(time.Hour))); err != nil {
		t.Fatal(err)
	}
	got, err := s.Effect(ctx, "k1")
	if err != nil || got.Kind != "check_run.update" || string(got.Payload) != "k1" || !got.CreatedAt.Equal(At(0)) {
		t.Errorf("k1 after re-adding = %+v, %v; want unchanged", got, err)
	}
	if got, _ := s.Effect(ctx, "k3"); !got.CreatedAt.Equal(At(0)) || !got.NextAttemptAt.Equal(At(0)) {
		t.Errorf("k3 created %v, due %v; want the first one's %v for both", got.CreatedAt, got.NextAttemptAt, At(0))
	}
	wantIDs(t, "ClaimEffects", keys(claimKeys(t, s, At(0), 10, time.Minute)), "k1", "k2", "k3")

	if err := s.AddEffects(ctx, store.Effect{Kind: "x", CreatedAt: At(0)}); err == nil {
		t.Error("AddEffects without key succeeded")
	}
	if err := s.AddEffects(ctx, store.Effect{Key: "k4", Kind: "x"}); err == nil {
		t.Error("AddEffects without CreatedAt succeeded")
	}
}

func testClaimEffects(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	later := effect("later", At(0))
	later.NextAttemptAt = At(time.Hour)
	if err := s.AddEffects(ctx, effect("e1", At(0)), later, effect("e2", At(0)), effect("e3", At(0))); err != nil {
		t.Fatal(err)
	}
	first := claimKeys(t, s, At(0), 2, time.Minute)
	wantIDs(t, "first claim (limit 2)", keys(first), "e1", "e2")
	if first[0].State != store.EffectProcessing || first[0].Attempts != 1 {
		t.Errorf("claimed %+v", first[0])
	}
	wantIDs(t, "second claim", keys(claimKeys(t, s, At(0), 10, time.Minute)), "e3")
	wantIDs(t, "claim while leases live", keys(claimKeys(t, s, At(time.Minute-1), 10, time.Minute)))

	if err := s.CompleteEffect(ctx, first[0].Seq, At(time.Second), []byte(`{"id":99}`)); err != nil {
		t.Fatal(err)
	}
	// e2 and e3 leases expired: claimable again, e1 is done.
	again := claimKeys(t, s, At(time.Minute), 10, time.Minute)
	wantIDs(t, "claim after expiry", keys(again), "e2", "e3")
	if again[0].Attempts != 2 {
		t.Errorf("reclaimed e2 attempts = %d, want 2", again[0].Attempts)
	}
	if err := s.RetryEffect(ctx, again[0].Seq, At(2*time.Hour), "429"); err != nil {
		t.Fatal(err)
	}
	if err := s.KillEffect(ctx, again[1].Seq, At(time.Minute), "410 gone"); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "claim at 1h", keys(claimKeys(t, s, At(time.Hour), 10, 10*time.Hour)), "later")
	wantIDs(t, "claim at 2h", keys(claimKeys(t, s, At(2*time.Hour), 10, time.Minute)), "e2")

	for key, want := range map[string]store.Effect{
		"e1": {State: store.EffectDone, Result: []byte(`{"id":99}`)},
		"e2": {State: store.EffectProcessing, LastError: "429"},
		"e3": {State: store.EffectDead, LastError: "410 gone"},
	} {
		got, err := s.Effect(ctx, key)
		if err != nil || got.State != want.State || got.LastError != want.LastError || !slices.Equal(got.Result, want.Result) {
			t.Errorf("%s = %+v, %v; want state %s, error %q, result %q", key, got, err, want.State, want.LastError, want.Result)
		}
	}
}

func testEffectFinishErrors(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	if err := s.AddEffects(ctx, effect("k", At(0))); err != nil {
		t.Fatal(err)
	}
	e, _ := s.Effect(ctx, "k")
	for name, op := range map[string]func(seq int64) error{
		"complete": func(seq int64) error { return s.CompleteEffect(ctx, seq, At(0), nil) },
		"retry":    func(seq int64) error { return s.RetryEffect(ctx, seq, At(0), "e") },
		"kill":     func(seq int64) error { return s.KillEffect(ctx, seq, At(0), "e") },
	} {
		if err := op(e.Seq + 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s missing = %v, want ErrNotFound", name, err)
		}
		if err := op(e.Seq); !errors.Is(err, store.ErrNotClaimed) {
			t.Errorf("%s unclaimed = %v, want ErrNotClaimed", name, err)
		}
	}
	if _, err := s.Effect(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Effect(missing) = %v, want ErrNotFound", err)
	}
}

func testPruneEffects(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	if err := s.AddEffects(ctx, effect("old", At(0)), effect("new", At(0)), effect("open", At(0))); err != nil {
		t.Fatal(err)
	}
	es := claimKeys(t, s, At(0), 2, time.Minute)
	if err := s.CompleteEffect(ctx, es[0].Seq, At(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.KillEffect(ctx, es[1].Seq, At(3*time.Hour), "e"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneEffects(ctx, At(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("PruneEffects = %d, %v; want 1", n, err)
	}
	for key, wantGone := range map[string]bool{"old": true, "new": false, "open": false} {
		_, err := s.Effect(ctx, key)
		if gone := errors.Is(err, store.ErrNotFound); gone != wantGone {
			t.Errorf("%s gone = %v, want %v", key, gone, wantGone)
		}
	}
}

func testEffectResultSurvivesACrash(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	if err := s.AddEffects(ctx, store.Effect{Key: "k", Kind: "deploy", CreatedAt: At(0)}); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimEffects(ctx, At(0), 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if err := s.SetEffectResult(ctx, claimed[0].Seq, []byte(`{"outcome":"succeeded"}`)); err != nil {
		t.Fatal(err)
	}
	// The process dies here; the next one hands the effect back at start.
	if n, err := s.ReleaseEffects(ctx, At(time.Second)); err != nil || n != 1 {
		t.Fatalf("release: %d %v", n, err)
	}
	again, err := s.ClaimEffects(ctx, At(time.Second), 10, time.Minute)
	if err != nil || len(again) != 1 || string(again[0].Result) != `{"outcome":"succeeded"}` || again[0].Attempts != 2 {
		t.Fatalf("reclaimed %+v %v, want the recorded result on attempt 2", again, err)
	}
	if err := s.SetEffectResult(ctx, 999, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown effect: %v", err)
	}
}

func testNextEffectDueIsTheEarliestRetryOrLease(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	if _, ok, err := s.NextEffectDue(ctx); ok || err != nil {
		t.Fatalf("empty outbox: due ok=%v, %v; want none", ok, err)
	}
	if err := s.AddEffects(ctx, effect("a", At(0)), effect("b", At(0))); err != nil {
		t.Fatal(err)
	}
	es := claimKeys(t, s, At(0), 2, 10*time.Minute)
	if err := s.RetryEffect(ctx, es[0].Seq, At(30*time.Second), "429"); err != nil {
		t.Fatal(err)
	}
	if due, ok, err := s.NextEffectDue(ctx); !ok || err != nil || !due.Equal(At(30*time.Second)) {
		t.Errorf("due = %v, %v, %v; want the retry at %v", due, ok, err, At(30*time.Second))
	}
	if err := s.CompleteEffect(ctx, es[0].Seq, At(0), nil); err == nil {
		t.Fatal("completed an effect handed back for retry")
	}
	es = claimKeys(t, s, At(30*time.Second), 1, time.Minute)
	if err := s.CompleteEffect(ctx, es[0].Seq, At(30*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	// Left: b, processing until its lease ends.
	if due, ok, err := s.NextEffectDue(ctx); !ok || err != nil || !due.Equal(At(10*time.Minute)) {
		t.Errorf("due = %v, %v, %v; want b's lease end %v", due, ok, err, At(10*time.Minute))
	}
}

func testNewerEffectPendingLooksOnlyUnderThePrefixAndAfterSeq(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	if err := s.AddEffects(ctx, effect("acme/api/report/r1/v1", At(0)), effect("acme/api/report/r10/v1", At(0)),
		effect("acme/api/report/r1/v2", At(0)), effect("acme/api/report/r1_/v3", At(0))); err != nil {
		t.Fatal(err)
	}
	v1, _ := s.Effect(ctx, "acme/api/report/r1/v1")
	v2, _ := s.Effect(ctx, "acme/api/report/r1/v2")
	r10, _ := s.Effect(ctx, "acme/api/report/r10/v1")
	for _, tc := range []struct {
		prefix string
		seq    int64
		want   bool
	}{
		{"acme/api/report/r1/", v1.Seq, true},
		{"acme/api/report/r1/", v2.Seq, false},   // r10 and r1_ are other releases
		{"acme/api/report/r10/", r10.Seq, false}, // nothing newer for r10 itself
		{"acme/api/report/r2/", 0, false},
	} {
		got, err := s.NewerEffectPending(ctx, tc.prefix, tc.seq)
		if err != nil || got != tc.want {
			t.Errorf("NewerEffectPending(%q, %d) = %v, %v; want %v", tc.prefix, tc.seq, got, err, tc.want)
		}
	}
	es := claimKeys(t, s, At(0), 4, time.Minute)
	for _, e := range es {
		if err := s.CompleteEffect(ctx, e.Seq, At(0), nil); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.NewerEffectPending(ctx, "acme/api/report/r1/", v1.Seq); got || err != nil {
		t.Errorf("after all were done: %v, %v; want false", got, err)
	}
}

// SettleEffects records several effects' outcomes at once, all or none.
func testSettleEffects(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	if err := s.AddEffects(ctx, effect("e1", At(0)), effect("e2", At(0)), effect("e3", At(0)), effect("e4", At(0))); err != nil {
		t.Fatal(err)
	}
	es := claimKeys(t, s, At(0), 3, time.Minute)
	err := s.SettleEffects(ctx, []store.Settlement{
		{Seq: es[0].Seq, Settles: store.SettleDone, At: At(time.Second), Result: []byte(`{"id":1}`)},
		{Seq: es[1].Seq, Settles: store.SettleDone, At: At(time.Second)},
		{Seq: es[2].Seq + 1, Settles: store.SettleDone, At: At(time.Second)}, // e4: not claimed
	})
	if !errors.Is(err, store.ErrNotClaimed) {
		t.Fatalf("SettleEffects with an unclaimed effect = %v, want ErrNotClaimed", err)
	}
	if got, _ := s.Effect(ctx, "e1"); got.State != store.EffectProcessing {
		t.Errorf("e1 after a failed SettleEffects is %s, want processing", got.State)
	}
	err = s.SettleEffects(ctx, []store.Settlement{
		{Seq: es[0].Seq, Settles: store.SettleDone, At: At(time.Second), Result: []byte(`{"id":1}`)},
		{Seq: es[1].Seq, Settles: store.SettleRetry, At: At(time.Hour), Error: "429"},
		{Seq: es[2].Seq, Settles: store.SettleUnworked},
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]store.Effect{
		"e1": {State: store.EffectDone, Result: []byte(`{"id":1}`), Attempts: 1},
		"e2": {State: store.EffectPending, LastError: "429", Attempts: 1, NextAttemptAt: At(time.Hour)},
		"e3": {State: store.EffectPending, Attempts: 0, NextAttemptAt: At(0)},
	} {
		got, err := s.Effect(ctx, key)
		if err != nil || got.State != want.State || got.LastError != want.LastError || got.Attempts != want.Attempts ||
			!slices.Equal(got.Result, want.Result) || (!want.NextAttemptAt.IsZero() && !got.NextAttemptAt.Equal(want.NextAttemptAt)) {
			t.Errorf("%s = %+v, %v; want %+v", key, got, err, want)
		}
	}
}
