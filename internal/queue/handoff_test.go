package queue

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
)

// claimOnArrival adds item seq of key k already claimed, leased until
// lease, as a store's EnqueueClaim stores a head.
func (s *memStore) claimOnArrival(seq int64, key string, now, lease time.Time) item {
	s.addKey(seq, key, now)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[seq]
	e.state, e.lease, e.attempts = "processing", lease, 1
	return item{seq, 1}
}

// looked waits for Run's first look for the next due time: from then on it
// is claiming, and workers can be set aside.
func looked(t *testing.T, looks chan int) {
	t.Helper()
	select {
	case <-looks:
	case <-time.After(10 * time.Second): // a deadlock guard, not a wait for time to pass
		t.Fatal("Run never looked for the next due time")
	}
}

func TestReserveOnlyWhileRunClaimsAndAWorkerIsFree(t *testing.T) {
	w, err := New(Options[item]{Store: newMemStore(), Work: noop, Clock: clock.NewFake(t0), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if w.Reserve() {
		t.Fatal("Reserve before Run succeeded")
	}
	looks := make(chan int, 10)
	r := run(t, noop, func(o *Options[item]) { o.Workers = 2 }, func(s *memStore) { s.looks = looks })
	looked(t, looks)
	if !r.w.Reserve() || !r.w.Reserve() {
		t.Fatal("Reserve of two free workers failed")
	}
	if r.w.Reserve() {
		t.Fatal("Reserve of a third worker of two succeeded")
	}
	r.w.Unreserve()
	if !r.w.Reserve() {
		t.Fatal("Reserve after Unreserve failed")
	}
	r.w.Unreserve()
	r.w.Unreserve()
}

// An item its caller claimed is worked by the worker set aside, which then
// records it and takes what follows it as any worker does; Run claims
// nothing for it.
func TestStartWorksAClaimedItemAndGoesOn(t *testing.T) {
	looks := make(chan int, 10)
	r := run(t, noop, withRuns, func(s *memStore) { s.looks = looks })
	looked(t, looks)
	if !r.w.Reserve() {
		t.Fatal("Reserve failed")
	}
	first := r.store.claimOnArrival(1, "k", t0, t0.Add(time.Minute))
	r.store.addKey(2, "k", t0)
	r.w.Arrived(false)
	r.w.Start(first, t0.Add(time.Minute))
	for _, want := range []int64{1, 2} {
		if o := r.next(t); o.State != Done || o.Item.Seq != want {
			t.Fatalf("outcome %+v, want item %d done", o, want)
		}
	}
	wantSettles(t, r.store, []string{"1:0"}, []string{"2:0"})
	r.store.mu.Lock()
	claims, withSettle := r.store.claims, r.store.claimedWithSettle
	r.store.mu.Unlock()
	if claims != 1 || withSettle != 1 {
		t.Errorf("%d claims by Run (want only its first, empty) and %d with a settlement (want 1, item 2)", claims, withSettle)
	}
}

// With every worker set aside, a due item waits; the worker given back
// wakes Run, which claims it (else it would sleep until the poll, a day).
func TestUnreserveWakesRunWaitingForAWorker(t *testing.T) {
	looks := make(chan int, 10)
	r := run(t, noop, func(o *Options[item]) { o.Workers = 1 }, func(s *memStore) { s.looks = looks })
	looked(t, looks)
	if !r.w.Reserve() {
		t.Fatal("Reserve failed")
	}
	r.store.add(1, t0)
	r.w.Notify()
	looked(t, looks) // woken, nothing free to claim with: asleep again
	r.w.Unreserve()
	if o := r.next(t); o.State != Done || o.Item.Seq != 1 {
		t.Fatalf("outcome %+v", o)
	}
}

// Only an arrival that is claimable now wakes Run; every arrival counts
// for Gather.
func TestArrivedWakesOnlyForAClaimableItem(t *testing.T) {
	fake := clock.NewFake(t0)
	w, err := New(Options[item]{Store: newMemStore(), Work: noop, Clock: fake, Gather: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.Arrived(false)
	if len(w.notify) != 0 {
		t.Error("an arrival behind another woke Run")
	}
	fake.Advance(3 * time.Millisecond)
	w.Arrived(false)
	if gap := time.Duration(w.notifyGap.Load()); gap != 3*time.Millisecond {
		t.Errorf("gap between arrivals %v, want 3ms", gap)
	}
	w.Arrived(true)
	if len(w.notify) != 1 {
		t.Error("a claimable arrival did not wake Run")
	}
}

// Shutdown waits for a worker Start began, as for any other, and hands its
// item back once the grace has passed.
func TestShutdownWaitsForAStartedWorker(t *testing.T) {
	looks := make(chan int, 10)
	g := startGraceRun(t, func(s *memStore) { s.looks = looks })
	looked(t, looks)
	if !g.w.Reserve() {
		t.Fatal("Reserve failed")
	}
	g.w.Start(g.store.claimOnArrival(1, "k", t0, t0.Add(time.Minute)), t0.Add(time.Minute))
	<-g.started
	g.cancel()
	g.clock.BlockUntilTimerAt(t0.Add(10 * time.Second))
	select {
	case <-g.stopped:
		t.Fatal("Run returned with a started worker in flight")
	default:
	}
	if g.w.Reserve() {
		t.Fatal("Reserve during shutdown succeeded")
	}
	g.clock.Set(t0.Add(10 * time.Second))
	<-g.stopped
	if o := g.next(t); o.State != HandedBack {
		t.Fatalf("outcome %+v", o)
	}
	if e := g.store.get(1); e.state != "pending" {
		t.Fatalf("stored %+v, want pending again", e)
	}
}

// A worker that records a retry and goes on with another run tells Run at
// once, which then sleeps until the retry is due, rather than when the
// worker ends, however long its next run takes. (That the retry is then
// worked is TestTransientRetriedWithBackoffPermanentDead's.)
func TestRetryTimedWhileItsWorkerGoesOn(t *testing.T) {
	release := make(chan struct{})
	var firstCalls atomic.Int32
	r := run(t, func(_ context.Context, it item) ([]byte, error) {
		switch it.Seq {
		case 1:
			if firstCalls.Add(1) == 1 {
				return nil, transient{errors.New("502")}
			}
		case 2:
			<-release
		}
		return nil, nil
	}, func(o *Options[item]) { withRuns(o); o.Workers = 1 }, func(s *memStore) {
		s.addKey(1, "a", t0)
		s.addKey(2, "b", t0)
	})
	if o := r.next(t); o.Item.Seq != 1 || o.State != Retried {
		t.Fatalf("outcome %+v, want item 1 retried", o)
	}
	r.clock.BlockUntilTimerAt(t0.Add(time.Second)) // while item 2 still runs
	close(release)
	if o := r.next(t); o.Item.Seq != 2 || o.State != Done {
		t.Fatalf("outcome %+v, want item 2 done", o)
	}
}
