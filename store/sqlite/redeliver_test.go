package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/storetest"
)

// Two redeliveries of one dead delivery committed in one batch: the first
// stores it again, the second is a duplicate of that.
func TestRedeliveredTwiceInOneBatch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	storetest.MustEnqueue(t, s, storetest.NewDelivery("d1", "o/a", storetest.At(0)))
	storetest.Kill(t, s, "d1", storetest.At(0), "boom")
	plug, release := holdWriter(t, s)
	results := make(chan store.Enqueued, 2)
	for range 2 {
		go func() {
			res, err := s.Enqueue(ctx, storetest.NewDelivery("d1", "o/a", storetest.At(time.Minute)))
			if err != nil {
				t.Error(err)
			}
			results <- res
		}()
	}
	waitQueued(t, s, 2)
	release()
	if err := <-plug; err != nil {
		t.Fatal(err)
	}
	a, b := <-results, <-results
	if a.Redelivered == b.Redelivered || a.Duplicate == b.Duplicate {
		t.Fatalf("results %+v and %+v; want one redelivered, one duplicate", a, b)
	}
	if n, _ := s.Depth(ctx); n != 2 {
		t.Errorf("Depth = %d, want 2: d1 once and the plug", n)
	}
}
