package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// Enqueue says whether a new delivery is its repository's head: the first
// unfinished one, claimable at once. A delivery behind another is not,
// whatever that one's state, until that one is finished; a redelivery is
// a new arrival.
func testEnqueueReportsHead(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	enqueue := func(d store.Delivery) store.Enqueued {
		t.Helper()
		res, err := s.Enqueue(ctx, d)
		if err != nil {
			t.Fatalf("Enqueue(%s): %v", d.ID, err)
		}
		return res
	}
	for _, step := range []struct {
		d    store.Delivery
		head bool
	}{
		{NewDelivery("a1", "o/a", At(0)), true},
		{NewDelivery("a2", "o/a", At(0)), false},
		{NewDelivery("b1", "o/b", At(0)), true},
	} {
		if res := enqueue(step.d); res.Head != step.head || res.Claimed {
			t.Errorf("Enqueue(%s) = %+v, want head %v and nothing claimed", step.d.ID, res, step.head)
		}
	}
	if res := enqueue(NewDelivery("a1", "o/a", At(0))); !res.Duplicate || res.Head {
		t.Errorf("Enqueue(a1 again) = %+v, want a duplicate, not a head", res)
	}
	// a1 claimed and finished, a2 claimed and still in flight: a3 waits.
	runs := claimRuns(t, s, At(0), 10, 1, time.Minute)
	wantRuns(t, "ClaimRuns", runs, []string{"a1"}, []string{"b1"})
	next, err := s.SettleAndClaim(ctx, []store.Settlement{{Seq: runs[0][0].Seq, Settles: store.SettleDone, At: At(0)}},
		At(0), 1, time.Minute)
	if err != nil || len(next) != 1 || next[0].ID != "a2" {
		t.Fatalf("SettleAndClaim = %v, %v; want a2 claimed", next, err)
	}
	if res := enqueue(NewDelivery("a3", "o/a", At(0))); res.Head {
		t.Errorf("Enqueue(a3) behind a2 in flight = %+v, want no head", res)
	}
	// b1 dies; its repository has nothing else, so its redelivery is a head.
	if err := s.Kill(ctx, runs[1][0].Seq, At(0), "boom"); err != nil {
		t.Fatal(err)
	}
	if res := enqueue(NewDelivery("b1", "o/b", At(time.Second))); !res.Redelivered || !res.Head {
		t.Errorf("Enqueue(b1 redelivered) = %+v, want a redelivery that is a head", res)
	}
}

// EnqueueClaim claims a new delivery that is its repository's head, in the
// same commit, as ClaimRuns would: processing, one attempt, leased. A
// delivery behind another is stored pending, as Enqueue stores it, and
// taken after it.
func testEnqueueClaimTakesOnlyAHead(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	lease := At(time.Minute)
	a1 := NewDelivery("a1", "o/a", At(0))
	res, err := s.EnqueueClaim(ctx, a1, lease)
	if err != nil || !res.Head || !res.Claimed || res.Duplicate {
		t.Fatalf("EnqueueClaim(a1) = %+v, %v; want a head claimed", res, err)
	}
	got := res.Delivery
	if got.ID != "a1" || got.Seq == 0 || got.State != store.DeliveryProcessing || got.Attempts != 1 ||
		got.Repository != "o/a" || got.Event != "push" || string(got.Payload) != string(a1.Payload) {
		t.Errorf("claimed delivery %+v, want a1 processing on attempt 1 with its payload", got)
	}
	if stored := delivery(t, s, "a1"); stored.State != store.DeliveryProcessing || stored.Attempts != 1 || stored.Seq != got.Seq {
		t.Errorf("stored %+v, want processing on attempt 1", stored)
	}

	res, err = s.EnqueueClaim(ctx, NewDelivery("a2", "o/a", At(0)), lease)
	if err != nil || res.Head || res.Claimed {
		t.Fatalf("EnqueueClaim(a2) behind a1 = %+v, %v; want stored, not claimed", res, err)
	}
	if stored := delivery(t, s, "a2"); stored.State != store.DeliveryPending || stored.Attempts != 0 {
		t.Errorf("stored a2 %+v, want pending with no attempt", stored)
	}
	if res, err := s.EnqueueClaim(ctx, a1, lease); err != nil || !res.Duplicate || res.Claimed {
		t.Errorf("EnqueueClaim(a1 again) = %+v, %v; want a duplicate, nothing claimed", res, err)
	}

	// Leased: nothing of the repository is claimable, and the lease's end
	// is when something is.
	wantRuns(t, "ClaimRuns while a1 is leased", claimRuns(t, s, At(0), 10, 10, time.Minute))
	if due, ok, err := s.NextDue(ctx); err != nil || !ok || !due.Equal(lease) {
		t.Errorf("NextDue = %v, %v, %v; want a1's lease end %v", due, ok, err, lease)
	}
	// Recording a1 hands its repository on to a2, as after any claim.
	next, err := s.SettleAndClaim(ctx, []store.Settlement{{Seq: got.Seq, Settles: store.SettleDone, At: At(time.Second)}},
		At(time.Second), 10, time.Minute)
	if err != nil || len(next) != 1 || next[0].ID != "a2" || next[0].Attempts != 1 {
		t.Fatalf("SettleAndClaim(a1 done) = %+v, %v; want a2 claimed on attempt 1", next, err)
	}

	// A lease that runs out gives the delivery back, ahead of what follows.
	b1 := NewDelivery("b1", "o/b", At(0))
	if res, err := s.EnqueueClaim(ctx, b1, lease); err != nil || !res.Claimed {
		t.Fatalf("EnqueueClaim(b1) = %+v, %v; want claimed", res, err)
	}
	MustEnqueue(t, s, NewDelivery("b2", "o/b", At(0)))
	runs := claimRuns(t, s, lease, 10, 10, time.Minute)
	wantRuns(t, "ClaimRuns once b1's lease ran out", runs, []string{"b1", "b2"})
	if len(runs) == 1 && runs[0][0].Attempts != 2 {
		t.Errorf("b1 claimed again on attempt %d, want 2", runs[0][0].Attempts)
	}

	if _, err := s.EnqueueClaim(ctx, NewDelivery("c1", "o/c", At(0)), time.Time{}); err == nil {
		t.Error("EnqueueClaim with no lease end succeeded")
	}
}

// A dead delivery redelivered through EnqueueClaim is a new arrival: a
// head, claimed when its repository has nothing else unfinished.
func testEnqueueClaimOfARedelivery(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	MustEnqueue(t, s, NewDelivery("a1", "o/a", At(0)))
	Kill(t, s, "a1", At(0), "boom")
	again := NewDelivery("a1", "o/a", At(time.Second))
	res, err := s.EnqueueClaim(ctx, again, At(time.Minute))
	if err != nil || !res.Redelivered || !res.Head || !res.Claimed || res.Previous.LastError != "boom" {
		t.Fatalf("EnqueueClaim(a1 redelivered) = %+v, %v; want a redelivery claimed", res, err)
	}
	if res.Delivery.Attempts != 1 || res.Delivery.State != store.DeliveryProcessing || res.Delivery.Seq == res.Previous.Seq {
		t.Errorf("claimed %+v, want a new row processing on attempt 1", res.Delivery)
	}
}
