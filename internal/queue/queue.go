// Package queue is the one leased-queue worker behind the inbox (webhook
// deliveries) and the outbox (side effects): it claims due items with a
// lease, runs each once, retries failures that may pass with exponential
// backoff and jitter (never before the failure allows), records the ones
// that will not, or that failed too often, or that panicked, as dead, hands
// unfinished work back at start and at shutdown, and sleeps until the next
// item can be due. Ordering between items (the inbox's per repository) is
// the store's Claim's business: it hands out runs, each worked in order by
// one worker, which stops a run at its first item not done and records the
// run's outcomes together, in one write. A caller that claims an item
// itself as it stores it (the inbox, for a delivery that arrives with
// nothing of its repository ahead of it) hands it to a worker it set aside
// beforehand (Reserve, Start), which saves the claiming loop a wake-up and
// a claim.
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// Store is the leased queue as the worker sees it. Each store adapts its own
// method names to it; Settle takes the items (the adapter picks their Seq)
// and Attempts reads one, so that items stay plain store types.
type Store[T any] interface {
	// Claim takes up to runs runs of up to runLen items due at now, leased
	// until now+lease; each claim counts as an attempt. A run's items are
	// worked in order, one after the other, by one worker; a store whose
	// items need no order returns runs of one.
	Claim(ctx context.Context, now time.Time, runs, runLen int, lease time.Duration) ([][]T, error)
	// Settle records what became of claimed items, a run's together, all
	// or none.
	Settle(ctx context.Context, settlements []Settlement[T]) error
	// ReleaseAll hands every claimed item back, due now.
	ReleaseAll(ctx context.Context, now time.Time) (int, error)
	// NextDue is the earliest time Claim could return an item (a pending
	// item's due time, a claimed one's lease end); ok is false when none.
	NextDue(ctx context.Context) (due time.Time, ok bool, err error)
	// Attempts is how many times item was claimed, this claim included.
	Attempts(item T) int
}

// SettleClaimer is a Store that can record a run's settlements and claim
// the next run in one write: a worker done with a run then takes its next
// one for one commit instead of two. Optional; the outbox's effects, each a
// run of its own and performed beside the others, have no use for it.
type SettleClaimer[T any] interface {
	// SettleAndClaim is Settle followed by Claim(now, 1, runLen, lease),
	// all or none; it returns the run claimed, or none.
	SettleAndClaim(ctx context.Context, settlements []Settlement[T], now time.Time, runLen int, lease time.Duration) ([]T, error)
}

// Settlement is what the worker records of one claimed item.
type Settlement[T any] struct {
	Item  T
	State State
	// At is when a Done or Dead item finished, or when a Retried or
	// HandedBack one is due again; an Unworked one keeps its due time.
	At time.Time
	// Err is the last error of a Retried, HandedBack or Dead item.
	Err string
	// Result is what working a Done item produced.
	Result []byte
}

// StoreSettlements turns settlements into the store's, seq naming each
// item's row.
func StoreSettlements[T any](sts []Settlement[T], seq func(T) int64) []store.Settlement {
	out := make([]store.Settlement, len(sts))
	for i, st := range sts {
		out[i] = store.Settlement{Seq: seq(st.Item), At: st.At, Error: st.Err, Result: st.Result}
		switch st.State {
		case Done:
			out[i].Settles = store.SettleDone
		case Retried, HandedBack:
			out[i].Settles = store.SettleRetry
		case Dead:
			out[i].Settles = store.SettleDead
		case Unworked:
			out[i].Settles = store.SettleUnworked
		}
	}
	return out
}

// Work does one item once. A nil error completes it with result.
type Work[T any] func(ctx context.Context, item T) (result []byte, err error)

// State is what became of one attempt.
type State int

const (
	// Done: the item was worked (or deliberately ignored).
	Done State = iota
	// Retried: the attempt failed transiently; the item is due again at Outcome.NextAttempt.
	Retried
	// Dead: the failure will not pass, the attempts ran out, or the work panicked.
	Dead
	// HandedBack: shutdown interrupted the attempt; the item is due again at once.
	HandedBack
	// Unworked: claimed in a run but never attempted, because an earlier
	// item of the run did not end Done, or the worker is stopping, or the
	// run's lease could run out. It goes back as it was before the claim,
	// which does not count as an attempt. It has no Outcome.
	Unworked
)

// Outcome is one attempt's outcome, told after it is recorded.
type Outcome[T any] struct {
	Item        T
	State       State
	Err         error
	NextAttempt time.Time
	// At is when the attempt ended; the outcome is recorded with the rest
	// of its run's, and told after that.
	At time.Time
}

// Names are the words the worker's log lines use for its items.
type Names struct {
	One  string // "delivery"
	Many string // "deliveries"
}

