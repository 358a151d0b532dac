package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/testlog"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

type item struct {
	Seq      int64
	Attempts int
}

type entry struct {
	state    string // pending | processing | done | dead
	due      time.Time
	lease    time.Time
	attempts int
	lastErr  string
}

// memStore is an in-memory leased queue keeping the Store contract; its
// hooks run inside a call, where a test interleaves with the worker.
type memStore struct {
	mu      sync.Mutex
	entries map[int64]*entry
	// afterClaim runs once after the first Claim that returns nothing.
	afterClaim func()
	// afterLook runs once after the first NextDue.
	afterLook func()
	once      sync.Once
}

func newMemStore() *memStore { return &memStore{entries: map[int64]*entry{}} }

func (s *memStore) add(seq int64, due time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[seq] = &entry{state: "pending", due: due}
}

func (s *memStore) get(seq int64) entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.entries[seq]
}

func (s *memStore) Claim(_ context.Context, now time.Time, limit int, lease time.Duration) ([]item, error) {
	s.mu.Lock()
	var seqs []int64
	for seq, e := range s.entries {
		if e.state == "pending" && !e.due.After(now) || e.state == "processing" && !e.lease.After(now) {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	var out []item
	for _, seq := range seqs[:min(limit, len(seqs))] {
		e := s.entries[seq]
		e.state, e.lease = "processing", now.Add(lease)
		e.attempts++
		out = append(out, item{seq, e.attempts})
	}
	s.mu.Unlock()
	if len(out) == 0 && s.afterClaim != nil {
		s.once.Do(s.afterClaim)
	}
	return out, nil
}

func (s *memStore) finish(it item, state string, due time.Time, msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[it.Seq]
	if e.state != "processing" {
		return fmt.Errorf("item %d is %s", it.Seq, e.state)
	}
	e.state, e.due, e.lastErr = state, due, msg
	return nil
}

func (s *memStore) Complete(_ context.Context, it item, now time.Time, _ []byte) error {
	return s.finish(it, "done", now, "")
}

func (s *memStore) Retry(_ context.Context, it item, next time.Time, msg string) error {
	return s.finish(it, "pending", next, msg)
}

func (s *memStore) Kill(_ context.Context, it item, now time.Time, msg string) error {
	return s.finish(it, "dead", now, msg)
}

func (s *memStore) ReleaseAll(_ context.Context, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.entries {
		if e.state == "processing" {
			e.state, e.due = "pending", now
			n++
		}
	}
	return n, nil
}

func (s *memStore) NextDue(context.Context) (time.Time, bool, error) {
	due, ok := s.nextDue()
	if s.afterLook != nil {
		s.once.Do(s.afterLook)
	}
	return due, ok, nil
}

func (s *memStore) nextDue() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due time.Time
	ok := false
	for _, e := range s.entries {
		var at time.Time
		switch e.state {
		case "pending":
			at = e.due
		case "processing":
			at = e.lease
		default:
			continue
		}
		if !ok || at.Before(due) {
			due, ok = at, true
		}
	}
	return due, ok
}

func (s *memStore) Attempts(it item) int { return it.Attempts }

type transient struct{ error }

func isTransient(err error) bool { var t transient; return errors.As(err, &t) }

// retryAfter is a transient failure that says when it may be retried.
type retryAfter struct {
	transient
	at time.Time
}

func (r retryAfter) Unwrap() error { return r.transient }

type rig struct {
	store    *memStore
	clock    *clock.Fake
	w        *Worker[item]
	outcomes chan Outcome[item]
	logs     *testlog.Buffer
}

// run starts a worker over a fresh memStore; tweak adjusts its options
// before New, setup the store before Run.
func run(t *testing.T, work Work[item], tweak func(*Options[item]), setup func(*memStore)) *rig {
	t.Helper()
	r := &rig{store: newMemStore(), clock: clock.NewFake(t0), outcomes: make(chan Outcome[item], 100), logs: &testlog.Buffer{}}
	if setup != nil {
		setup(r.store)
	}
	o := Options[item]{
		Store: r.store, Work: work, Clock: r.clock, Logger: slog.New(slog.NewTextHandler(r.logs, nil)),
		Names: Names{One: "item", Many: "items"}, Attrs: func(it item) []any { return []any{"seq", it.Seq} },
		IsTransient: isTransient, Jitter: func() float64 { return 0 }, Poll: 24 * time.Hour,
		RetryAt: func(err error, _ time.Time) (time.Time, bool) {
			var r retryAfter
			return r.at, errors.As(err, &r)
		},
		OnOutcome: func(o Outcome[item]) { r.outcomes <- o },
	}
	if tweak != nil {
		tweak(&o)
	}
	var err error
	if r.w, err = New(o); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = r.w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-stopped })
	return r
}

