package inbox

import (
	"context"
	"testing"

	"github.com/wavegate/wavegate/store"
)

// A delivery that arrives as its repository's head while a worker is free
// is claimed as it is stored and worked at once; one that arrives behind
// it is stored pending and worked after it.
func TestEnqueueClaimsAHeadOnArrival(t *testing.T) {
	h := newHarness(t)
	release := make(chan struct{})
	p := h.start(func(_ context.Context, d store.Delivery) error {
		if d.ID == "a1" {
			<-release
		}
		return nil
	}, nil)
	enqueue := func(id string) store.Enqueued {
		t.Helper()
		res, err := p.Enqueue(context.Background(), store.Delivery{
			ID: id, Event: "push", Repository: "acme/a", Payload: []byte(`{"n":"` + id + `"}`), ReceivedAt: h.clock.Now(),
		})
		if err != nil {
			t.Fatalf("enqueue %s: %v", id, err)
		}
		return res
	}
	// Once a0 is worked, Run is claiming and workers can take arrivals.
	if res := enqueue("a0"); !res.Head {
		t.Fatalf("Enqueue(a0) = %+v, want a head", res)
	}
	if o := h.next(); o.Delivery.ID != "a0" || o.State != store.DeliveryDone {
		t.Fatalf("outcome %+v", o)
	}
	res := enqueue("a1")
	if !res.Head || !res.Claimed || res.Delivery.Attempts != 1 || string(res.Delivery.Payload) != `{"n":"a1"}` {
		t.Fatalf("Enqueue(a1) = %+v, want a head claimed on arrival, with its payload", res)
	}
	if res := enqueue("a2"); res.Head || res.Claimed {
		t.Fatalf("Enqueue(a2) behind a1 = %+v, want stored pending", res)
	}
	if d := h.delivery("a2"); d.State != store.DeliveryPending {
		t.Fatalf("a2 is %s while a1 is worked, want pending", d.State)
	}
	close(release)
	for _, want := range []string{"a1", "a2"} {
		if o := h.next(); o.Delivery.ID != want || o.State != store.DeliveryDone {
			t.Fatalf("outcome %s %s %v, want %s done", o.Delivery.ID, o.State, o.Err, want)
		}
	}
	for _, id := range []string{"a1", "a2"} {
		if d := h.delivery(id); d.State != store.DeliveryDone || d.Attempts != 1 {
			t.Errorf("%s stored %s after %d attempts, want done after 1", id, d.State, d.Attempts)
		}
	}
	if res := enqueue("a1"); !res.Duplicate || res.Claimed {
		t.Errorf("Enqueue(a1 again) = %+v, want a duplicate", res)
	}
}
