package inbox

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// transient marks an error as one that may pass.
type transient struct{ error }

func (t transient) Unwrap() error { return t.error }

func isTransient(err error) bool { var t transient; return errors.As(err, &t) }

// retryAtError demands a retry no earlier than at.
type retryAtError struct{ at time.Time }

func (e retryAtError) Error() string      { return "rate limited until " + e.at.String() }
func (e retryAtError) RetryAt() time.Time { return e.at }

func retryAt(err error) (time.Time, bool) {
	var r retryAtError
	if errors.As(err, &r) {
		return r.at, true
	}
	return time.Time{}, false
}

type harness struct {
	t        *testing.T
	path     string
	store    testStore
	clock    *clock.Fake
	outcomes chan Outcome
	registry *prometheus.Registry
	cancel   context.CancelFunc
	done     chan struct{}
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "wavegate.db"), clock: clock.NewFake(t0)}
	h.open()
	t.Cleanup(func() {
		h.stop()
		_ = h.store.Close()
	})
	return h
}

func (h *harness) open() {
	h.t.Helper()
	h.store = openStore(h.t, h.path)
}

// testStore is the inbox of a real store, closable so a test can reopen it.
type testStore interface {
	store.Inbox
	Close() error
}

// openStore opens the real store at path: the one place these tests name
// its implementation.
func openStore(t *testing.T, path string) testStore {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return st
}