// Options configures a Worker. Zero durations take the documented defaults.
type Options[T any] struct {
	Store  Store[T]
	Work   Work[T]
	Clock  clock.Clock
	Logger *slog.Logger
	Names  Names
	// Attrs are the log keys every line about item carries.
	Attrs func(item T) []any

	// Workers is how many runs are worked at once (default 4).
	Workers int
	// RunLength is how many items a worker claims at most in one run
	// (default 1). Above 1 it needs a Timeout: an item of a run is started
	// only when its Timeout ends before the run's lease does. Runs are
	// claimed shorter after failures (see adapt).
	RunLength int
	// Lease is how long a claim stays valid (default 5m).
	Lease time.Duration
	// Timeout bounds one attempt; it must be below Lease, or a slow attempt
	// could be claimed a second time. Zero leaves attempts unbounded.
	Timeout time.Duration
	// IsTransient says which errors may pass; nil treats every error as
	// permanent. A deadline exceeded is always transient.
	IsTransient func(error) bool
	// RetryAt is the earliest time a failure may be retried (a rate-limit
	// reset, a Retry-After); the backoff never retries sooner.
	RetryAt func(err error, now time.Time) (time.Time, bool)
	// BaseBackoff is the first retry delay (default 2s); it doubles per
	// attempt up to MaxBackoff (default 10m).
	BaseBackoff, MaxBackoff time.Duration
	// MaxAttempts bounds the attempts of a failing item (default 12); it is
	// then dead.
	MaxAttempts int
	// Jitter returns a number in [0,1) (default math/rand/v2).
	Jitter func() float64
	// Poll bounds how long the worker sleeps without being notified (default
	// 1m): the safety net for items another process added, not how work is found.
	Poll time.Duration
	// ShutdownGrace is how long attempts in flight may run once Run's
	// context ends before they are cancelled and handed back; zero cancels
	// them at once.
	ShutdownGrace time.Duration
	// ReleaseOnStart hands back items a crashed process left claimed.
	ReleaseOnStart bool
	// Housekeeping, when set, runs at start and every HousekeepingEvery
	// (default 1h) between claims.
	Housekeeping      func(ctx context.Context, now time.Time)
	HousekeepingEvery time.Duration
	// OnAttempt is told how long each attempt took (metrics).
	OnAttempt func(item T, took time.Duration)
	// OnOutcome is told each attempt's outcome after it is recorded: for
	// metrics, tests and diagnostics, never for control flow.
	OnOutcome func(Outcome[T])

	// Gather batches a steady stream of items (zero: never). While Notify
	// comes at least every Gather, a worker that took every item of its
	// run's key waits Gather before it records its outcomes and claims
	// again, so that its next claim takes what arrived meanwhile: at a
	// steady 500 items a second each claim and each record then serve about
	// Gather × 500 items instead of one, and each is a wake-up of a
	// goroutine, a write and a commit. Items start up to Gather later; when
	// they come sparser than Gather, or a backlog fills whole runs, nothing
	// waits.
	Gather time.Duration
	// GatherClock times Gather and the Notify calls it watches (default
	// Clock). Gather paces the machine's work, not anything the items are
	// about; a caller whose Clock is a test's or a demo's may keep this one
	// on the wall clock, as the store's write linger is.
	GatherClock clock.Clock
}

