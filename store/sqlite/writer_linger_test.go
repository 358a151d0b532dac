package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store/storetest"
)

const testLinger = 5 * time.Millisecond

// openLingering opens a store whose relaxed batches wait up to linger on a
// fake clock, which only the test moves: arrivals a test makes in a row are
// zero apart, and a linger ends only when the test says so.
func openLingering(t *testing.T, linger time.Duration) (*Store, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "wavegate.db"), Options{RelaxedLinger: linger, Clock: clk})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, clk
}

// arriveTwice stores two deliveries in a row: the writer knows their pace,
// zero apart on the fake clock, and lingers after them.
func arriveTwice(t *testing.T, s *Store) {
	t.Helper()
	storetest.MustEnqueue(t, s, storetest.NewDelivery("zeroth", "o/r", storetest.At(0)))
	storetest.MustEnqueue(t, s, storetest.NewDelivery("first", "o/r", storetest.At(0)))
}

// lingeringProbe is relaxedProbe, returning once the probe lingers.
func lingeringProbe(t *testing.T, s *Store, clk *clock.Fake) (sync <-chan int, done <-chan error) {
	t.Helper()
	sync, done = relaxedProbe(s)
	waitLingering(t, s, clk)
	return sync, done
}

// waitLingering returns once a first relaxed job lingers, its caller
// waiting on the linger's timer.
func waitLingering(t *testing.T, s *Store, clk *clock.Fake) {
	t.Helper()
	spinUntil(t, "a relaxed job lingers", func() bool { return s.lingered.Load() == 1 && clk.Waiters() == 1 })
}

// relaxedProbe submits a relaxed job that reports the synchronous setting
// its batch was committed with; its result comes on the returned channels.
func relaxedProbe(s *Store) (sync <-chan int, done <-chan error) {
	syncc, errc := make(chan int, 1), make(chan error, 1)
	go func() {
		errc <- s.inRelaxedTx(context.Background(), func(ctx context.Context, tx writeTx) error {
			var v int
			err := synchronousIn(ctx, tx, &v)
			syncc <- v
			return err
		})
	}()
	return syncc, errc
}

// While deliveries arrive close together, a claim or a settlement waits
// for the next arrival and is committed with it: one commit, with its
// fsync, for both.
func TestRelaxedJobRidesOnTheNextArrival(t *testing.T) {
	ctx := context.Background()
	s, clk := openLingering(t, testLinger)
	arriveTwice(t, s)
	batchesBefore := s.batches.Load()
	sync, done := lingeringProbe(t, s, clk)
	// Not yet the whole linger: the arrival, not the timer, ends the wait.
	clk.Advance(testLinger - time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the relaxed job was committed alone (%v) while arrivals were coming", err)
	default:
	}
	storetest.MustEnqueue(t, s, storetest.NewDelivery("second", "o/r", storetest.At(1)))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v := <-sync; v != 2 {
		t.Errorf("synchronous = %d for the relaxed job, want 2 (FULL, the arrival's)", v)
	}
	if n := s.batches.Load() - batchesBefore; n != 1 {
		t.Errorf("%d batches for the relaxed job and the arrival, want 1", n)
	}
	if _, err := s.Delivery(ctx, "second"); err != nil {
		t.Errorf("the arrival it rode on: %v", err)
	}
}

// With nothing arriving (a backlog draining) or deliveries arriving further
// apart than the linger (a quiet day, commands sent one by one) a relaxed
// job has nothing to wait for and is committed at once, without fsync.
func TestRelaxedJobWithNoArrivalsComingIsCommittedAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		arrivals func(t *testing.T, s *Store, clk *clock.Fake)
	}{
		{"nothing arrived since start", func(*testing.T, *Store, *clock.Fake) {}},
		{"a single arrival: no pace known", func(t *testing.T, s *Store, _ *clock.Fake) {
			storetest.MustEnqueue(t, s, storetest.NewDelivery("only", "o/r", storetest.At(0)))
		}},
		{"the last arrival longer ago than the linger", func(t *testing.T, s *Store, clk *clock.Fake) {
			storetest.MustEnqueue(t, s, storetest.NewDelivery("one", "o/r", storetest.At(0)))
			storetest.MustEnqueue(t, s, storetest.NewDelivery("two", "o/r", storetest.At(0)))
			clk.Advance(testLinger + time.Millisecond)
		}},
		{"arrivals further apart than the linger", func(t *testing.T, s *Store, clk *clock.Fake) {
			storetest.MustEnqueue(t, s, storetest.NewDelivery("one", "o/r", storetest.At(0)))
			clk.Advance(testLinger + time.Millisecond)
			storetest.MustEnqueue(t, s, storetest.NewDelivery("two", "o/r", storetest.At(0)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, clk := openLingering(t, testLinger)
			tc.arrivals(t, s, clk)
			sync, done := relaxedProbe(s)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-ctx.Done():
				t.Fatal("a relaxed job with no arrival likely to come was held back")
			}
			if v := <-sync; v != 1 {
				t.Errorf("synchronous = %d, want 1 (NORMAL)", v)
			}
			if n := s.lingered.Load(); n != 0 {
				t.Errorf("lingered %d times, want never", n)
			}
		})
	}
}

// A lingering batch does not hold up Close: it is committed and answered.
func TestCloseCommitsALingeringBatch(t *testing.T) {
	s, clk := openLingering(t, testLinger)
	arriveTwice(t, s)
	_, done := lingeringProbe(t, s, clk)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("the lingering job: %v, want committed", err)
	}
}

// A negative linger turns lingering off.
func TestNegativeLingerNeverWaits(t *testing.T) {
	s, _ := openLingering(t, -1)
	arriveTwice(t, s)
	sync, done := relaxedProbe(s)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v := <-sync; v != 1 {
		t.Errorf("synchronous = %d, want 1 (NORMAL, committed alone)", v)
	}
}

// When no arrival comes within the linger, the batch is committed on its
// own, without fsync, once the linger is over.
func TestLingerEndsWithoutAnArrival(t *testing.T) {
	s, clk := openLingering(t, testLinger)
	arriveTwice(t, s)
	batchesBefore := s.batches.Load()
	sync, done := lingeringProbe(t, s, clk)
	clk.Advance(testLinger)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second): // a guard: the commit follows the clock at once
		t.Fatal("the batch still waits once the linger is over")
	}
	if v := <-sync; v != 1 {
		t.Errorf("synchronous = %d, want 1 (NORMAL, committed alone)", v)
	}
	if n := s.batches.Load() - batchesBefore; n != 1 {
		t.Errorf("%d batches, want 1", n)
	}
}

// A health check through the writer answers at once, even while a batch
// lingers for the next arrival, and takes that batch with it.
func TestPingDoesNotWaitForALingeringBatch(t *testing.T) {
	s, clk := openLingering(t, testLinger)
	arriveTwice(t, s)
	_, done := lingeringProbe(t, s, clk)
	// Far beyond what the ping needs, so that a ping waiting on the fake
	// clock fails rather than hangs.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("the lingering job: %v, want committed with the ping", err)
	}
}
