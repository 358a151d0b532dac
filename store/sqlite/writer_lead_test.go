package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/storetest"
)

// Writes made one after another are each committed by their own caller:
// nothing is handed to the writer goroutine, so no goroutine is woken.
func TestLoneWritesAreCommittedByTheirCallers(t *testing.T) {
	s := openTest(t)
	for i := range 5 {
		storetest.MustEnqueue(t, s, storetest.NewDelivery(fmt.Sprint("d", i), "o/r", storetest.At(0)))
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.batches.Load(); n != 6 {
		t.Errorf("%d batches, want 6", n)
	}
	if n := s.handedOver.Load(); n != 0 {
		t.Errorf("handed over %d times, want never", n)
	}
}

// A claim or settlement that comes while an arrival is being committed
// still lingers for the next arrival when deliveries come close together:
// the leader leaves it queued rather than committing it alone.
func TestRelaxedJobQueuedBehindABatchStillLingers(t *testing.T) {
	s, clk := openLingering(t, testLinger)
	arriveTwice(t, s)
	plug, release := holdWriter(t, s)
	sync, done := lingeringProbe(t, s, clk)
	release()
	if err := <-plug; err != nil {
		t.Fatal(err)
	}
	// The plug's caller has stopped leading before its Enqueue returned.
	select {
	case err := <-done:
		t.Fatalf("the relaxed job was committed (%v) without an arrival or the end of its linger", err)
	default:
	}
	if n := s.handedOver.Load(); n != 0 {
		t.Errorf("handed over %d times, want never", n)
	}
	storetest.MustEnqueue(t, s, storetest.NewDelivery("next", "o/r", storetest.At(1)))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v := <-sync; v != 2 {
		t.Errorf("synchronous = %d for the relaxed job, want 2 (FULL, the arrival's)", v)
	}
}

// A claim or settlement that comes while a batch is being committed, with
// no arrivals coming, is handed to the writer goroutine and committed
// right after.
func TestRelaxedJobQueuedBehindABatchIsCommittedNext(t *testing.T) {
	s, _ := openLingering(t, testLinger)
	plug, release := holdWriter(t, s)
	sync, done := relaxedProbe(s)
	waitQueued(t, s, 1)
	release()
	if err := <-plug; err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v := <-sync; v != 1 {
		t.Errorf("synchronous = %d, want 1 (NORMAL, committed alone)", v)
	}
	if n := s.handedOver.Load(); n != 1 {
		t.Errorf("handed over %d times, want once", n)
	}
}

// A lingering job whose caller gives up is never run; the arrival that
// comes next is committed as usual.
func TestLingeringJobOfACallerWhoLeftIsSkipped(t *testing.T) {
	ctx := context.Background()
	s, clk := openLingering(t, testLinger)
	arriveTwice(t, s)
	jobCtx, cancel := context.WithCancel(ctx)
	ran, done := make(chan struct{}, 1), make(chan error, 1)
	go func() {
		done <- s.inRelaxedTx(jobCtx, func(context.Context, writeTx) error {
			ran <- struct{}{}
			return nil
		})
	}()
	waitLingering(t, s, clk)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the job's caller got %v, want context.Canceled", err)
	}
	storetest.MustEnqueue(t, s, storetest.NewDelivery("next", "o/r", storetest.At(1)))
	if _, err := s.Delivery(ctx, "next"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
		t.Error("the job of a caller who left was run")
	default:
	}
}

// A job that panics fails alone, alone in its batch or beside others, and
// the store goes on: its batch is committed on a caller's goroutine, whose
// panic an HTTP server would recover from.
func TestPanickingJobFailsAlone(t *testing.T) {
	ctx := context.Background()
	panicking := func(ctx context.Context, tx writeTx) error {
		if _, err := tx.ExecContext(ctx, insertDelivery, "partial", "push", "", 1, "o/r", 0, 0, []byte{}); err != nil {
			return err
		}
		panic("a bug")
	}
	wantPanic := func(t *testing.T, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "write job panicked: a bug") {
			t.Errorf("the panicking job got %v, want its panic", err)
		}
	}
	t.Run("alone", func(t *testing.T) {
		s := openTest(t)
		wantPanic(t, s.inWriteTx(ctx, panicking))
		storetest.MustEnqueue(t, s, storetest.NewDelivery("after", "o/r", storetest.At(0)))
		if _, err := s.Delivery(ctx, "partial"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the panicking job's write: %v, want ErrNotFound", err)
		}
	})
	t.Run("in a batch", func(t *testing.T) {
		s := openTest(t)
		plug, release := holdWriter(t, s)
		results := make(chan error, 1)
		go func() { results <- s.inWriteTx(ctx, panicking) }()
		waitQueued(t, s, 1)
		beside := make(chan error, 1)
		go func() {
			_, err := s.Enqueue(ctx, storetest.NewDelivery("beside", "o/r", storetest.At(0)))
			beside <- err
		}()
		waitQueued(t, s, 2)
		release()
		if err := <-plug; err != nil {
			t.Fatal(err)
		}
		wantPanic(t, <-results)
		if err := <-beside; err != nil {
			t.Errorf("the job beside it: %v", err)
		}
		if _, err := s.Delivery(ctx, "partial"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the panicking job's write: %v, want ErrNotFound", err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping after: %v", err)
		}
	})
}

// A panic in committing a batch outside any job, a bug of the store's own,
// ends the process even when the caller leading recovers from panics (an
// HTTP server does): a store left with nobody leading would hang every
// write. Run in a child process, which must die rather than hang.
func TestPanicOutsideAJobEndsTheProcess(t *testing.T) {
	if os.Getenv("WAVEGATE_TEST_STORE_PANIC") == "1" {
		s := openTest(t)
		s.beforeBatch = func() { panic("a store bug") }
		func() {
			defer func() { _ = recover() }()
			_ = s.Ping(context.Background())
		}()
		_ = s.Ping(context.Background())
		t.Fatal("still running after the panic")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestPanicOutsideAJobEndsTheProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WAVEGATE_TEST_STORE_PANIC=1")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the child process hung:\n%s", out)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "panic: sqlite store: committing a batch: a store bug") {
		t.Fatalf("child: %v, want it to die of the panic (exit status 2); output:\n%s", err, out)
	}
}
