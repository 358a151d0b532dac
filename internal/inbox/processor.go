// Package inbox processes stored webhook deliveries on the queue worker
// (internal/queue): in arrival order per repository (the store's Claim sees
// to it) and in parallel across repositories, each handed to a Handler. What
// is the inbox's own stays here: routing to the handler, its defaults, its
// metrics and depth gauge, and pruning old deliveries.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/queue"
	"github.com/wavegate/wavegate/store"
)

// Handler processes one delivery. A nil error marks it done (including
// deliveries deliberately ignored); an error is retried when Options.IsTransient
// says it may pass, and recorded as dead otherwise.
type Handler interface {
	Handle(ctx context.Context, d store.Delivery) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, d store.Delivery) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, d store.Delivery) error { return f(ctx, d) }

// Options configures a Processor. Zero values take the documented defaults.
type Options struct {
	Store   store.Inbox
	Handler Handler
	Clock   clock.Clock
	Logger  *slog.Logger
	// Registerer receives the processor's metrics; nil registers nothing.
	Registerer prometheus.Registerer

	// Workers is how many deliveries are processed at once (default 8).
	Workers int
	// RunLength is how many consecutive deliveries of one repository a
	// worker claims and processes in one go, recording their outcomes in
	// one commit (default 64).
	RunLength int
	// HandlerTimeout bounds one attempt (default 2m). It must stay below
	// Lease, or a slow attempt could be claimed a second time.
	HandlerTimeout time.Duration
	// Lease is how long a claim stays valid (default 5m).
	Lease time.Duration
	// IsTransient classifies errors; nil treats every error as permanent.
	IsTransient func(error) bool
	// RetryAt extracts the earliest time a retry may happen (a rate-limit
	// reset, a Retry-After); nil means no such constraint.
	RetryAt func(error) (time.Time, bool)
	// BaseBackoff is the first retry delay (default 2s); it doubles per attempt
	// up to MaxBackoff (default 10m).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxAttempts bounds retries of transient failures (default 12); the
	// delivery is then dead.
	MaxAttempts int
	// Retention is how long finished deliveries are kept (default 7 days);
	// they are pruned every PruneEvery (default 1h).
	Retention  time.Duration
	PruneEvery time.Duration
	// ShutdownGrace is how long in-flight attempts may run after Run's
	// context ends before they are cancelled and handed back (default 10s).
	ShutdownGrace time.Duration
	// Poll bounds how long the processor waits without being notified
	// (default 1m); it is a safety net, not how work is found.
	Poll time.Duration
	// ReleaseOnStart hands back deliveries left processing by a crashed
	// process. Right for a single process (SQLite); replicas sharing a
	// database rely on lease expiry instead.
	ReleaseOnStart bool
	// Jitter returns a number in [0,1); default math/rand/v2.
	Jitter func() float64
	// OnOutcome, when set, is told each attempt's outcome after it is
	// recorded: for tests and diagnostics, never for control flow.
	OnOutcome func(Outcome)
	// Gather is how long a worker that took every delivery of its
	// repository waits, while deliveries arrive at least that often, before
	// it records their outcomes and claims the next, so that one claim and
	// one record serve several deliveries (queue.Options.Gather; default
	// 10ms, negative for never). At a steady 500 deliveries a second it
	// took a fifth off a delivery's CPU, for up to 10ms more before a
	// delivery is worked; a backlog, or deliveries sparser than that, never
	// wait.
	Gather time.Duration
	// GatherClock times Gather; the wall clock by default, whatever Clock
	// is: it paces the machine's work, and a test's frozen clock would hold
	// the workers forever.
	GatherClock clock.Clock
}

// DefaultGather is Options.Gather's default.
const DefaultGather = 10 * time.Millisecond

// Outcome is what became of one attempt.
type Outcome struct {
	Delivery store.Delivery
	// State is the delivery's state after the attempt: done, pending (to be
	// retried at NextAttempt) or dead.
	State       store.DeliveryState
	Err         error
	NextAttempt time.Time
}

// Processor runs the inbox workers.
type Processor struct {
	opts    Options
	worker  *queue.Worker[store.Delivery]
	metrics *metrics
}

