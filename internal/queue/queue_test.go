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
	key      string // items of one key are claimed in runs, in seq order
	state    string // pending | processing | done | dead
	due      time.Time
	lease    time.Time
	attempts int
	lastErr  string
}

// memStore is an in-memory leased queue keeping the Store contract; its
// hooks run inside a call, where a test interleaves with the worker.
type memStore struct {
	// tx makes SettleAndClaim all or none, as a store's transaction does:
	// no Claim comes between its settlement and its claim.
	tx      sync.Mutex
	mu      sync.Mutex
	entries map[int64]*entry
	// settles records each Settle call's settlements.
	settles [][]Settlement[item]
	// runLengths records the run length of each Claim that took something.
	runLengths []int
	// claimedWithSettle counts runs SettleAndClaim took.
	claimedWithSettle int
	// afterClaim runs once after the first Claim that returns nothing.
	afterClaim func()
	// afterLook runs once after the first NextDue.
	afterLook func()
	once      sync.Once
	// claims counts Claim calls, empty ones too; looks, when set, is sent
	// that count at each NextDue.
	claims int
	looks  chan int
}

func newMemStore() *memStore { return &memStore{entries: map[int64]*entry{}} }

// add adds an item with a key of its own.
func (s *memStore) add(seq int64, due time.Time) { s.addKey(seq, fmt.Sprint("own-", seq), due) }

func (s *memStore) addKey(seq int64, key string, due time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[seq] = &entry{key: key, state: "pending", due: due}
}

func (s *memStore) get(seq int64) entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.entries[seq]
}

func (s *memStore) settled() [][]Settlement[item] {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.settles)
}

// Claim takes, per key in the order of its first unfinished item, that
// item and the due ones after it, as the inbox's store does.
func (s *memStore) Claim(ctx context.Context, now time.Time, runs, runLen int, lease time.Duration) ([][]item, error) {
	s.tx.Lock()
	defer s.tx.Unlock()
	s.mu.Lock()
	s.claims++
	s.mu.Unlock()
	return s.claim(ctx, now, runs, runLen, lease)
}

