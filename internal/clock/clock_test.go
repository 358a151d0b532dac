package clock

import (
	"testing"
	"time"
)

func TestFakeTimersFireInOrderWhenMoved(t *testing.T) {
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	f := NewFake(start)
	late, early := f.NewTimer(2*time.Minute), f.NewTimer(time.Minute)
	f.Advance(59 * time.Second)
	select {
	case <-early.C():
		t.Fatal("timer fired before its deadline")
	default:
	}
	f.Advance(time.Second)
	if got := <-early.C(); !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("early timer fired at %v, want %v", got, start.Add(time.Minute))
	}
	if f.Waiters() != 1 {
		t.Fatalf("waiters = %d, want 1", f.Waiters())
	}
	if !late.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	if late.Stop() {
		t.Fatal("second Stop reported true")
	}
	f.Advance(time.Hour)
	select {
	case <-late.C():
		t.Fatal("stopped timer fired")
	default:
	}
}

func TestFakeZeroDurationFiresAtOnce(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	select {
	case <-f.NewTimer(0).C():
	default:
		t.Fatal("zero-duration timer did not fire at once")
	}
}

func TestFakeNeverMovesBackwards(t *testing.T) {
	start := time.Unix(1000, 0)
	f := NewFake(start)
	f.Set(start.Add(-time.Hour))
	if !f.Now().Equal(start) {
		t.Fatalf("clock moved backwards to %v", f.Now())
	}
}

func TestBlockUntilTimerAt(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	want := time.Unix(90, 0)
	go func() { f.NewTimer(90 * time.Second) }()
	f.BlockUntilTimerAt(want)
	if d, ok := f.NextDeadline(); !ok || !d.Equal(want) {
		t.Fatalf("next deadline = %v, %v; want %v", d, ok, want)
	}
}
