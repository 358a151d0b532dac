package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

func testEnqueueDuplicateLeavesRowUnchanged(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	first := NewDelivery("d1", "o/r", At(0))
	MustEnqueue(t, s, first)

	again := first
	again.Event, again.Payload, again.ReceivedAt = "issues", []byte("other"), At(time.Hour)
	res, err := s.Enqueue(ctx, again)
	if err != nil || !res.Duplicate || res.Redelivered {
		t.Fatalf("Enqueue(duplicate) = %+v, %v; want a duplicate", res, err)
	}
	got, err := s.Delivery(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Event != "push" || string(got.Payload) != string(first.Payload) || !got.ReceivedAt.Equal(At(0)) {
		t.Errorf("stored delivery changed by duplicate: %+v", got)
	}
	if n, _ := s.Depth(ctx); n != 1 {
		t.Errorf("Depth = %d, want 1", n)
	}
}

func testEnqueueContextAlreadyDone(t *testing.T, open Opener) {
	s := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Enqueue(ctx, NewDelivery("d1", "o/r", At(0))); !errors.Is(err, context.Canceled) {
		t.Fatalf("Enqueue = %v, want context.Canceled", err)
	}
	if _, err := s.Delivery(context.Background(), "d1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delivery = %v, want ErrNotFound", err)
	}
}

func testEnqueueRejectsInvalid(t *testing.T, open Opener) {
	s := open(t)
	for name, d := range map[string]store.Delivery{
		"empty id":      NewDelivery("", "o/r", At(0)),
		"zero received": NewDelivery("d1", "o/r", time.Time{}),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Enqueue(context.Background(), d); err == nil {
				t.Fatal("Enqueue succeeded")
			}
		})
	}
	if n, _ := s.Depth(context.Background()); n != 0 {
		t.Errorf("Depth = %d, want 0", n)
	}
}

func testEnqueueConcurrentAllStored(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	const n = 300
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := s.Enqueue(ctx, NewDelivery(fmt.Sprint("d", i), "o/r", At(0))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, _ := s.Depth(ctx); got != n {
		t.Fatalf("Depth = %d, want %d", got, n)
	}
}
