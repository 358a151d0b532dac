package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// Kill claims the head of id's repository, which must be id, and kills it.
func Kill(t *testing.T, s store.Inbox, id string, now time.Time, msg string) store.Delivery {
	t.Helper()
	ds, err := s.Claim(context.Background(), now, 100, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.ID == id {
			if err := s.Kill(context.Background(), d.Seq, now, msg); err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	t.Fatalf("Claim = %v, want %s among them", ds, id)
	return store.Delivery{}
}

func mustDelivery(t *testing.T, s store.Store, id string) store.Delivery {
	t.Helper()
	d, err := s.Delivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A dead delivery sent again under its id (GitHub's Redeliver) is stored
// again with the new payload, pending with no attempts, and is claimed.
func testEnqueueRedeliveryOfADeadDelivery(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	MustEnqueue(t, s, NewDelivery("d1", "o/a", At(0)))
	old := Kill(t, s, "d1", At(time.Second), "parse push payload: boom")

	again := NewDelivery("d1", "o/a", At(time.Hour))
	again.Payload = []byte(`{"id":"d1","fixed":true}`)
	res, err := s.Enqueue(ctx, again)
	if err != nil || res.Duplicate || !res.Redelivered {
		t.Fatalf("Enqueue(redelivery) = %+v, %v; want Redelivered", res, err)
	}
	if p := res.Previous; p.State != store.DeliveryDead || p.LastError != "parse push payload: boom" || p.Attempts != 1 ||
		p.Seq != old.Seq || !p.ProcessedAt.Equal(At(time.Second)) || len(p.Payload) != 0 {
		t.Errorf("Previous = %+v; want the dead row without its payload", p)
	}
	got := mustDelivery(t, s, "d1")
	if got.State != store.DeliveryPending || got.Attempts != 0 || string(got.Payload) != string(again.Payload) ||
		!got.ReceivedAt.Equal(At(time.Hour)) || !got.NextAttemptAt.Equal(At(time.Hour)) ||
		!got.ProcessedAt.IsZero() || got.LastError != "parse push payload: boom" || got.Seq <= old.Seq {
		t.Errorf("stored again as %+v", got)
	}
	if n, _ := s.Depth(ctx); n != 1 {
		t.Errorf("Depth = %d, want 1", n)
	}
	if due, ok, err := s.NextDue(ctx); err != nil || !ok || !due.Equal(At(time.Hour)) {
		t.Errorf("NextDue = %v %v %v, want the redelivery's arrival", due, ok, err)
	}
	wantIDs(t, "Claim after redelivery", claimIDs(t, s, At(time.Hour), 10), "d1")
}

// Only a dead delivery is stored again; any other state is a duplicate and
// left as it was.
func testEnqueueDuplicateOfAnUnfinishedOrDoneDelivery(t *testing.T, open Opener) {
	ctx := context.Background()
	for _, state := range []store.DeliveryState{store.DeliveryPending, store.DeliveryProcessing, store.DeliveryDone} {
		t.Run(string(state), func(t *testing.T) {
			s := open(t)
			MustEnqueue(t, s, NewDelivery("d1", "o/a", At(0)))
			if state != store.DeliveryPending {
				ds, err := s.Claim(ctx, At(0), 1, time.Hour)
				if err != nil || len(ds) != 1 {
					t.Fatal(ds, err)
				}
				if state == store.DeliveryDone {
					if err := s.Complete(ctx, ds[0].Seq, At(0)); err != nil {
						t.Fatal(err)
					}
				}
			}
			before := mustDelivery(t, s, "d1")
			again := NewDelivery("d1", "o/a", At(time.Hour))
			again.Payload = []byte(`{"other":1}`)
			res, err := s.Enqueue(ctx, again)
			if err != nil || !res.Duplicate || res.Redelivered {
				t.Fatalf("Enqueue = %+v, %v; want Duplicate", res, err)
			}
			if after := mustDelivery(t, s, "d1"); fmt.Sprintf("%+v", after) != fmt.Sprintf("%+v", before) {
				t.Errorf("a duplicate changed the row:\n%+v\nwas\n%+v", after, before)
			}
		})
	}
}

// A redelivered row goes to the back of its repository's queue: it is never
// claimed beside the repository's head, nor before rows that arrived
// before the redelivery, and is claimed once they are done.
func testRedeliveryBehindALaterHead(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	MustEnqueue(t, s, NewDelivery("a1", "o/a", At(0)))
	Kill(t, s, "a1", At(0), "boom")
	MustEnqueue(t, s, NewDelivery("a2", "o/a", At(0)), NewDelivery("a3", "o/a", At(0)))
	wantIDs(t, "first claim", claimIDs(t, s, At(0), 10), "a2") // a2 processing: the head

	if res, err := s.Enqueue(ctx, NewDelivery("a1", "o/a", At(time.Minute))); err != nil || !res.Redelivered {
		t.Fatalf("Enqueue(redelivery) = %+v, %v", res, err)
	}
	wantIDs(t, "claim while a2 is processing", claimIDs(t, s, At(time.Minute), 10))
	for _, want := range []string{"a2", "a3", "a1"} {
		if want != "a2" {
			wantIDs(t, "claim", claimIDs(t, s, At(time.Minute), 10), want)
		}
		if err := s.Complete(ctx, mustDelivery(t, s, want).Seq, At(time.Minute)); err != nil {
			t.Fatalf("Complete(%s): %v", want, err)
		}
	}
	if _, ok, err := s.NextDue(ctx); err != nil || ok {
		t.Errorf("NextDue after all done: ok %v %v; want nothing left", ok, err)
	}
}

// A repository with no unfinished row gets the redelivered row as its head
// at once, and its other repositories' rows are not disturbed.
func testRedeliveryOfTheOnlyRowOfItsRepository(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	MustEnqueue(t, s, NewDelivery("a1", "o/a", At(0)), NewDelivery("b1", "o/b", At(0)))
	Kill(t, s, "a1", At(0), "boom")
	if res, err := s.Enqueue(ctx, NewDelivery("a1", "o/a", At(0))); err != nil || !res.Redelivered {
		t.Fatalf("Enqueue(redelivery) = %+v, %v", res, err)
	}
	// b1 was claimed with a1 by kill and is still processing.
	wantIDs(t, "claim", claimIDs(t, s, At(0), 10), "a1")
}

func testRetryDead(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	MustEnqueue(t, s, NewDelivery("d1", "o/a", At(0)), NewDelivery("p1", "o/b", At(0)))
	old := Kill(t, s, "d1", At(time.Second), "gave up after 12 attempts: 502")

	prev, err := s.RetryDead(ctx, "d1", At(time.Hour))
	if err != nil || prev.Seq != old.Seq || prev.LastError != "gave up after 12 attempts: 502" || len(prev.Payload) != 0 {
		t.Fatalf("RetryDead = %+v, %v", prev, err)
	}
	got := mustDelivery(t, s, "d1")
	if got.State != store.DeliveryPending || got.Attempts != 0 || string(got.Payload) != `{"id":"d1"}` ||
		!got.ReceivedAt.Equal(At(0)) || !got.NextAttemptAt.Equal(At(time.Hour)) || got.Seq <= old.Seq {
		t.Errorf("retried as %+v; want pending, its payload and arrival kept, due at the retry", got)
	}
	wantIDs(t, "claim", claimIDs(t, s, At(time.Hour), 10), "d1")

	if _, err := s.RetryDead(ctx, "d1", At(time.Hour)); !errors.Is(err, store.ErrNotDead) {
		t.Errorf("RetryDead(processing) = %v, want ErrNotDead", err)
	}
	if _, err := s.RetryDead(ctx, "missing", At(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RetryDead(missing) = %v, want ErrNotFound", err)
	}
}

func testListDeliveries(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	MustEnqueue(t, s, NewDelivery("d1", "o/a", At(0)), NewDelivery("d2", "o/b", At(time.Second)), NewDelivery("d3", "o/c", At(2*time.Second)))
	Kill(t, s, "d1", At(3*time.Second), "boom")
	ids := func(ds []store.Delivery) []string {
		out := []string{}
		for _, d := range ds {
			if len(d.Payload) != 0 {
				t.Errorf("%s listed with its payload", d.ID)
			}
			out = append(out, d.ID)
		}
		return out
	}
	for _, tc := range []struct {
		f    store.DeliveryFilter
		want []string
	}{
		{store.DeliveryFilter{}, []string{"d3", "d2", "d1"}},
		{store.DeliveryFilter{Limit: 2}, []string{"d3", "d2"}},
		{store.DeliveryFilter{State: store.DeliveryDead}, []string{"d1"}},
		{store.DeliveryFilter{State: store.DeliveryDone}, nil},
	} {
		got, err := s.ListDeliveries(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, fmt.Sprintf("ListDeliveries(%+v)", tc.f), ids(got), tc.want...)
	}
	dead, _ := s.ListDeliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
	if d := dead[0]; d.LastError != "boom" || d.Attempts != 1 || d.Event != "push" || d.Repository != "o/a" {
		t.Errorf("listed %+v", d)
	}
	// Retried, it is the newest arrival.
	if _, err := s.RetryDead(ctx, "d1", At(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.ListDeliveries(ctx, store.DeliveryFilter{Limit: 1})
	wantIDs(t, "newest after a retry", ids(got), "d1")
}