func (o *Options[T]) setDefaults() error {
	if o.Store == nil || o.Work == nil {
		return errors.New("queue: Store and Work are required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.GatherClock == nil {
		o.GatherClock = o.Clock
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Names == (Names{}) {
		o.Names = Names{One: "item", Many: "items"}
	}
	if o.Attrs == nil {
		o.Attrs = func(T) []any { return nil }
	}
	for _, d := range []struct {
		d *time.Duration
		v time.Duration
	}{
		{&o.Lease, 5 * time.Minute}, {&o.BaseBackoff, 2 * time.Second}, {&o.MaxBackoff, 10 * time.Minute},
		{&o.Poll, time.Minute}, {&o.HousekeepingEvery, time.Hour},
	} {
		if *d.d <= 0 {
			*d.d = d.v
		}
	}
	if o.Timeout >= o.Lease {
		return fmt.Errorf("queue: attempt timeout %s must be shorter than the lease %s", o.Timeout, o.Lease)
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.RunLength <= 0 {
		o.RunLength = 1
	}
	if o.RunLength > 1 && o.Timeout <= 0 {
		return fmt.Errorf("queue: runs of %d need an attempt timeout, to stop a run before its lease ends", o.RunLength)
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 12
	}
	if o.IsTransient == nil {
		o.IsTransient = func(error) bool { return false }
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	return nil
}

// Worker works a queue.
type Worker[T any] struct {
	o      Options[T]
	notify chan struct{}
	// wake tells Run that a worker ended in a way it must see: it was
	// waiting for a free worker, or the worker left items due at a new
	// time, or stopped before its claim could find nothing more.
	wake chan struct{}
	// working counts the goroutines working runs, for shutdown.
	working sync.WaitGroup

	mu sync.Mutex
	// inflight is how many workers are busy or set aside (Reserve).
	inflight int
	// running is true while Run claims: only then may a worker be set
	// aside for an item its caller claims (Reserve).
	running bool
	// waiting is true while Run waits for a worker to free up.
	waiting bool
	// stopping and workCtx are Run's, for the workers Start begins.
	stopping <-chan struct{}
	workCtx  context.Context
	// runLength is how long a run is claimed now (see adapt).
	runLength atomic.Int64
	// lastNotify is when Notify was last called, and notifyGap the time
	// since the call before, in GatherClock's Unix nanoseconds (Gather).
	lastNotify, notifyGap atomic.Int64
	// noGatherUntil is when gathering may be tried again after a gather
	// that took nothing more (GatherClock's Unix nanoseconds).
	noGatherUntil atomic.Int64
}

// New validates o and returns a Worker ready to Run.
func New[T any](o Options[T]) (*Worker[T], error) {
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	w := &Worker[T]{o: o, notify: make(chan struct{}, 1), wake: make(chan struct{}, 1)}
	w.runLength.Store(int64(o.RunLength))
	return w, nil
}

// Notify tells the worker that items were added. It never blocks, and a
// Notify that arrives while the worker is busy is kept for its next sleep.
func (w *Worker[T]) Notify() { w.Arrived(true) }

// Arrived tells the worker that an item was added, and wakes it when the
// item is claimable now. An item that waits behind an earlier one of its
// key (which a worker holds, or which is due later) needs no wake-up: the
// worker that records the earlier one claims it, or Run's look for the
// next due time finds it. The arrival still counts for Gather.
func (w *Worker[T]) Arrived(claimable bool) {
	if w.o.Gather > 0 {
		now := w.o.GatherClock.Now().UnixNano()
		w.notifyGap.Store(now - w.lastNotify.Swap(now))
	}
	if !claimable {
		return
	}
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// Reserve sets a free worker aside for an item its caller claims itself,
// as it stores it (store.Inbox.EnqueueClaim): the item is then worked at
// once, with no claim of the worker's own. It reports false while Run is
// not claiming or every worker is busy. A reservation is used by Start or
// given back by Unreserve.
func (w *Worker[T]) Reserve() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.running || w.inflight >= w.o.Workers {
		return false
	}
	w.inflight++
	w.working.Add(1)
	return true
}

// Unreserve gives back a reservation Start will not use.
func (w *Worker[T]) Unreserve() { w.finished(false) }

// Start works item, claimed by the caller (one attempt counted) and leased
// until leaseEnd, on the worker Reserve set aside; that worker then goes
// on as any other, recording the outcome and claiming what follows.
func (w *Worker[T]) Start(item T, leaseEnd time.Time) {
	w.mu.Lock()
	stopping, workCtx := w.stopping, w.workCtx
	w.mu.Unlock()
	runLength := int(w.runLength.Load())
	go func() { w.finished(w.work(stopping, workCtx, []T{item}, runLength, leaseEnd)) }()
}

// reserve sets up to n free workers aside for Run's claim and returns how
// many.
func (w *Worker[T]) reserve(n int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n = min(n, w.o.Workers-w.inflight)
	if n <= 0 {
		return 0
	}
	w.inflight += n
	w.working.Add(n)
	return n
}

// finished frees a worker, waking Run when it must see it.
func (w *Worker[T]) finished(wakeRun bool) {
	w.mu.Lock()
	w.inflight--
	wakeRun = wakeRun || w.waiting
	w.mu.Unlock()
	w.working.Done()
	if wakeRun {
		w.poke()
	}
}

// poke wakes Run; it never blocks.
func (w *Worker[T]) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// NextAttempt is exponential backoff with equal jitter (half the backoff
// fixed, half random, so retries of items that failed together spread out
// but never come sooner than half), never earlier than RetryAt allows.
func (w *Worker[T]) NextAttempt(now time.Time, attempts int, err error) time.Time {
	o := w.o
	backoff := o.BaseBackoff
	for i := 1; i < attempts && backoff < o.MaxBackoff; i++ {
		backoff *= 2
	}
	backoff = min(backoff, o.MaxBackoff)
	j := min(max(o.Jitter(), 0), 1)
	next := now.Add(backoff/2 + time.Duration(j*float64(backoff/2)))
	if o.RetryAt != nil {
		if at, ok := o.RetryAt(err, now); ok && at.After(next) {
			next = at
		}
	}
	return next
}
