package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store/storetest"
)

// openLingering opens a store whose relaxed batches wait up to linger.
func openLingering(t *testing.T, linger time.Duration) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "wavegate.db"), Options{RelaxedLinger: linger})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
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
	// Long enough that only the arrival can end the wait.
	s := openLingering(t, time.Hour)
	storetest.MustEnqueue(t, s, storetest.NewDelivery("zeroth", "o/r", storetest.At(0)))
	storetest.MustEnqueue(t, s, storetest.NewDelivery("first", "o/r", storetest.At(0)))

	batchesBefore := s.batches.Load()
	sync, done := relaxedProbe(s)
	spinUntil(t, "the writer lingers", func() bool { return s.lingered.Load() == 1 })
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
	const linger = time.Hour
	for _, tc := range []struct {
		name     string
		arrivals func(t *testing.T, s *Store)
	}{
		{"nothing arrived since start", func(*testing.T, *Store) {}},
		{"a single arrival: no pace known", func(t *testing.T, s *Store) {
			storetest.MustEnqueue(t, s, storetest.NewDelivery("only", "o/r", storetest.At(0)))
		}},
		{"the last arrival longer ago than the linger", func(t *testing.T, s *Store) {
			storetest.MustEnqueue(t, s, storetest.NewDelivery("one", "o/r", storetest.At(0)))
			storetest.MustEnqueue(t, s, storetest.NewDelivery("two", "o/r", storetest.At(0)))
			// Read by the writer only after the job below is sent to it.
			s.lastArrival = time.Now().Add(-2 * linger)
		}},
		{"arrivals further apart than the linger", func(t *testing.T, s *Store) {
			storetest.MustEnqueue(t, s, storetest.NewDelivery("one", "o/r", storetest.At(0)))
			s.lastArrival = time.Now().Add(-2 * linger)
			storetest.MustEnqueue(t, s, storetest.NewDelivery("two", "o/r", storetest.At(0)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openLingering(t, linger)
			tc.arrivals(t, s)
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
	s := openLingering(t, time.Hour)
	storetest.MustEnqueue(t, s, storetest.NewDelivery("zeroth", "o/r", storetest.At(0)))
	storetest.MustEnqueue(t, s, storetest.NewDelivery("first", "o/r", storetest.At(0)))
	_, done := relaxedProbe(s)
	spinUntil(t, "the writer lingers", func() bool { return s.lingered.Load() == 1 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("the lingering job: %v, want committed", err)
	}
}

// A negative linger turns lingering off.
func TestNegativeLingerNeverWaits(t *testing.T) {
	s := openLingering(t, -1)
	storetest.MustEnqueue(t, s, storetest.NewDelivery("zeroth", "o/r", storetest.At(0)))
	storetest.MustEnqueue(t, s, storetest.NewDelivery("first", "o/r", storetest.At(0)))
	sync, done := relaxedProbe(s)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v := <-sync; v != 1 {
		t.Errorf("synchronous = %d, want 1 (NORMAL, committed alone)", v)
	}
}