func (r *rig) next(t *testing.T) Outcome[item] {
	t.Helper()
	select {
	case o := <-r.outcomes:
		return o
	case <-time.After(10 * time.Second): // a deadlock guard, not a wait for time to pass
		t.Fatal("no outcome within 10s")
		return Outcome[item]{}
	}
}

func TestPanicIsDeadWithTheStackInTheLog(t *testing.T) {
	r := run(t, func(context.Context, item) ([]byte, error) { panic("nil map") },
		func(o *Options[item]) { o.IsTransient = func(error) bool { return true } }, // a panic is dead all the same
		func(s *memStore) { s.add(1, t0) })
	if o := r.next(t); o.State != Dead || o.Err == nil || !strings.Contains(o.Err.Error(), "nil map") {
		t.Fatalf("outcome %+v; want dead with the panic", o)
	}
	if e := r.store.get(1); e.state != "dead" || !strings.Contains(e.lastErr, "handler panicked: nil map") {
		t.Fatalf("stored %+v", e)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "item handler panicked") || !strings.Contains(logs, "run.go") || !strings.Contains(logs, "seq=1") {
		t.Fatalf("log lacks the panic, its stack or the item:\n%s", logs)
	}
}

func TestAttemptLimitIsDead(t *testing.T) {
	r := run(t, func(context.Context, item) ([]byte, error) { return nil, transient{errors.New("502")} },
		func(o *Options[item]) { o.MaxAttempts = 3 }, func(s *memStore) { s.add(1, t0) })
	for attempt := 1; attempt <= 2; attempt++ {
		o := r.next(t)
		if o.State != Retried {
			t.Fatalf("attempt %d: %+v, want retried", attempt, o)
		}
		r.clock.BlockUntilTimerAt(o.NextAttempt)
		r.clock.Set(o.NextAttempt)
	}
	if o := r.next(t); o.State != Dead {
		t.Fatalf("third attempt: %+v, want dead", o)
	}
	if e := r.store.get(1); e.state != "dead" || e.attempts != 3 || e.lastErr != "gave up after 3 attempts: 502" {
		t.Fatalf("stored %+v", e)
	}
}

func TestTransientRetriedWithBackoffPermanentDead(t *testing.T) {
	calls := map[int64]int{}
	var mu sync.Mutex
	r := run(t, func(_ context.Context, it item) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[it.Seq]++
		if it.Seq == 2 {
			return nil, errors.New("422")
		}
		if calls[it.Seq] < 3 {
			return nil, transient{errors.New("502")}
		}
		return nil, nil
	}, nil, func(s *memStore) { s.add(1, t0); s.add(2, t0) })
	got := map[int64]State{}
	for range 2 {
		o := r.next(t)
		got[o.Item.Seq] = o.State
	}
	if got[1] != Retried || got[2] != Dead {
		t.Fatalf("first attempts: %v", got)
	}
	// Jitter 0 is half the doubling backoff: 1s, then 2s; the worker sleeps
	// until exactly then.
	for _, delay := range []time.Duration{time.Second, 2 * time.Second} {
		due := r.clock.Now().Add(delay)
		if e := r.store.get(1); !e.due.Equal(due) {
			t.Fatalf("retry due %v, want %v", e.due, due)
		}
		r.clock.BlockUntilTimerAt(due)
		r.clock.Set(due)
		r.next(t)
	}
	if e := r.store.get(1); e.state != "done" || e.attempts != 3 {
		t.Fatalf("stored %+v", e)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	var calls int
	var mu sync.Mutex
	r := run(t, func(context.Context, item) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls == 1 {
			return nil, retryAfter{transient{errors.New("429")}, t0.Add(time.Minute)}
		}
		return nil, nil
	}, nil, func(s *memStore) { s.add(1, t0) })
	if o := r.next(t); o.State != Retried || !o.NextAttempt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("outcome %+v; want a retry at Retry-After's %v, not the 1s backoff", o, t0.Add(time.Minute))
	}
	r.clock.BlockUntilTimerAt(t0.Add(time.Minute))
	r.clock.Set(t0.Add(time.Minute))
	if o := r.next(t); o.State != Done {
		t.Fatalf("retry: %+v", o)
	}
}