func (s *memStore) claim(_ context.Context, now time.Time, runs, runLen int, lease time.Duration) ([][]item, error) {
	s.mu.Lock()
	var seqs []int64
	for seq, e := range s.entries {
		if e.state == "pending" || e.state == "processing" {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	due := func(e *entry) bool {
		return e.state == "pending" && !e.due.After(now) || e.state == "processing" && !e.lease.After(now)
	}
	var out [][]item
	seen := map[string]bool{}
	for _, seq := range seqs {
		e := s.entries[seq]
		if seen[e.key] || len(out) == runs {
			continue
		}
		seen[e.key] = true
		var run []item
		for _, next := range seqs {
			n := s.entries[next]
			if next < seq || n.key != e.key {
				continue
			}
			if !due(n) || len(run) == runLen {
				break
			}
			n.state, n.lease = "processing", now.Add(lease)
			n.attempts++
			run = append(run, item{next, n.attempts})
		}
		if len(run) > 0 {
			out = append(out, run)
		}
	}
	if len(out) > 0 {
		s.runLengths = append(s.runLengths, runLen)
	}
	s.mu.Unlock()
	if len(out) == 0 && s.afterClaim != nil {
		s.once.Do(s.afterClaim)
	}
	return out, nil
}

func (s *memStore) SettleAndClaim(ctx context.Context, sts []Settlement[item], now time.Time, runLen int, lease time.Duration) ([]item, error) {
	s.tx.Lock()
	defer s.tx.Unlock()
	if err := s.settle(sts); err != nil {
		return nil, err
	}
	runs, err := s.claim(ctx, now, 1, runLen, lease)
	if err != nil || len(runs) == 0 {
		return nil, err
	}
	s.mu.Lock()
	s.claimedWithSettle++
	s.mu.Unlock()
	return runs[0], nil
}

func (s *memStore) Settle(_ context.Context, sts []Settlement[item]) error {
	s.tx.Lock()
	defer s.tx.Unlock()
	return s.settle(sts)
}

func (s *memStore) settle(sts []Settlement[item]) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range sts {
		if e := s.entries[st.Item.Seq]; e.state != "processing" {
			return fmt.Errorf("item %d is %s", st.Item.Seq, e.state)
		}
	}
	s.settles = append(s.settles, sts)
	for _, st := range sts {
		e := s.entries[st.Item.Seq]
		switch st.State {
		case Done:
			e.state, e.due = "done", st.At
		case Retried, HandedBack:
			e.state, e.due, e.lastErr = "pending", st.At, st.Err
		case Dead:
			e.state, e.due, e.lastErr = "dead", st.At, st.Err
		case Unworked:
			e.state = "pending"
			e.attempts--
		}
	}
	return nil
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
	if s.looks != nil {
		s.mu.Lock()
		n := s.claims
		s.mu.Unlock()
		select {
		case s.looks <- n:
		default: // a test reads only the first few
		}
	}
	return due, ok, nil
}

// nextDue is over each key's first unfinished item, as the inbox's store's:
// an item waiting behind another of its key is not due by itself.
func (s *memStore) nextDue() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := map[string]int64{}
	for seq, e := range s.entries {
		if e.state != "pending" && e.state != "processing" {
			continue
		}
		if f, ok := first[e.key]; !ok || seq < f {
			first[e.key] = seq
		}
	}
	var due time.Time
	ok := false
	for _, seq := range first {
		e := s.entries[seq]
		at := e.due
		if e.state == "processing" {
			at = e.lease
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

// A worker whose settlement's claim found nothing due ends without waking
// the loop, which would only claim nothing (an empty write transaction per
// delivery at a steady rate) and look for the next due time again.
func TestNoClaimAfterAWorkerFoundNothingMore(t *testing.T) {
	looks := make(chan int, 10)
	r := run(t, func(context.Context, item) ([]byte, error) { return nil, nil }, nil, func(s *memStore) {
		s.add(1, t0)
		s.looks = looks
	})
	if o := r.next(t); o.State != Done {
		t.Fatalf("outcome %+v", o)
	}
	// The first look follows the claim that took item 1.
	if claims := <-looks; claims != 1 {
		t.Errorf("%d claims at the first look, want 1", claims)
	}
	// Still woken by what comes next, and the next look follows its claim:
	// the worker's end woke nothing.
	r.store.add(2, t0)
	r.w.Notify()
	if o := r.next(t); o.State != Done || o.Item.Seq != 2 {
		t.Fatalf("outcome %+v", o)
	}
	if claims := <-looks; claims != 2 {
		t.Errorf("%d claims at the second look, want 2 (the one for item 2)", claims)
	}
}

// graceRun is a worker with a 10s shutdown grace whose work blocks until
// it is cancelled, closing started when it begins.
type graceRun struct {
	*rig
	started, stopped chan struct{}
	cancel           context.CancelFunc
}

func startGraceRun(t *testing.T, setup func(*memStore)) *graceRun {
	t.Helper()
	g := &graceRun{rig: &rig{store: newMemStore(), clock: clock.NewFake(t0), outcomes: make(chan Outcome[item], 10)},
		started: make(chan struct{}), stopped: make(chan struct{})}
	setup(g.store)
	w, err := New(Options[item]{Store: g.store, Clock: g.clock, ShutdownGrace: 10 * time.Second,
		Work: func(ctx context.Context, _ item) ([]byte, error) {
			close(g.started)
			<-ctx.Done()
			return nil, ctx.Err()
		},
		OnOutcome: func(o Outcome[item]) { g.outcomes <- o }})
	if err != nil {
		t.Fatal(err)
	}
	g.w = w
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	go func() { defer close(g.stopped); _ = w.Run(ctx) }()
	return g
}

func TestShutdownHandsBackAfterGrace(t *testing.T) {
	g := startGraceRun(t, func(s *memStore) { s.add(1, t0) })
	<-g.started
	g.cancel()
	g.clock.BlockUntilTimerAt(t0.Add(10 * time.Second))
	g.clock.Set(t0.Add(10 * time.Second))
	<-g.stopped
	if o := g.next(t); o.State != HandedBack {
		t.Fatalf("outcome %+v", o)
	}
	if e := g.store.get(1); e.state != "pending" || !e.due.Equal(t0.Add(10*time.Second)) || e.lastErr != "interrupted by shutdown" {
		t.Fatalf("stored %+v", e)
	}
}

// runOf puts items 1..n under one key, all due at t0.
func runOf(n int) func(*memStore) {
	return func(s *memStore) {
		for seq := range n {
			s.addKey(int64(seq+1), "k", t0)
		}
	}
}

func withRuns(o *Options[item]) { o.RunLength, o.Timeout, o.Lease = 8, time.Minute, 5*time.Minute }

// settleStates is what one Settle call recorded, item by item.
func settleStates(sts []Settlement[item]) []string {
	out := []string{}
	for _, st := range sts {
		out = append(out, fmt.Sprintf("%d:%d", st.Item.Seq, st.State))
	}
	return out
}

// wantSettles checks the first Settle calls.
func wantSettles(t *testing.T, s *memStore, want ...[]string) {
	t.Helper()
	got := s.settled()
	if len(got) < len(want) {
		t.Fatalf("%d Settle calls %v, want %d: %v", len(got), got, len(want), want)
	}
	for i := range want {
		if g := settleStates(got[i]); !slices.Equal(g, want[i]) {
			t.Errorf("Settle call %d = %v, want %v", i, g, want[i])
		}
	}
}

func TestRunWorkedInOrderAndSettledTogether(t *testing.T) {
	var mu sync.Mutex
	var worked []int64
	r := run(t, func(_ context.Context, it item) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		worked = append(worked, it.Seq)
		return []byte{byte(it.Seq)}, nil
	}, withRuns, runOf(3))
	for want := int64(1); want <= 3; want++ {
		if o := r.next(t); o.State != Done || o.Item.Seq != want {
			t.Fatalf("outcome %+v, want %d done", o, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(worked, []int64{1, 2, 3}) {
		t.Errorf("worked %v, want in order", worked)
	}
	// Outcomes are told after the one Settle of the run.
	wantSettles(t, r.store, []string{"1:0", "2:0", "3:0"})
	if st := r.store.settled()[0][2]; string(st.Result) != "\x03" {
		t.Errorf("result of 3 = %q", st.Result)
	}
}

// A failure in the middle of a run stops it: what came before is done,
// the failed one retried or dead (a panic is dead), and the rest go back
// unworked, their claim not counted as an attempt.
func TestFailureInTheMiddleOfARunStopsIt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fail  func() error
		state State
	}{
		{"transient", func() error { return transient{errors.New("502")} }, Retried},
		{"permanent", func() error { return errors.New("422") }, Dead},
		{"panic", func() error { panic("nil map") }, Dead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var worked []int64
			r := run(t, func(_ context.Context, it item) ([]byte, error) {
				mu.Lock()
				worked = append(worked, it.Seq)
				mu.Unlock()
				if it.Seq == 2 {
					return nil, tc.fail()
				}
				return nil, nil
			}, withRuns, runOf(4))
			if o := r.next(t); o.State != Done || o.Item.Seq != 1 {
				t.Fatalf("first outcome %+v", o)
			}
			if o := r.next(t); o.State != tc.state || o.Item.Seq != 2 {
				t.Fatalf("second outcome %+v, want 2 %d", o, tc.state)
			}
			wantSettles(t, r.store, []string{"1:0", fmt.Sprint("2:", int(tc.state)), "3:4", "4:4"})
			if tc.state == Retried {
				// Held back behind the retry, as they were before the claim.
				for _, seq := range []int64{3, 4} {
					if e := r.store.get(seq); e.state != "pending" || e.attempts != 0 || !e.due.Equal(t0) {
						t.Errorf("item %d = %+v, want pending as before its claim", seq, e)
					}
				}
				return
			}
			if e := r.store.get(2); e.state != "dead" || e.lastErr == "" {
				t.Errorf("item 2 = %+v, want dead with its error", e)
			}
			// Behind a dead one, the rest run next, on their first attempt.
			for want := int64(3); want <= 4; want++ {
				if o := r.next(t); o.State != Done || o.Item.Seq != want || o.Item.Attempts != 1 {
					t.Fatalf("outcome %+v, want %d done on attempt 1", o, want)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(worked, []int64{1, 2, 3, 4}) {
				t.Errorf("worked %v, want each once, in order", worked)
			}
		})
	}
}

// An item of a run is started only when its timeout ends before the run's
// lease: a run never outlives its claim.
func TestRunStopsBeforeItsLeaseCouldEnd(t *testing.T) {
	var clk *clock.Fake
	r := run(t, func(context.Context, item) ([]byte, error) {
		clk.Advance(2 * time.Minute) // each item takes 2m; the timeout is 2m, the lease 5m
		return nil, nil
	}, func(o *Options[item]) {
		withRuns(o)
		o.Timeout, clk = 2*time.Minute, o.Clock.(*clock.Fake)
	}, runOf(4))
	r.next(t)
	r.next(t)
	// Started at 0 and 2m; a third at 4m could run to 6m, past the lease.
	wantSettles(t, r.store, []string{"1:0", "2:0", "3:4", "4:4"})
}

// Shutdown lets the item in progress finish and hands the rest of its run
// back unworked.
func TestShutdownStopsARunBetweenItems(t *testing.T) {
	s := newMemStore()
	runOf(3)(s)
	started, release := make(chan struct{}), make(chan struct{})
	outcomes := make(chan Outcome[item], 10)
	w, err := New(Options[item]{Store: s, Clock: clock.NewFake(t0), ShutdownGrace: time.Minute,
		RunLength: 8, Timeout: time.Minute,
		Work: func(_ context.Context, it item) ([]byte, error) {
			if it.Seq == 1 {
				close(started)
				<-release
			}
			return nil, nil
		},
		OnOutcome: func(o Outcome[item]) { outcomes <- o }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = w.Run(ctx) }()
	<-started
	cancel()
	close(release)
	<-stopped
	if o := <-outcomes; o.State != Done || o.Item.Seq != 1 {
		t.Fatalf("outcome %+v, want 1 done", o)
	}
	wantSettles(t, s, []string{"1:0", "2:4", "3:4"})
}

func TestRunsNeedATimeout(t *testing.T) {
	_, err := New(Options[item]{Store: newMemStore(), RunLength: 2,
		Work: func(context.Context, item) ([]byte, error) { return nil, nil }})
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("New with runs and no timeout = %v, want an error about the timeout", err)
	}
}

// Runs are claimed shorter after failures and longer after full runs done,
// so that a key whose every item fails does not cost a whole run's claim
// per item.
func TestRunLengthHalvesAfterAFailureAndDoublesAfterAFullRun(t *testing.T) {
	r := run(t, func(_ context.Context, it item) ([]byte, error) {
		if it.Seq <= 4 {
			return nil, errors.New("422")
		}
		return nil, nil
	}, withRuns, runOf(20))
	for range 20 {
		r.next(t)
	}
	r.store.mu.Lock()
	defer r.store.mu.Unlock()
	// [1-8] 1 dead; [2-5] 2 dead; [3 4] 3 dead; [4] dead; [5]; [6 7]; [8-11]; [12-19]; [20].
	if want := []int{8, 4, 2, 1, 1, 2, 4, 8, 8}; !slices.Equal(r.store.runLengths, want) {
		t.Errorf("run lengths %v, want %v", r.store.runLengths, want)
	}
}

// A worker done with a run takes its next one in the same write as the
// settlement.
func TestNextRunClaimedWithTheSettlement(t *testing.T) {
	r := run(t, func(context.Context, item) ([]byte, error) { return nil, nil },
		func(o *Options[item]) { withRuns(o); o.RunLength = 2 }, runOf(4))
	for range 4 {
		r.next(t)
	}
	wantSettles(t, r.store, []string{"1:0", "2:0"}, []string{"3:0", "4:0"})
	r.store.mu.Lock()
	defer r.store.mu.Unlock()
	if r.store.claimedWithSettle != 1 || len(r.store.runLengths) != 2 {
		t.Errorf("%d claims, %d of them with a settlement; want 2, 1", len(r.store.runLengths), r.store.claimedWithSettle)
	}
}

func noop(context.Context, item) ([]byte, error) { return nil, nil }

func withGather(o *Options[item]) { withRuns(o); o.Gather = 10 * time.Millisecond }

// arrive adds item seq of key k and notifies, as an arrival does.
func (r *rig) arrive(seq int64, key string) {
	r.store.addKey(seq, key, r.clock.Now())
	r.w.Notify()
}

// While items come at least every Gather, a worker that took all of its
// key's items waits Gather before it records them and claims again: what
// came meanwhile is then one run, claimed with the settlement.
func TestGatherTakesWhatCameMeanwhileInOneRun(t *testing.T) {
	r := run(t, noop, withGather, nil)
	r.w.Notify()
	r.clock.Advance(2 * time.Millisecond)
	r.arrive(1, "k") // 2ms after the last notify: a steady stream
	r.clock.BlockUntilTimerAt(r.clock.Now().Add(10 * time.Millisecond))
	if got := r.store.settled(); len(got) != 0 {
		t.Fatalf("settled %v before the gather ended", got)
	}
	r.arrive(2, "k")
	r.arrive(3, "k")
	r.clock.Advance(10 * time.Millisecond)
	if o := r.next(t); o.Item.Seq != 1 {
		t.Fatalf("first outcome %+v, want item 1", o)
	}
	// Items 2 and 3 came within the last 10ms: the worker gathers again.
	r.clock.BlockUntilTimerAt(r.clock.Now().Add(10 * time.Millisecond))
	r.clock.Advance(10 * time.Millisecond)
	r.next(t)
	r.next(t)
	wantSettles(t, r.store, []string{"1:0"}, []string{"2:0", "3:0"})
	r.store.mu.Lock()
	defer r.store.mu.Unlock()
	if r.store.claimedWithSettle != 1 {
		t.Errorf("%d runs claimed with a settlement, want 1 (items 2 and 3 together)", r.store.claimedWithSettle)
	}
}

// Items sparser than Gather never wait: each is recorded as soon as it is
// worked, without a timer.
func TestGatherNotForSparseItems(t *testing.T) {
	r := run(t, noop, withGather, nil)
	for seq := range int64(3) {
		r.clock.Advance(11 * time.Millisecond)
		r.arrive(seq+1, "k")
		if o := r.next(t); o.Item.Seq != seq+1 {
			t.Fatalf("outcome %+v, want item %d", o, seq+1)
		}
	}
	wantSettles(t, r.store, []string{"1:0"}, []string{"2:0"}, []string{"3:0"})
}

// A gather that took nothing more (what came was other keys', worked by
// other workers) turns gathering off for a while: waiting would only slow
// the worker.
func TestGatherOffAfterItTookNothing(t *testing.T) {
	r := run(t, noop, func(o *Options[item]) { withGather(o); o.Workers = 1 }, nil)
	r.w.Notify()
	r.clock.Advance(2 * time.Millisecond)
	r.arrive(1, "a")
	gatherEnd := r.clock.Now().Add(10 * time.Millisecond)
	r.clock.BlockUntilTimerAt(gatherEnd)
	r.arrive(2, "b") // one item: the next run is one item long
	r.clock.Advance(10 * time.Millisecond)
	r.next(t)
	// Item 2 came within the last 10ms, yet the worker does not wait.
	if o := r.next(t); o.Item.Seq != 2 {
		t.Fatalf("outcome %+v, want item 2", o)
	}
	if !r.clock.Now().Equal(gatherEnd) {
		t.Fatalf("clock moved to %v", r.clock.Now())
	}
	// A while later, a steady stream is gathered again.
	r.clock.Advance(gatherRetry)
	r.arrive(3, "c")
	r.next(t) // a second after the last arrival: not gathered
	r.clock.Advance(2 * time.Millisecond)
	r.arrive(4, "c")
	r.clock.BlockUntilTimerAt(r.clock.Now().Add(10 * time.Millisecond))
}