// New validates opts and returns a Processor ready to Run.
func New(opts Options) (*Processor, error) {
	if opts.Store == nil || opts.Handler == nil {
		return nil, errors.New("inbox: Store and Handler are required")
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.RunLength <= 0 {
		opts.RunLength = 64
	}
	if opts.HandlerTimeout <= 0 {
		opts.HandlerTimeout = 2 * time.Minute
	}
	if opts.Retention <= 0 {
		opts.Retention = 7 * 24 * time.Hour
	}
	if opts.Lease <= 0 {
		opts.Lease = 5 * time.Minute
	}
	if opts.HandlerTimeout >= opts.Lease {
		return nil, fmt.Errorf("inbox: handler timeout %s must be shorter than the lease %s", opts.HandlerTimeout, opts.Lease)
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 10 * time.Second
	}
	if opts.Gather == 0 {
		opts.Gather = DefaultGather
	}
	if opts.GatherClock == nil {
		opts.GatherClock = clock.Real()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(opts.Registerer, opts.Store)
	if err != nil {
		return nil, err
	}
	p := &Processor{opts: opts, metrics: m}
	var retryAt func(error, time.Time) (time.Time, bool)
	if opts.RetryAt != nil {
		retryAt = func(err error, _ time.Time) (time.Time, bool) { return opts.RetryAt(err) }
	}
	p.worker, err = queue.New(queue.Options[store.Delivery]{
		Store: inboxStore{opts.Store},
		Work: func(ctx context.Context, d store.Delivery) ([]byte, error) {
			return nil, opts.Handler.Handle(ctx, d)
		},
		Clock: opts.Clock, Logger: opts.Logger,
		Names: queue.Names{One: "delivery", Many: "deliveries"}, Attrs: deliveryAttrs,
		Workers: opts.Workers, RunLength: opts.RunLength, Lease: opts.Lease, Timeout: opts.HandlerTimeout,
		IsTransient: opts.IsTransient, RetryAt: retryAt,
		BaseBackoff: opts.BaseBackoff, MaxBackoff: opts.MaxBackoff, MaxAttempts: opts.MaxAttempts,
		Jitter: opts.Jitter, Poll: opts.Poll, ShutdownGrace: opts.ShutdownGrace,
		ReleaseOnStart: opts.ReleaseOnStart,
		Housekeeping:   p.prune, HousekeepingEvery: opts.PruneEvery,
		OnAttempt: func(d store.Delivery, took time.Duration) { m.observeAttempt(d.Event, took) },
		OnOutcome: p.outcome,
		Gather:    max(opts.Gather, 0), GatherClock: opts.GatherClock,
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return p, nil
}

// Notify tells the processor that a delivery arrived. It never blocks.
func (p *Processor) Notify() { p.worker.Notify() }

// Enqueue stores d as store.Inbox.Enqueue does, and sees that it is
// worked. When d is its repository's first unfinished delivery and a worker
// is free, it is claimed in the same commit and that worker takes it at
// once: no wake-up of the claiming loop, no claim of its own, no payload
// read back. Otherwise the workers are woken when d is claimable now, and
// not when it waits behind an earlier delivery of its repository, which
// the worker that has that one takes next.
func (p *Processor) Enqueue(ctx context.Context, d store.Delivery) (store.Enqueued, error) {
	if !p.worker.Reserve() {
		res, err := p.opts.Store.Enqueue(ctx, d)
		if err == nil && !res.Duplicate {
			p.worker.Arrived(res.Head)
		}
		return res, err
	}
	leaseEnd := p.opts.Clock.Now().Add(p.opts.Lease)
	res, err := p.opts.Store.EnqueueClaim(ctx, d, leaseEnd)
	if err == nil && !res.Duplicate {
		p.worker.Arrived(res.Head && !res.Claimed)
	}
	if res.Claimed {
		p.worker.Start(res.Delivery, leaseEnd)
	} else {
		p.worker.Unreserve()
	}
	return res, err
}

// Run processes deliveries until ctx ends, then lets in-flight attempts
// finish within ShutdownGrace and hands back those that do not.
func (p *Processor) Run(ctx context.Context) error { return p.worker.Run(ctx) }

// outcome counts an attempt's outcome and tells OnOutcome.
func (p *Processor) outcome(o queue.Outcome[store.Delivery]) {
	d := o.Item
	out := Outcome{Delivery: d, Err: o.Err, NextAttempt: o.NextAttempt}
	switch o.State {
	case queue.Done:
		out.State = store.DeliveryDone
		p.metrics.processed(d.Event, o.At.Sub(d.ReceivedAt))
	case queue.Retried:
		out.State = store.DeliveryPending
		p.metrics.retried(d.Event)
	case queue.HandedBack:
		out.State = store.DeliveryPending
	default:
		out.State = store.DeliveryDead
		p.metrics.dead(d.Event)
	}
	if p.opts.OnOutcome != nil {
		p.opts.OnOutcome(out)
	}
}

func (p *Processor) prune(ctx context.Context, now time.Time) {
	n, err := p.opts.Store.Prune(ctx, now.Add(-p.opts.Retention))
	if err != nil {
		p.opts.Logger.Error("prune deliveries", "error", err)
		return
	}
	if n > 0 {
		p.opts.Logger.Info("pruned finished deliveries", "count", n, "retention", p.opts.Retention)
	}
}

// deliveryAttrs are the log keys every delivery log line carries.
func deliveryAttrs(d store.Delivery) []any {
	return []any{
		"delivery", d.ID, "event", d.Event, "action", d.Action,
		"installation", d.InstallationID, "repository", d.Repository,
	}
}

// inboxStore adapts store.Inbox to the queue worker.
type inboxStore struct{ store.Inbox }

func (s inboxStore) Claim(ctx context.Context, now time.Time, runs, runLen int, lease time.Duration) ([][]store.Delivery, error) {
	return s.Inbox.ClaimRuns(ctx, now, runs, runLen, lease)
}

func (s inboxStore) Settle(ctx context.Context, sts []queue.Settlement[store.Delivery]) error {
	return s.Inbox.Settle(ctx, queue.StoreSettlements(sts, deliverySeq))
}

func (s inboxStore) SettleAndClaim(ctx context.Context, sts []queue.Settlement[store.Delivery], now time.Time, runLen int, lease time.Duration) ([]store.Delivery, error) {
	return s.Inbox.SettleAndClaim(ctx, queue.StoreSettlements(sts, deliverySeq), now, runLen, lease)
}

func deliverySeq(d store.Delivery) int64 { return d.Seq }

func (s inboxStore) Attempts(d store.Delivery) int { return d.Attempts }
