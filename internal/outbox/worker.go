// Package outbox owns performing side effects recorded in the outbox: it
// claims due effects, hands each to the performer for its kind, retries
// failures that may pass with backoff, records the ones that will not as
// dead, and at start hands back what a crashed process left claimed.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// Performer performs one effect. It returns the result to record; an error
// is retried when IsTransient says so and is dead otherwise.
type Performer func(ctx context.Context, e store.Effect) (result []byte, err error)

// Options configures a Worker.
type Options struct {
	Store      store.Outbox
	Performers map[string]Performer
	Clock      clock.Clock
	Logger     *slog.Logger
	// Workers is how many effects are performed at once (default 4).
	Workers int
	// Lease bounds one attempt (default 1h: a deploy command may run long).
	Lease       time.Duration
	IsTransient func(error) bool
	// RetryAt, when set, says when a transient failure may be tried again
	// at the earliest (a Retry-After, a rate limit's reset); the backoff
	// never retries sooner.
	RetryAt func(err error, now time.Time) (time.Time, bool)
	// BaseBackoff doubles per attempt up to MaxBackoff (defaults 5s, 10m).
	BaseBackoff, MaxBackoff time.Duration
	// OnDone, when set, is told each finished attempt (tests wait on it).
	OnDone func(e store.Effect, err error)
}

// Worker performs outbox effects.
type Worker struct {
	o      Options
	notify chan struct{}
}

// New returns a Worker.
func New(o Options) (*Worker, error) {
	if o.Store == nil || o.Clock == nil {
		return nil, errors.New("outbox worker: Store and Clock are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Lease <= 0 {
		o.Lease = time.Hour
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 5 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.IsTransient == nil {
		o.IsTransient = func(error) bool { return false }
	}
	return &Worker{o: o, notify: make(chan struct{}, 1)}, nil
}

// Notify wakes the worker: effects were added.
func (w *Worker) Notify() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// Run performs effects until ctx ends; attempts in flight are cancelled
// then, and handed back.
func (w *Worker) Run(ctx context.Context) error {
	o := w.o
	if n, err := o.Store.ReleaseEffects(ctx, o.Clock.Now()); err != nil {
		return fmt.Errorf("hand back effects at start: %w", err)
	} else if n > 0 {
		o.Logger.Info("resuming effects left unfinished", "count", n)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	done := make(chan struct{}, o.Workers)
	inflight := 0
	for ctx.Err() == nil {
		// With every worker busy, or the store failing, only a finished
		// attempt, new work or the minute's poll is worth waking for.
		wait := time.Minute
		if free := o.Workers - inflight; free > 0 {
			effects, err := o.Store.ClaimEffects(ctx, o.Clock.Now(), free, o.Lease)
			if err != nil && ctx.Err() == nil {
				o.Logger.Error("claim effects", "error", err)
			} else if err == nil && len(effects) == 0 {
				wait = w.untilNextDue(ctx)
				if wait <= 0 {
					// Added or come due since the claim: a claim now takes it.
					continue
				}
			}
			for _, e := range effects {
				inflight++
				wg.Add(1)
				go func() {
					defer wg.Done()
					w.perform(ctx, e)
					done <- struct{}{}
				}()
			}
			if len(effects) > 0 {
				continue
			}
		}
		timer := o.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-done:
			inflight--
		case <-w.notify:
		case <-timer.C():
		}
		timer.Stop()
	}
	for ; inflight > 0; inflight-- {
		<-done
	}
	return nil
}

func (w *Worker) perform(ctx context.Context, e store.Effect) {
	o := w.o
	log := o.Logger.With("effect", e.Key, "kind", e.Kind, "attempt", e.Attempts)
	perform, ok := o.Performers[e.Kind]
	var result []byte
	var err error
	if !ok {
		err = fmt.Errorf("no performer for effects of kind %q", e.Kind)
	} else {
		result, err = perform(ctx, e)
	}
	bg := context.WithoutCancel(ctx)
	now := o.Clock.Now()
	var recordErr error
	switch {
	case err == nil:
		recordErr = o.Store.CompleteEffect(bg, e.Seq, now, result)
	case ctx.Err() != nil:
		recordErr = o.Store.RetryEffect(bg, e.Seq, now, "interrupted by shutdown")
	case o.IsTransient(err):
		backoff := o.BaseBackoff
		for i := 1; i < e.Attempts && backoff < o.MaxBackoff; i++ {
			backoff *= 2
		}
		next := now.Add(min(backoff, o.MaxBackoff))
		if o.RetryAt != nil {
			if at, ok := o.RetryAt(err, now); ok && at.After(next) {
				next = at
			}
		}
		log.Warn("effect will be retried", "error", err, "at", next)
		recordErr = o.Store.RetryEffect(bg, e.Seq, next, err.Error())
	default:
		log.Error("effect failed permanently", "error", err)
		recordErr = o.Store.KillEffect(bg, e.Seq, now, err.Error())
	}
	if recordErr != nil {
		// The lease runs out and the effect is taken again: nothing is lost.
		log.Error("record effect outcome", "error", recordErr)
	}
	if o.OnDone != nil {
		o.OnDone(e, err)
	}
}

// untilNextDue is how long the worker may wait for work: until the next
// retry or lease end is due, and at most a minute, the safety net for
// effects another process added. It is zero or less when an effect came due
// or was added between the claim and this look: that effect may have no
// Notify of its own (another process added it), so waiting on it, even a
// second, would strand it, and claiming again cannot spin, because
// ClaimEffects takes whatever NextEffectDue counts as due.
func (w *Worker) untilNextDue(ctx context.Context) time.Duration {
	due, ok, err := w.o.Store.NextEffectDue(ctx)
	if err != nil || !ok {
		return time.Minute
	}
	return min(due.Sub(w.o.Clock.Now()), time.Minute)
}
