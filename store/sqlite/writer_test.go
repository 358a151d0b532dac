package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/storetest"
)

// holdWriter holds the writer once it has taken a first "plug" delivery
// into a batch; whatever is enqueued meanwhile queues up and is committed
// as one batch after release. It returns the plug's result channel and the
// release function.
func holdWriter(t *testing.T, s *Store) (plug <-chan error, release func()) {
	t.Helper()
	taken, released := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.beforeBatch = func() {
		once.Do(func() {
			close(taken)
			<-released
		})
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Enqueue(context.Background(), storetest.NewDelivery("plug", "plug/plug", storetest.At(0)))
		done <- err
	}()
	<-taken
	var releaseOnce sync.Once
	return done, func() { releaseOnce.Do(func() { close(released) }) }
}

func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	spinUntil(t, fmt.Sprint(n, " jobs queued"), func() bool {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		return len(s.queue) >= n
	})
}

// spinUntil yields until cond holds; it fails the test rather than hang
// should a regression keep cond false.
func spinUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		runtime.Gosched()
	}
}

// Callers queued behind a batch in flight when Close is called get ErrClosed;
// the batch in flight is committed; nobody hangs.
func TestCloseAnswersQueuedCallers(t *testing.T) {
	s := openTest(t)
	plug, release := holdWriter(t, s)

	const queued = 3
	errs := make(chan error, queued)
	for i := range queued {
		go func() {
			_, err := s.Enqueue(context.Background(), storetest.NewDelivery(fmt.Sprint("q", i), "o/r", storetest.At(0)))
			errs <- err
		}()
	}
	waitQueued(t, s, queued)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	<-s.closing
	release()

	if err := <-plug; err != nil {
		t.Errorf("plug (in flight at Close) = %v, want committed", err)
	}
	for range queued {
		if err := <-errs; !errors.Is(err, store.ErrClosed) {
			t.Errorf("queued Enqueue = %v, want ErrClosed", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Enqueue(context.Background(), storetest.NewDelivery("late", "o/r", storetest.At(0))); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Enqueue after Close = %v, want ErrClosed", err)
	}
}

// A job that fails is undone alone: the jobs committed with it keep their
// changes, and its own partial changes are gone.
func TestFailedJobRollsBackAlone(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	plug, release := holdWriter(t, s)

	errFailing := errors.New("job fails after writing")
	results := make(chan error, 3)
	go func() {
		_, err := s.Enqueue(ctx, storetest.NewDelivery("before", "o/r", storetest.At(0)))
		results <- err
	}()
	waitQueued(t, s, 1)
	go func() {
		results <- s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
			if _, err := tx.ExecContext(ctx, insertDelivery, "partial", "push", "", 1, "o/r", 0, 0, []byte{}); err != nil {
				return err
			}
			return errFailing
		})
	}()
	waitQueued(t, s, 2)
	go func() {
		_, err := s.Enqueue(ctx, storetest.NewDelivery("after", "o/r", storetest.At(0)))
		results <- err
	}()
	waitQueued(t, s, 3)
	release()
	if err := <-plug; err != nil {
		t.Fatalf("plug: %v", err)
	}
	var failed int
	for range 3 {
		err := <-results
		switch {
		case errors.Is(err, errFailing):
			failed++
		case err != nil:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if failed != 1 {
		t.Errorf("%d jobs reported the failure, want 1", failed)
	}
	if b := s.batches.Load(); b != 2 {
		t.Errorf("%d batches, want the plug's and one of the three", b)
	}
	if n := s.handedOver.Load(); n != 1 {
		t.Errorf("the plug's caller handed the queue over %d times, want once", n)
	}
	for id, want := range map[string]error{"before": nil, "after": nil, "partial": store.ErrNotFound} {
		if _, err := s.Delivery(ctx, id); !errors.Is(err, want) {
			t.Errorf("Delivery(%s) = %v, want %v", id, err, want)
		}
	}
}

// A job whose caller's ctx ended before the writer got to it is answered
// with ctx's error and never run, even when the caller has not noticed yet.
func TestWriterSkipsJobOfCancelledCaller(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	j := &job{ctx: ctx, done: make(chan error, 1), run: func(context.Context, writeTx) error {
		ran = true
		return nil
	}}
	s.commitBatch([]*job{j})
	if err := <-j.done; !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("job answered %v, ran %v; want context.Canceled, not run", err, ran)
	}
}

// Writing more than checkpointBytes wakes the checkpointer, whose PASSIVE
// checkpoint copies the WAL into the database file off the commit path.
func TestCheckpointerRuns(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	payload := make([]byte, 64<<10)
	for i := range checkpointBytes/len(payload) + 1 {
		d := storetest.NewDelivery(fmt.Sprint("d", i), "o/r", storetest.At(0))
		d.Payload = payload
		if _, err := s.Enqueue(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	spinUntil(t, "a checkpoint", func() bool { return s.checkpointsOK.Load()+s.ckptFailures.Load() > 0 })
	if n := s.ckptFailures.Load(); n != 0 {
		t.Fatalf("%d checkpoints failed", n)
	}
}
