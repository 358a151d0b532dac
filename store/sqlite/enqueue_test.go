package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/storetest"
)

func TestEnqueueDuplicatesInOneBatch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	plug, release := holdWriter(t, s)

	type result struct {
		id, payload string
		dup         bool
		err         error
	}
	results := make(chan result, 5)
	ids := []string{"same", "same", "same", "other", "other"}
	for i, id := range ids {
		go func() {
			d := storetest.NewDelivery(id, "o/r", storetest.At(0))
			d.Payload = []byte(fmt.Sprint("payload ", i))
			res, err := s.Enqueue(ctx, d)
			results <- result{id, string(d.Payload), res.Duplicate, err}
		}()
	}
	waitQueued(t, s, len(ids))
	release()
	if err := <-plug; err != nil {
		t.Fatalf("plug: %v", err)
	}

	stored := map[string]string{} // id -> payload of the caller told "not duplicate"
	dups := map[string]int{}
	for range ids {
		r := <-results
		if r.err != nil {
			t.Fatalf("Enqueue(%s): %v", r.id, r.err)
		}
		if r.dup {
			dups[r.id]++
		} else if prev, ok := stored[r.id]; ok {
			t.Errorf("%s stored twice: %q and %q", r.id, prev, r.payload)
		} else {
			stored[r.id] = r.payload
		}
	}
	if dups["same"] != 2 || dups["other"] != 1 {
		t.Errorf("duplicates = %v, want same:2 other:1", dups)
	}
	for id, payload := range stored {
		got, err := s.Delivery(ctx, id)
		if err != nil || string(got.Payload) != payload {
			t.Errorf("Delivery(%s) = %q, %v; want the non-duplicate caller's %q", id, got.Payload, err, payload)
		}
	}
	if b, rows := s.batches.Load(), s.batchedJobs.Load(); b != 2 || rows != 6 {
		t.Errorf("%d batches of %d rows in all; want the plug, then one batch of 5", b, rows)
	}
}

func TestEnqueueCancelledWhileQueued(t *testing.T) {
	s := openTest(t)
	plug, release := holdWriter(t, s)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.Enqueue(ctx, storetest.NewDelivery("cancelled", "o/r", storetest.At(0)))
		errc <- err
	}()
	waitQueued(t, s, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Enqueue with cancelled ctx = %v, want context.Canceled", err)
	}
	release()
	if err := <-plug; err != nil {
		t.Fatalf("plug: %v", err)
	}
	// A later delivery goes through the writer after the abandoned one.
	storetest.MustEnqueue(t, s, storetest.NewDelivery("after", "o/r", storetest.At(0)))
	if _, err := s.Delivery(context.Background(), "cancelled"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delivery(cancelled) = %v, want ErrNotFound: an abandoned delivery was written", err)
	}
}

func TestEnqueueConcurrentAllStored(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	const n = 300
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := s.Enqueue(ctx, storetest.NewDelivery(fmt.Sprint("d", i), "o/r", storetest.At(0))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, _ := s.Depth(ctx); got != n {
		t.Fatalf("Depth = %d, want %d", got, n)
	}
	if rows := s.batchedJobs.Load(); rows != n {
		t.Errorf("batched rows = %d, want %d", rows, n)
	}
}
