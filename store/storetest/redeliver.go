package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// kill claims the head of d's repository, which must be d, and kills it.
func kill(t *testing.T, s store.Store, id string, now time.Time, msg string) store.Delivery {
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
	mustEnqueue(t, s, delivery("d1", "o/a", at(0)))
	old := kill(t, s, "d1", at(time.Second), "parse push payload: boom")

	again := delivery("d1", "o/a", at(time.Hour))
	again.Payload = []byte(`{"id":"d1","fixed":true}`)
	res, err := s.Enqueue(ctx, again)
	if err != nil || res.Duplicate || !res.Redelivered {
		t.Fatalf("Enqueue(redelivery) = %+v, %v; want Redelivered", res, err)
	}
	if p := res.Previous; p.State != store.DeliveryDead || p.LastError != "parse push payload: boom" || p.Attempts != 1 ||
		p.Seq != old.Seq || !p.ProcessedAt.Equal(at(time.Second)) || len(p.Payload) != 0 {
		t.Errorf("Previous = %+v; want the dead row without its payload", p)
	}
	got := mustDelivery(t, s, "d1")
	if got.State != store.DeliveryPending || got.Attempts != 0 || string(got.Payload) != string(again.Payload) ||
		!got.ReceivedAt.Equal(at(time.Hour)) || !got.NextAttemptAt.Equal(at(time.Hour)) ||
		!got.ProcessedAt.IsZero() || got.LastError != "parse push payload: boom" || got.Seq <= old.Seq {
		t.Errorf("stored again as %+v", got)
	}
	if n, _ := s.Depth(ctx); n != 1 {
		t.Errorf("Depth = %d, want 1", n)
	}
	if due, ok, err := s.NextDue(ctx); err != nil || !ok || !due.Equal(at(time.Hour)) {
		t.Errorf("NextDue = %v %v %v, want the redelivery's arrival", due, ok, err)
	}
	wantIDs(t, "Claim after redelivery", claimIDs(t, s, at(time.Hour), 10), "d1")
}

// Only a dead delivery is stored again; any other state is a duplicate and
// left as it was.
func testEnqueueDuplicateOfAnUnfinishedOrDoneDelivery(t *testing.T, open Opener) {
	ctx := context.Background()
	for _, state := range []store.DeliveryState{store.DeliveryPending, store.DeliveryProcessing, store.DeliveryDone} {
		t.Run(string(state), func(t *testing.T) {
			s := open(t)
			mustEnqueue(t, s, delivery("d1", "o/a", at(0)))
			if state != store.DeliveryPending {
				ds, err := s.Claim(ctx, at(0), 1, time.Hour)
				if err != nil || len(ds) != 1 {
					t.Fatal(ds, err)
				}
				if state == store.DeliveryDone {
					if err := s.Complete(ctx, ds[0].Seq, at(0)); err != nil {
						t.Fatal(err)
					}
				}
			}
			before := mustDelivery(t, s, "d1")
			again := delivery("d1", "o/a", at(time.Hour))
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
	mustEnqueue(t, s, delivery("a1", "o/a", at(0)))
	kill(t, s, "a1", at(0), "boom")
	mustEnqueue(t, s, delivery("a2", "o/a", at(0)), delivery("a3", "o/a", at(0)))
	wantIDs(t, "first claim", claimIDs(t, s, at(0), 10), "a2") // a2 processing: the head

	if res, err := s.Enqueue(ctx, delivery("a1", "o/a", at(time.Minute))); err != nil || !res.Redelivered {
		t.Fatalf("Enqueue(redelivery) = %+v, %v", res, err)
	}
	wantIDs(t, "claim while a2 is processing", claimIDs(t, s, at(time.Minute), 10))
	for _, want := range []string{"a2", "a3", "a1"} {
		if want != "a2" {
			wantIDs(t, "claim", claimIDs(t, s, at(time.Minute), 10), want)
		}
		if err := s.Complete(ctx, mustDelivery(t, s, want).Seq, at(time.Minute)); err != nil {
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
	mustEnqueue(t, s, delivery("a1", "o/a", at(0)), delivery("b1", "o/b", at(0)))
	kill(t, s, "a1", at(0), "boom")
	if res, err := s.Enqueue(ctx, delivery("a1", "o/a", at(0))); err != nil || !res.Redelivered {
		t.Fatalf("Enqueue(redelivery) = %+v, %v", res, err)
	}
	// b1 was claimed with a1 by kill and is still processing.
	wantIDs(t, "claim", claimIDs(t, s, at(0), 10), "a1")
}

func testRetryDead(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	mustEnqueue(t, s, delivery("d1", "o/a", at(0)), delivery("p1", "o/b", at(0)))
	old := kill(t, s, "d1", at(time.Second), "gave up after 12 attempts: 502")

	prev, err := s.RetryDead(ctx, "d1", at(time.Hour))
	if err != nil || prev.Seq != old.Seq || prev.LastError != "gave up after 12 attempts: 502" || len(prev.Payload) != 0 {
		t.Fatalf("RetryDead = %+v, %v", prev, err)
	}
	got := mustDelivery(t, s, "d1")
	if got.State != store.DeliveryPending || got.Attempts != 0 || string(got.Payload) != `{"id":"d1"}` ||
		!got.ReceivedAt.Equal(at(0)) || !got.NextAttemptAt.Equal(at(time.Hour)) || got.Seq <= old.Seq {
		t.Errorf("retried as %+v; want pending, its payload and arrival kept, due at the retry", got)
	}
	wantIDs(t, "claim", claimIDs(t, s, at(time.Hour), 10), "d1")

	if _, err := s.RetryDead(ctx, "d1", at(time.Hour)); !errors.Is(err, store.ErrNotDead) {
		t.Errorf("RetryDead(processing) = %v, want ErrNotDead", err)
	}
	if _, err := s.RetryDead(ctx, "missing", at(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RetryDead(missing) = %v, want ErrNotFound", err)
	}
}

func testListDeliveries(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	mustEnqueue(t, s, delivery("d1", "o/a", at(0)), delivery("d2", "o/b", at(time.Second)), delivery("d3", "o/c", at(2*time.Second)))
	kill(t, s, "d1", at(3*time.Second), "boom")
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
	if _, err := s.RetryDead(ctx, "d1", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.ListDeliveries(ctx, store.DeliveryFilter{Limit: 1})
	wantIDs(t, "newest after a retry", ids(got), "d1")
}
