package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// kill claims the head of d's repository, which must be d, and kills it.
func kill(t *testing.T, s *Store, id string, now time.Time, msg string) store.Delivery {
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

// Two redeliveries of one dead delivery committed in one batch: the first
// stores it again, the second is a duplicate of that.
func TestRedeliveredTwiceInOneBatch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mustEnqueue(t, s, delivery("d1", "o/a", at(0)))
	kill(t, s, "d1", at(0), "boom")
	plug, release := holdWriter(t, s)
	results := make(chan store.Enqueued, 2)
	for range 2 {
		go func() {
			res, err := s.Enqueue(ctx, delivery("d1", "o/a", at(time.Minute)))
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
