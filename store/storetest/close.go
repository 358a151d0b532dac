package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/wavegate/wavegate/store"
)

func testPingAndCloseTwice(t *testing.T, open Opener) {
	s := open(t)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Ping(context.Background()); err == nil {
		t.Fatal("Ping after Close succeeded")
	}
	if _, err := s.Enqueue(context.Background(), NewDelivery("late", "o/r", At(0))); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Enqueue after Close = %v, want ErrClosed", err)
	}
}
