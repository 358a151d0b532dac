// Package outbox performs the side effects recorded in the outbox on the
// queue worker (internal/queue): each effect is handed to the performer for
// its kind, and what it produced is recorded with it. Retries, the attempt
// limit, panics, hand-back and wake-ups are the queue worker's.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/queue"
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
	// Lease is how long a claim stays valid (default 1h: a deploy command
	// may run long).
	Lease       time.Duration
	IsTransient func(error) bool
	// RetryAt, when set, says when a transient failure may be tried again
	// at the earliest (a Retry-After, a rate limit's reset); the backoff
	// never retries sooner.
	RetryAt func(err error, now time.Time) (time.Time, bool)
	// BaseBackoff doubles per attempt up to MaxBackoff (defaults 5s, 10m);
	// each delay is between half of it and all of it (jitter).
	BaseBackoff, MaxBackoff time.Duration
	// MaxAttempts bounds the attempts of a failing effect (default 24,
	// some hours of backoff: long enough to ride out an outage of GitHub
	// or Slack); the effect is then dead.
	MaxAttempts int
	// Jitter returns a number in [0,1); default math/rand/v2.
	Jitter func() float64
	// OnDone, when set, is told each finished attempt (tests wait on it).
	OnDone func(e store.Effect, err error)
}

// Worker performs outbox effects.
type Worker struct {
	q *queue.Worker[store.Effect]
}

// New returns a Worker.
func New(o Options) (*Worker, error) {
	if o.Store == nil || o.Clock == nil {
		return nil, errors.New("outbox worker: Store and Clock are required")
	}
	if o.Lease <= 0 {
		o.Lease = time.Hour
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 5 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 24
	}
	var onOutcome func(queue.Outcome[store.Effect])
	if o.OnDone != nil {
		onOutcome = func(out queue.Outcome[store.Effect]) { o.OnDone(out.Item, out.Err) }
	}
	q, err := queue.New(queue.Options[store.Effect]{
		Store: outboxStore{o.Store}, Work: perform(o.Performers),
		Clock: o.Clock, Logger: o.Logger,
		Names: queue.Names{One: "effect", Many: "effects"},
		Attrs: func(e store.Effect) []any { return []any{"effect", e.Key, "kind", e.Kind, "attempt", e.Attempts} },
		// Attempts are not bounded in time: a deploy command has its own
		// timeout, and a Slack or GitHub call its client's.
		Workers: o.Workers, Lease: o.Lease,
		IsTransient: o.IsTransient, RetryAt: o.RetryAt,
		BaseBackoff: o.BaseBackoff, MaxBackoff: o.MaxBackoff, MaxAttempts: o.MaxAttempts, Jitter: o.Jitter,
		ReleaseOnStart: true, OnOutcome: onOutcome,
	})
	if err != nil {
		return nil, fmt.Errorf("outbox worker: %w", err)
	}
	return &Worker{q: q}, nil
}

// perform hands each effect to the performer for its kind.
func perform(performers map[string]Performer) queue.Work[store.Effect] {
	return func(ctx context.Context, e store.Effect) ([]byte, error) {
		p, ok := performers[e.Kind]
		if !ok {
			return nil, fmt.Errorf("no performer for effects of kind %q", e.Kind)
		}
		return p(ctx, e)
	}
}

// Notify wakes the worker: effects were added.
func (w *Worker) Notify() { w.q.Notify() }

// Run performs effects until ctx ends; attempts in flight are cancelled
// then, and handed back.
func (w *Worker) Run(ctx context.Context) error { return w.q.Run(ctx) }

// outboxStore adapts store.Outbox to the queue worker. Effects need no
// order between them and may take long (a deploy command), so each is a run
// of its own, performed beside the others; their claims are taken in one
// transaction, and their outcomes, recorded as each ends, share commits
// with whatever else is being written at that moment.
type outboxStore struct{ s store.Outbox }

func (a outboxStore) Claim(ctx context.Context, now time.Time, runs, _ int, lease time.Duration) ([][]store.Effect, error) {
	es, err := a.s.ClaimEffects(ctx, now, runs, lease)
	if err != nil {
		return nil, err
	}
	out := make([][]store.Effect, len(es))
	for i := range es {
		out[i] = es[i : i+1 : i+1]
	}
	return out, nil
}

func (a outboxStore) Settle(ctx context.Context, sts []queue.Settlement[store.Effect]) error {
	return a.s.SettleEffects(ctx, queue.StoreSettlements(sts, func(e store.Effect) int64 { return e.Seq }))
}

func (a outboxStore) ReleaseAll(ctx context.Context, now time.Time) (int, error) {
	return a.s.ReleaseEffects(ctx, now)
}

func (a outboxStore) NextDue(ctx context.Context) (time.Time, bool, error) {
	return a.s.NextEffectDue(ctx)
}

func (a outboxStore) Attempts(e store.Effect) int { return e.Attempts }
