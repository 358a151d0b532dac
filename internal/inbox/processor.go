// Package inbox owns the processing of stored webhook deliveries: claiming
// them in arrival order per repository and in parallel across repositories,
// handing each to a Handler, retrying failures that may pass with exponential
// backoff and jitter, recording the ones that will not as dead, handing
// unfinished work back at shutdown, and pruning old deliveries.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/internal/clock"
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
}

// Outcome is what became of one attempt.
type Outcome struct {
	Delivery store.Delivery
	// State is the delivery's state after the attempt: done, pending (to be
	// retried at NextAttempt) or dead.
	State       store.DeliveryState
	Err         error
	NextAttempt time.Time
}

func (o *Options) setDefaults() error {
	if o.Store == nil || o.Handler == nil {
		return errors.New("inbox: Store and Handler are required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	defaults := []struct {
		d *time.Duration
		v time.Duration
	}{
		{&o.HandlerTimeout, 2 * time.Minute}, {&o.Lease, 5 * time.Minute},
		{&o.BaseBackoff, 2 * time.Second}, {&o.MaxBackoff, 10 * time.Minute},
		{&o.Retention, 7 * 24 * time.Hour}, {&o.PruneEvery, time.Hour},
		{&o.ShutdownGrace, 10 * time.Second}, {&o.Poll, time.Minute},
	}
	for _, d := range defaults {
		if *d.d <= 0 {
			*d.d = d.v
		}
	}
	if o.HandlerTimeout >= o.Lease {
		return fmt.Errorf("inbox: handler timeout %s must be shorter than the lease %s", o.HandlerTimeout, o.Lease)
	}
	if o.Workers <= 0 {
		o.Workers = 8
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

// Processor runs the inbox workers.
type Processor struct {
	opts    Options
	notify  chan struct{}
	metrics *metrics
}

// New validates opts and returns a Processor ready to Run.
func New(opts Options) (*Processor, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	p := &Processor{opts: opts, notify: make(chan struct{}, 1)}
	m, err := newMetrics(opts.Registerer, opts.Store)
	if err != nil {
		return nil, err
	}
	p.metrics = m
	return p, nil
}

// Notify tells the processor that a delivery arrived. It never blocks.
func (p *Processor) Notify() {
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

type outcome struct {
	d   store.Delivery
	err error
}

// Run processes deliveries until ctx ends, then lets in-flight attempts
// finish within ShutdownGrace and hands back those that do not.
func (p *Processor) Run(ctx context.Context) error {
	o := p.opts
	if o.ReleaseOnStart {
		n, err := o.Store.ReleaseAll(ctx, o.Clock.Now())
		if err != nil {
			return fmt.Errorf("hand back unfinished deliveries at start: %w", err)
		}
		if n > 0 {
			o.Logger.Info("resuming deliveries left unfinished", "count", n)
		}
	}

	// Attempts run under their own context so that shutdown can give them a
	// grace period instead of cutting them off at once.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	done := make(chan outcome, o.Workers)
	var wg sync.WaitGroup
	inflight := 0
	nextPrune := o.Clock.Now()

	for ctx.Err() == nil {
		now := o.Clock.Now()
		if !now.Before(nextPrune) {
			p.prune(ctx, now)
			nextPrune = now.Add(o.PruneEvery)
		}
		if free := o.Workers - inflight; free > 0 {
			claimed, err := o.Store.Claim(ctx, now, free, o.Lease)
			if err != nil && ctx.Err() == nil {
				o.Logger.Error("claim deliveries", "error", err)
			}
			for _, d := range claimed {
				inflight++
				wg.Add(1)
				go func() {
					defer wg.Done()
					done <- outcome{d, p.attempt(workCtx, d)}
				}()
			}
			if len(claimed) == free {
				// More may be waiting: claim again once a worker frees up.
				if !p.waitOne(ctx, done, &inflight) {
					break
				}
				continue
			}
		}
		if !p.wait(ctx, done, &inflight, nextPrune) {
			break
		}
	}

	p.shutdown(done, &wg, &inflight, cancelWork)
	return nil
}

// waitOne waits for one attempt to finish (or shutdown).
func (p *Processor) waitOne(ctx context.Context, done chan outcome, inflight *int) bool {
	select {
	case <-ctx.Done():
		return false
	case oc := <-done:
		*inflight--
		p.finish(ctx, oc)
		return true
	}
}

// wait sleeps on the clock until something may be claimable: an attempt
// finished, a delivery arrived, a retry or lease came due, or pruning is due.
func (p *Processor) wait(ctx context.Context, done chan outcome, inflight *int, nextPrune time.Time) bool {
	o := p.opts
	now := o.Clock.Now()
	wake := now.Add(o.Poll)
	if nextPrune.Before(wake) {
		wake = nextPrune
	}
	if due, ok, err := o.Store.NextDue(ctx); err == nil && ok && due.Before(wake) {
		if !due.After(now) && *inflight < o.Workers {
			// Claimable now (it came due since the claim): no waiting.
			return true
		}
		if due.After(now) {
			wake = due
		}
	}
	timer := o.Clock.NewTimer(wake.Sub(now))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case oc := <-done:
		*inflight--
		p.finish(ctx, oc)
	case <-p.notify:
	case <-timer.C():
	}
	return true
}

func (p *Processor) shutdown(done chan outcome, wg *sync.WaitGroup, inflight *int, cancelWork context.CancelFunc) {
	o := p.opts
	// Finishing bookkeeping must not be cut off by the ended Run context.
	bg := context.Background()
	grace := o.Clock.NewTimer(o.ShutdownGrace)
	defer grace.Stop()
	for *inflight > 0 {
		select {
		case oc := <-done:
			*inflight--
			p.finish(bg, oc)
		case <-grace.C():
			o.Logger.Warn("cancelling deliveries still in progress at shutdown", "count", *inflight)
			cancelWork()
			for *inflight > 0 {
				oc := <-done
				*inflight--
				p.finish(bg, oc)
			}
		}
	}
	wg.Wait()
}

// attempt runs the handler once, turning a panic into a permanent error so a
// bad delivery can never take a worker down.
func (p *Processor) attempt(ctx context.Context, d store.Delivery) (err error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.HandlerTimeout)
	defer cancel()
	start := p.opts.Clock.Now()
	defer func() {
		if r := recover(); r != nil {
			p.opts.Logger.Error("delivery handler panicked", deliveryAttrs(d, "panic", r, "stack", string(debug.Stack()))...)
			err = &panicError{value: r}
		}
		p.metrics.observeAttempt(d.Event, p.opts.Clock.Now().Sub(start))
	}()
	return p.opts.Handler.Handle(ctx, d)
}

// finish records the outcome of an attempt.
func (p *Processor) finish(ctx context.Context, oc outcome) {
	o := p.opts
	d, err := oc.d, oc.err
	now := o.Clock.Now()
	log := o.Logger.With(deliveryAttrs(d)...)
	var recordErr error
	result := Outcome{Delivery: d, Err: err, State: store.DeliveryDead}
	switch {
	case err == nil:
		result.State = store.DeliveryDone
		recordErr = o.Store.Complete(ctx, d.Seq, now)
		p.metrics.processed(d.Event, now.Sub(d.ReceivedAt))
		log.Debug("delivery processed", "attempts", d.Attempts)
	case errors.Is(err, context.Canceled):
		// Cancelled by shutdown: not the delivery's fault, so it goes back as
		// it was, due at once.
		result.State, result.NextAttempt = store.DeliveryPending, now
		recordErr = o.Store.Retry(ctx, d.Seq, now, "interrupted by shutdown")
		log.Info("delivery handed back at shutdown")
	case !o.IsTransient(err) && !errors.Is(err, context.DeadlineExceeded):
		recordErr = o.Store.Kill(ctx, d.Seq, now, err.Error())
		p.metrics.dead(d.Event)
		log.Error("delivery failed permanently", "error", err, "attempts", d.Attempts)
	case d.Attempts >= o.MaxAttempts:
		msg := fmt.Sprintf("gave up after %d attempts: %v", d.Attempts, err)
		recordErr = o.Store.Kill(ctx, d.Seq, now, msg)
		p.metrics.dead(d.Event)
		log.Error("delivery failed too often", "error", err, "attempts", d.Attempts)
	default:
		next := p.nextAttempt(now, d.Attempts, err)
		result.State, result.NextAttempt = store.DeliveryPending, next
		recordErr = o.Store.Retry(ctx, d.Seq, next, err.Error())
		p.metrics.retried(d.Event)
		log.Warn("delivery will be retried", "error", err, "attempts", d.Attempts, "retry_at", next)
	}
	if recordErr != nil {
		// The lease will expire and the delivery will be taken again: nothing is lost.
		log.Error("record delivery outcome", "error", recordErr)
	}
	if o.OnOutcome != nil {
		o.OnOutcome(result)
	}
}

// nextAttempt is exponential backoff with equal jitter, never earlier than
// what the error itself demands (a rate-limit reset, a Retry-After).
func (p *Processor) nextAttempt(now time.Time, attempts int, err error) time.Time {
	o := p.opts
	backoff := o.BaseBackoff
	for i := 1; i < attempts && backoff < o.MaxBackoff; i++ {
		backoff *= 2
	}
	backoff = min(backoff, o.MaxBackoff)
	delay := backoff/2 + time.Duration(o.Jitter()*float64(backoff/2))
	next := now.Add(delay)
	if o.RetryAt != nil {
		if at, ok := o.RetryAt(err); ok && at.After(next) {
			next = at
		}
	}
	return next
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
func deliveryAttrs(d store.Delivery, extra ...any) []any {
	return append([]any{
		"delivery", d.ID, "event", d.Event, "action", d.Action,
		"installation", d.InstallationID, "repository", d.Repository,
	}, extra...)
}

type panicError struct{ value any }

func (e *panicError) Error() string { return fmt.Sprintf("handler panicked: %v", e.value) }