func TestNextAttemptJitterBounds(t *testing.T) {
	w := &Worker[item]{o: Options[item]{BaseBackoff: 2 * time.Second, MaxBackoff: time.Minute}}
	tests := []struct {
		attempts int
		jitter   float64
		want     time.Duration
	}{
		{1, 0, time.Second}, {1, 0.999999, 2 * time.Second}, {2, 0, 2 * time.Second},
		{3, 0.5, 6 * time.Second}, {10, 0, 30 * time.Second}, {40, 0, 30 * time.Second},
		{40, 0.999999, time.Minute},
		// A jitter source out of range is clamped: never sooner than half, never later than all.
		{2, -3, 2 * time.Second}, {2, 7, 4 * time.Second},
	}
	for _, tc := range tests {
		w.o.Jitter = func() float64 { return tc.jitter }
		got := w.NextAttempt(t0, tc.attempts, errors.New("x")).Sub(t0)
		if got.Round(time.Millisecond) != tc.want {
			t.Errorf("attempt %d jitter %v: delay %v, want %v", tc.attempts, tc.jitter, got, tc.want)
		}
	}
}

// A Notify that arrives after the worker looked for its next due time and
// before it sleeps is kept: the item it announces is worked without the
// clock moving, where a dropped Notify would leave it to the poll.
func TestNotifyBetweenClaimAndSleepIsNotLost(t *testing.T) {
	var r *rig
	ready := make(chan struct{})
	r = run(t, func(context.Context, item) ([]byte, error) { return nil, nil }, nil, func(s *memStore) {
		s.afterLook = func() {
			<-ready
			s.add(1, t0)
			r.w.Notify()
		}
	})
	close(ready)
	if o := r.next(t); o.State != Done || o.Item.Seq != 1 {
		t.Fatalf("outcome %+v", o)
	}
}

// An item added between the claim and the look for the next due time, with
// no Notify (another process added it), is claimed at once, not at the poll.
func TestItemAddedAfterClaimWithoutNotifyIsClaimed(t *testing.T) {
	var r *rig
	ready := make(chan struct{})
	r = run(t, func(context.Context, item) ([]byte, error) { return nil, nil }, nil, func(s *memStore) {
		s.afterClaim = func() {
			<-ready
			s.add(1, t0)
		}
	})
	close(ready)
	if o := r.next(t); o.State != Done || o.Item.Seq != 1 {
		t.Fatalf("outcome %+v", o)
	}
}

func TestShutdownHandsBackAfterGrace(t *testing.T) {
	started := make(chan struct{})
	r := &rig{store: newMemStore(), clock: clock.NewFake(t0), outcomes: make(chan Outcome[item], 10)}
	r.store.add(1, t0)
	w, err := New(Options[item]{Store: r.store, Clock: r.clock, ShutdownGrace: 10 * time.Second,
		Work: func(ctx context.Context, _ item) ([]byte, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		},
		OnOutcome: func(o Outcome[item]) { r.outcomes <- o }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = w.Run(ctx) }()
	<-started
	cancel()
	r.clock.BlockUntilTimerAt(t0.Add(10 * time.Second))
	r.clock.Set(t0.Add(10 * time.Second))
	<-stopped
	if o := r.next(t); o.State != HandedBack {
		t.Fatalf("outcome %+v", o)
	}
	if e := r.store.get(1); e.state != "pending" || !e.due.Equal(t0.Add(10*time.Second)) || e.lastErr != "interrupted by shutdown" {
		t.Fatalf("stored %+v", e)
	}
}