// start runs a processor over the harness store with handler.
func (h *harness) start(handler HandlerFunc, tweak func(*Options)) *Processor {
	h.t.Helper()
	h.outcomes = make(chan Outcome, 10000)
	h.registry = prometheus.NewRegistry()
	opts := Options{
		Store: h.store, Handler: handler, Clock: h.clock, Registerer: h.registry,
		IsTransient: isTransient, RetryAt: retryAt, ReleaseOnStart: true,
		Jitter:    func() float64 { return 0 },
		Poll:      24 * time.Hour, // timers in these tests come from due times, not the safety poll
		OnOutcome: func(o Outcome) { h.outcomes <- o },
	}
	if tweak != nil {
		tweak(&opts)
	}
	p, err := New(opts)
	if err != nil {
		h.t.Fatalf("new processor: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() {
		defer close(h.done)
		_ = p.Run(ctx)
	}()
	return p
}

func (h *harness) stop() {
	if h.cancel != nil {
		h.cancel()
		<-h.done
		h.cancel = nil
	}
}

func (h *harness) enqueue(id, repo string) {
	h.t.Helper()
	if _, err := h.store.Enqueue(context.Background(), store.Delivery{
		ID: id, Event: "push", Repository: repo, Payload: []byte(`{}`), ReceivedAt: h.clock.Now(),
	}); err != nil {
		h.t.Fatalf("enqueue %s: %v", id, err)
	}
}

func (h *harness) next() Outcome {
	h.t.Helper()
	select {
	case o := <-h.outcomes:
		return o
	case <-time.After(10 * time.Second): // a deadlock guard, not a wait for time to pass
		h.t.Fatal("no outcome within 10s")
		return Outcome{}
	}
}

func (h *harness) delivery(id string) store.Delivery {
	h.t.Helper()
	d, err := h.store.Delivery(context.Background(), id)
	if err != nil {
		h.t.Fatalf("load %s: %v", id, err)
	}
	return d
}

func TestPerRepositoryOrderUnderConcurrency(t *testing.T) {
	perRepositoryOrder(t, func(h *harness, p *Processor, id, repo string) {
		h.enqueue(id, repo)
		p.Notify()
	})
}

// The same through the processor's Enqueue: deliveries that arrive as
// their repository's head are claimed on arrival by a free worker, the
// others are taken after them.
func TestPerRepositoryOrderUnderConcurrencyClaimedOnArrival(t *testing.T) {
	perRepositoryOrder(t, func(h *harness, p *Processor, id, repo string) {
		if _, err := p.Enqueue(context.Background(), store.Delivery{
			ID: id, Event: "push", Repository: repo, Payload: []byte(`{}`), ReceivedAt: h.clock.Now(),
		}); err != nil {
			h.t.Errorf("enqueue %s: %v", id, err)
		}
	})
}

// perRepositoryOrder stores deliveries of many repositories from several
// goroutines through arrive, and checks that each is processed once, in
// its repository's arrival order.
func perRepositoryOrder(t *testing.T, arrive func(h *harness, p *Processor, id, repo string)) {
	h := newHarness(t)
	const repos, perRepo = 20, 25
	var mu sync.Mutex
	seen := map[string][]int64{}
	calls := map[string]int{}
	p := h.start(func(_ context.Context, d store.Delivery) error {
		mu.Lock()
		seen[d.Repository] = append(seen[d.Repository], d.Seq)
		calls[d.ID]++
		mu.Unlock()
		return nil
	}, func(o *Options) { o.Workers = 6 })
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < perRepo; i += 4 {
				for r := 0; r < repos; r++ {
					arrive(h, p, fmt.Sprintf("d-%d-%d", r, i), fmt.Sprintf("acme/r%d", r))
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < repos*perRepo; i++ {
		if o := h.next(); o.State != store.DeliveryDone {
			t.Fatalf("delivery %s ended %s: %v", o.Delivery.ID, o.State, o.Err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for repo, seqs := range seen {
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Fatalf("%s processed out of arrival order: %v", repo, seqs)
			}
		}
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("%s processed %d times", id, n)
		}
	}
	if len(calls) != repos*perRepo {
		t.Fatalf("processed %d deliveries, want %d", len(calls), repos*perRepo)
	}
	if got := testutil.ToFloat64(p.metrics.processedTotal.WithLabelValues("push")); got != repos*perRepo {
		t.Fatalf("processed metric = %v, want %d", got, repos*perRepo)
	}
}

func TestRepositoriesProceedInParallel(t *testing.T) {
	h := newHarness(t)
	h.enqueue("a1", "acme/a")
	h.enqueue("a2", "acme/a")
	h.enqueue("b1", "acme/b")
	bStarted := make(chan struct{})
	h.start(func(_ context.Context, d store.Delivery) error {
		switch d.ID {
		case "a1":
			<-bStarted // would deadlock if repositories were serialized
		case "b1":
			close(bStarted)
		case "a2":
			select {
			case <-bStarted:
			default:
				return errors.New("a2 ran before a1 finished")
			}
		}
		return nil
	}, nil)
	for range 3 {
		if o := h.next(); o.State != store.DeliveryDone {
			t.Fatalf("%s: %s %v", o.Delivery.ID, o.State, o.Err)
		}
	}
}

func TestTransientFailureRetriedWithBackoff(t *testing.T) {
	h := newHarness(t)
	h.enqueue("d1", "acme/api")
	attempts := 0
	h.start(func(context.Context, store.Delivery) error {
		attempts++
		if attempts < 3 {
			return transient{errors.New("502 Bad Gateway")}
		}
		return nil
	}, nil)
	// Jitter 0 gives half the exponential backoff: 1s, then 2s.
	for _, wantDelay := range []time.Duration{time.Second, 2 * time.Second} {
		o := h.next()
		if o.State != store.DeliveryPending || !o.NextAttempt.Equal(h.clock.Now().Add(wantDelay)) {
			t.Fatalf("outcome %s next %v, want pending at now+%v", o.State, o.NextAttempt, wantDelay)
		}
		if d := h.delivery("d1"); !strings.Contains(d.LastError, "502") {
			t.Fatalf("last error %q does not record the failure", d.LastError)
		}
		h.clock.BlockUntilTimerAt(o.NextAttempt)
		h.clock.Set(o.NextAttempt)
	}
	if o := h.next(); o.State != store.DeliveryDone {
		t.Fatalf("third attempt ended %s: %v", o.State, o.Err)
	}
	if d := h.delivery("d1"); d.State != store.DeliveryDone || d.Attempts != 3 {
		t.Fatalf("stored %s after %d attempts, want done after 3", d.State, d.Attempts)
	}
}

func TestRetryAtHonoured(t *testing.T) {
	h := newHarness(t)
	h.enqueue("d1", "acme/api")
	h.enqueue("d2", "acme/api")
	var order []string
	h.start(func(_ context.Context, d store.Delivery) error {
		order = append(order, d.ID)
		if len(order) == 1 {
			return transient{retryAtError{at: t0.Add(90 * time.Second)}}
		}
		return nil
	}, nil)
	o := h.next()
	if want := t0.Add(90 * time.Second); !o.NextAttempt.Equal(want) {
		t.Fatalf("retry scheduled at %v, want %v (the Retry-After)", o.NextAttempt, want)
	}
	h.clock.BlockUntilTimerAt(o.NextAttempt)
	// One second early nothing may be claimed: not d1, nor d2 behind it.
	if got, err := h.store.Claim(context.Background(), t0.Add(89*time.Second), 10, time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("claim at +89s = %v, %v; want nothing", got, err)
	}
	h.clock.Set(o.NextAttempt)
	for range 2 {
		if o := h.next(); o.State != store.DeliveryDone {
			t.Fatalf("%s ended %s", o.Delivery.ID, o.State)
		}
	}
	if got := strings.Join(order, ","); got != "d1,d1,d2" {
		t.Fatalf("order %s, want d1 retried before d2", got)
	}
}

func TestPermanentFailuresAreDeadAndDoNotBlock(t *testing.T) {
	tests := []struct {
		name    string
		fail    func() error
		wantErr string
	}{
		{"permanent error", func() error { return errors.New("404 Not Found") }, "404 Not Found"},
		{"panic", func() error { panic("bad payload") }, "handler panicked: bad payload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.enqueue("bad", "acme/api")
			h.enqueue("good", "acme/api")
			p := h.start(func(_ context.Context, d store.Delivery) error {
				if d.ID == "bad" {
					return tc.fail()
				}
				return nil
			}, nil)
			if o := h.next(); o.Delivery.ID != "bad" || o.State != store.DeliveryDead {
				t.Fatalf("first outcome %s %s, want bad dead", o.Delivery.ID, o.State)
			}
			if o := h.next(); o.Delivery.ID != "good" || o.State != store.DeliveryDone {
				t.Fatalf("second outcome %s %s, want good done", o.Delivery.ID, o.State)
			}
			if d := h.delivery("bad"); d.State != store.DeliveryDead || !strings.Contains(d.LastError, tc.wantErr) {
				t.Fatalf("stored %s %q, want dead with %q", d.State, d.LastError, tc.wantErr)
			}
			if got := testutil.ToFloat64(p.metrics.deadTotal.WithLabelValues("push")); got != 1 {
				t.Fatalf("dead metric = %v, want 1", got)
			}
		})
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	h := newHarness(t)
	h.enqueue("d1", "acme/api")
	h.start(func(context.Context, store.Delivery) error {
		return transient{errors.New("503 Service Unavailable")}
	}, func(o *Options) { o.MaxAttempts = 2 })
	o := h.next()
	h.clock.BlockUntilTimerAt(o.NextAttempt)
	h.clock.Set(o.NextAttempt)
	if o := h.next(); o.State != store.DeliveryDead {
		t.Fatalf("second attempt ended %s, want dead", o.State)
	}
	if d := h.delivery("d1"); !strings.HasPrefix(d.LastError, "gave up after 2 attempts") {
		t.Fatalf("last error %q", d.LastError)
	}
}

func TestShutdownHandsBackAndRestartResumes(t *testing.T) {
	h := newHarness(t)
	h.enqueue("d1", "acme/api")
	entered := make(chan struct{})
	h.start(func(ctx context.Context, _ store.Delivery) error {
		close(entered)
		<-ctx.Done() // a slow handler that only stops when cancelled
		return ctx.Err()
	}, func(o *Options) { o.ShutdownGrace = 5 * time.Second })
	<-entered
	h.cancel() // SIGTERM
	h.clock.BlockUntilTimerAt(t0.Add(5 * time.Second))
	h.clock.Advance(5 * time.Second) // the grace period runs out
	<-h.done
	h.cancel = nil
	if o := h.next(); o.State != store.DeliveryPending {
		t.Fatalf("interrupted delivery ended %s, want handed back", o.State)
	}
	if err := h.store.Close(); err != nil {
		t.Fatal(err)
	}

	h.open()
	var processed []string
	h.start(func(_ context.Context, d store.Delivery) error {
		processed = append(processed, d.ID)
		return nil
	}, nil)
	if o := h.next(); o.State != store.DeliveryDone || o.Delivery.ID != "d1" {
		t.Fatalf("after restart: %s %s", o.Delivery.ID, o.State)
	}
	h.stop()
	if len(processed) != 1 {
		t.Fatalf("processed %v after restart, want d1 once", processed)
	}
}

func TestCrashedClaimResumedAtStart(t *testing.T) {
	h := newHarness(t)
	h.enqueue("d1", "acme/api")
	// A process claims the delivery and dies before finishing it.
	if got, err := h.store.Claim(context.Background(), t0, 1, time.Hour); err != nil || len(got) != 1 {
		t.Fatalf("claim: %v %v", got, err)
	}
	if err := h.store.Close(); err != nil {
		t.Fatal(err)
	}
	h.open()
	h.start(func(context.Context, store.Delivery) error { return nil }, nil)
	if o := h.next(); o.State != store.DeliveryDone {
		t.Fatalf("resumed delivery ended %s", o.State)
	}
}

func TestPrunesFinishedDeliveriesAfterRetention(t *testing.T) {
	h := newHarness(t)
	retention := func(o *Options) { o.Retention, o.PruneEvery = 24*time.Hour, time.Hour }
	h.enqueue("old", "acme/api")
	h.start(func(context.Context, store.Delivery) error { return nil }, retention)
	h.next()
	h.stop()
	// Restarted a day and an hour later, the processor prunes before it claims,
	// and keeps what is still unfinished.
	h.clock.Advance(25 * time.Hour)
	h.enqueue("fresh", "acme/api")
	h.start(func(context.Context, store.Delivery) error { return nil }, retention)
	if o := h.next(); o.Delivery.ID != "fresh" || o.State != store.DeliveryDone {
		t.Fatalf("after restart: %s %s", o.Delivery.ID, o.State)
	}
	if _, err := h.store.Delivery(context.Background(), "old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old delivery still stored: %v", err)
	}
	if _, err := h.store.Delivery(context.Background(), "fresh"); err != nil {
		t.Fatalf("fresh delivery pruned: %v", err)
	}
}

// settleSpy records each Settle call, and what the deliveries it names
// look like right after it, before anything claims them again: claims wait
// while a Settle and its look are under way, or the claiming loop could
// take an unworked delivery between the two.
type settleSpy struct {
	testStore
	mu    sync.Mutex
	calls [][]store.Settlement
	after [][]store.Delivery
}

func (s *settleSpy) ClaimRuns(ctx context.Context, now time.Time, runs, runLen int, lease time.Duration) ([][]store.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.testStore.ClaimRuns(ctx, now, runs, runLen, lease)
}

func (s *settleSpy) Settle(ctx context.Context, sts []store.Settlement) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.testStore.Settle(ctx, sts)
	var after []store.Delivery
	for _, st := range sts {
		ds, _ := s.testStore.ListDeliveries(ctx, store.DeliveryFilter{})
		for _, d := range ds {
			if d.Seq == st.Seq {
				after = append(after, d)
			}
		}
	}
	s.calls, s.after = append(s.calls, sts), append(s.after, after)
	return err
}

// SettleAndClaim settles through Settle, to see the deliveries between the
// two, then claims: the real store does both in one transaction.
func (s *settleSpy) SettleAndClaim(ctx context.Context, sts []store.Settlement, now time.Time, runLen int, lease time.Duration) ([]store.Delivery, error) {
	if err := s.Settle(ctx, sts); err != nil {
		return nil, err
	}
	runs, err := s.ClaimRuns(ctx, now, 1, runLen, lease)
	if err != nil || len(runs) == 0 {
		return nil, err
	}
	return runs[0], nil
}

func (s *settleSpy) first(t *testing.T) ([]store.Settlement, []store.Delivery) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		t.Fatal("no Settle call")
	}
	return s.calls[0], s.after[0]
}

// A repository's waiting deliveries are claimed as one run and their
// outcomes recorded in one write.
func TestRunOfARepositorySettledInOneWrite(t *testing.T) {
	h := newHarness(t)
	for i := range 5 {
		h.enqueue(fmt.Sprint("a", i), "acme/a")
	}
	spy := &settleSpy{testStore: h.store}
	h.start(func(context.Context, store.Delivery) error { return nil }, func(o *Options) { o.Store = spy })
	for i := range 5 {
		if o := h.next(); o.State != store.DeliveryDone || o.Delivery.ID != fmt.Sprint("a", i) {
			t.Fatalf("outcome %d: %s %s %v", i, o.Delivery.ID, o.State, o.Err)
		}
	}
	spy.mu.Lock()
	defer spy.mu.Unlock()
	if len(spy.calls) != 1 || len(spy.calls[0]) != 5 {
		t.Fatalf("Settle calls %v, want one of 5", spy.calls)
	}
	for _, d := range spy.after[0] {
		if d.State != store.DeliveryDone || d.Attempts != 1 {
			t.Errorf("%s after the run = %s on attempt %d, want done on 1", d.ID, d.State, d.Attempts)
		}
	}
}

// A panic in the middle of a run kills that delivery alone: those before
// it are done, those after it go back pending with no attempt counted, and
// are then processed on their first attempt.
func TestPanicInTheMiddleOfARun(t *testing.T) {
	h := newHarness(t)
	for i := range 4 {
		h.enqueue(fmt.Sprint("a", i), "acme/a")
	}
	spy := &settleSpy{testStore: h.store}
	h.start(func(_ context.Context, d store.Delivery) error {
		if d.ID == "a1" {
			panic("nil map")
		}
		return nil
	}, func(o *Options) { o.Store = spy })
	want := map[string]store.DeliveryState{"a0": store.DeliveryDone, "a1": store.DeliveryDead, "a2": store.DeliveryDone, "a3": store.DeliveryDone}
	for range 4 {
		o := h.next()
		if o.State != want[o.Delivery.ID] {
			t.Errorf("%s ended %s, want %s", o.Delivery.ID, o.State, want[o.Delivery.ID])
		}
	}
	_, after := spy.first(t)
	wantAfter := []struct {
		state    store.DeliveryState
		attempts int
	}{{store.DeliveryDone, 1}, {store.DeliveryDead, 1}, {store.DeliveryPending, 0}, {store.DeliveryPending, 0}}
	if len(after) != len(wantAfter) {
		t.Fatalf("first Settle named %d deliveries, want 4", len(after))
	}
	for i, w := range wantAfter {
		if after[i].State != w.state || after[i].Attempts != w.attempts {
			t.Errorf("%s after the run = %s on attempt %d, want %s on %d", after[i].ID, after[i].State, after[i].Attempts, w.state, w.attempts)
		}
	}
	if d := h.delivery("a1"); !strings.Contains(d.LastError, "handler panicked: nil map") {
		t.Errorf("a1 last error %q, want the panic", d.LastError)
	}
	for _, id := range []string{"a2", "a3"} {
		if d := h.delivery(id); d.State != store.DeliveryDone || d.Attempts != 1 {
			t.Errorf("%s = %s on attempt %d, want done on 1", id, d.State, d.Attempts)
		}
	}
}
