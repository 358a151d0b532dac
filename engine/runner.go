package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
)

// ErrConflict is what a Store returns when the state changed since it was
// loaded; the runner then loads it again and replays the operation.
var ErrConflict = errors.New("engine state changed since it was loaded")

// Store persists engine states. Save must store the state, the pipeline it
// was planned with (so that a restarted runner can wake it) and its effects
// in one transaction, or nothing.
type Store interface {
	Load(ctx context.Context, key pipeline.Key) (st pipeline.State, version int64, err error)
	Save(ctx context.Context, key pipeline.Key, version int64, p pipeline.Pipeline, res pipeline.Result, now time.Time) error
	Due(ctx context.Context, now time.Time, limit int) ([]pipeline.Key, error)
	NextWake(ctx context.Context) (time.Time, bool, error)
}

// PipelineStore is a Store that keeps each state with the pipeline it was
// planned with and can load both at once: a wake-up then costs one read.
type PipelineStore interface {
	Store
	LoadWithPipeline(ctx context.Context, key pipeline.Key) (p pipeline.Pipeline, st pipeline.State, version int64, err error)
}

// Pipelines returns the pipeline configuration in force for a key: the
// last valid one, so an invalid file never half-applies.
type Pipelines interface {
	Pipeline(ctx context.Context, key pipeline.Key) (pipeline.Pipeline, error)
}

// Runner applies the planner's decisions: it loads a pipeline's state,
// applies an operation (a new release, a deploy result, a command), calls
// Plan, and saves the new state with the effects it needs. It wakes at the
// earliest stored wake time, and only the pipelines that are due, so a
// wake-up costs what it touches.
type Runner struct {
	Store Store
	// Pipelines supplies the pipeline in force; nil when Store is a
	// PipelineStore, which keeps it with the state.
	Pipelines Pipelines
	// Inputs supplies what Plan cannot know by itself for a pipeline (its
	// alarms, its data points), given the state about to be planned (the
	// operation applied); nil: none.
	Inputs func(ctx context.Context, key pipeline.Key, p pipeline.Pipeline, st pipeline.State) (pipeline.Inputs, error)
	// Saved, when set, is told each saved plan with the pipeline it was
	// planned with and the state's new version: the alarm sources learn
	// from it what to watch. Calls for one key may arrive out of order
	// (they follow the save, outside it); the version tells the newest.
	Saved  func(key pipeline.Key, p pipeline.Pipeline, res pipeline.Result, version int64)
	Clock  clock.Clock
	Logger *slog.Logger

	wakeOnce sync.Once
	wake     chan struct{}
}

// wakeup is the channel Notify signals; made once, whoever comes first.
func (r *Runner) wakeup() chan struct{} {
	r.wakeOnce.Do(func() { r.wake = make(chan struct{}, 1) })
	return r.wake
}

// Apply loads key's state, applies op (nil for none), plans with the
// pipeline in force and saves. An error from op is returned without saving
// anything.
func (r *Runner) Apply(ctx context.Context, key pipeline.Key, op func(p pipeline.Pipeline, st *pipeline.State) error) (pipeline.Result, error) {
	return r.apply(ctx, key, nil, nil, op)
}

// ApplyWith is Apply with the pipeline given: a push brings the
// configuration as of its commit, which then stays in force.
func (r *Runner) ApplyWith(ctx context.Context, key pipeline.Key, p pipeline.Pipeline, op func(p pipeline.Pipeline, st *pipeline.State) error) (pipeline.Result, error) {
	return r.apply(ctx, key, &p, nil, op)
}

// Reconfigure changes the pipeline in force for key (the organization's
// windows changed, say) and plans with it, in the same optimistic
// transaction as any apply: a push saving a newer pipeline meanwhile makes
// it start over from that one.
func (r *Runner) Reconfigure(ctx context.Context, key pipeline.Key, change func(p pipeline.Pipeline) pipeline.Pipeline) (pipeline.Result, error) {
	return r.apply(ctx, key, nil, change, nil)
}

// load reads the state and the pipeline to plan it with.
func (r *Runner) load(ctx context.Context, key pipeline.Key, given *pipeline.Pipeline) (pipeline.Pipeline, pipeline.State, int64, error) {
	if given != nil {
		st, version, err := r.Store.Load(ctx, key)
		return *given, st, version, err
	}
	if ps, ok := r.Store.(PipelineStore); ok && r.Pipelines == nil {
		return ps.LoadWithPipeline(ctx, key)
	}
	p, err := r.Pipelines.Pipeline(ctx, key)
	if err != nil {
		return pipeline.Pipeline{}, pipeline.State{}, 0, fmt.Errorf("pipeline %s of %s: %w", key.Pipeline, key.Repository, err)
	}
	st, version, err := r.Store.Load(ctx, key)
	return p, st, version, err
}

func (r *Runner) apply(ctx context.Context, key pipeline.Key, given *pipeline.Pipeline, change func(pipeline.Pipeline) pipeline.Pipeline, op func(p pipeline.Pipeline, st *pipeline.State) error) (pipeline.Result, error) {
	for attempt := 0; ; attempt++ {
		p, st, version, err := r.load(ctx, key, given)
		if err != nil {
			return pipeline.Result{}, err
		}
		if change != nil {
			p = change(p)
		}
		if op != nil {
			if err := op(p, &st); err != nil {
				return pipeline.Result{}, err
			}
		}
		var in pipeline.Inputs
		if r.Inputs != nil {
			if in, err = r.Inputs(ctx, key, p, st); err != nil {
				return pipeline.Result{}, fmt.Errorf("inputs of pipeline %s of %s: %w", key.Pipeline, key.Repository, err)
			}
		}
		now := r.Clock.Now()
		res := pipeline.Plan(p, st, in, now)
		err = r.Store.Save(ctx, key, version, p, res, now)
		if errors.Is(err, ErrConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return pipeline.Result{}, err
		}
		r.log(key, res)
		if r.Saved != nil {
			r.Saved(key, p, res, version+1)
		}
		r.Notify()
		return res, nil
	}
}

func (r *Runner) log(key pipeline.Key, res pipeline.Result) {
	if r.Logger == nil {
		return
	}
	for _, d := range res.Decisions {
		r.Logger.Info("engine decision", "repository", key.Repository, "pipeline", key.Pipeline,
			"release", d.ReleaseID, "stage", d.Stage, "target", d.Target, "decision", d.What, "reason", d.Reason)
	}
}

// Notify makes Run look at the stored wake times again.
func (r *Runner) Notify() {
	select {
	case r.wakeup() <- struct{}{}:
	default:
	}
}

// Run wakes due pipelines until ctx ends. It sleeps on the clock until the
// earliest stored wake time, or until Notify (a save may have moved it). A
// pipeline that fails to wake (its configuration unreadable, say) is tried
// again a minute later, not in a tight loop.
func (r *Runner) Run(ctx context.Context) error {
	wake := r.wakeup()
	failing := map[pipeline.Key]time.Time{}
	for {
		now := r.Clock.Now()
		due, err := r.Store.Due(ctx, now, 100)
		if err != nil && ctx.Err() == nil && r.Logger != nil {
			r.Logger.Error("list due pipelines", "error", err)
		}
		retryAt, woke := time.Time{}, 0
		for _, key := range due {
			if at, ok := failing[key]; ok && now.Before(at) {
				if retryAt.IsZero() || at.Before(retryAt) {
					retryAt = at
				}
				continue
			}
			if _, err := r.Apply(ctx, key, nil); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				failing[key] = now.Add(time.Minute)
				if r.Logger != nil {
					r.Logger.Error("wake pipeline", "repository", key.Repository, "pipeline", key.Pipeline, "error", err)
				}
				continue
			}
			delete(failing, key)
			woke++
		}
		if len(due) == 100 && woke > 0 {
			continue // more may be due beyond this batch
		}
		wait := time.Hour // a safety net; wake times are what wake it
		if next, ok, err := r.Store.NextWake(ctx); err == nil && ok {
			now := r.Clock.Now()
			if !next.After(now) && retryAt.IsZero() {
				// It came due since the list above was read (time moved
				// on meanwhile): look again rather than sleep past it.
				continue
			}
			if next.After(now) {
				wait = min(wait, next.Sub(now))
			}
		}
		if !retryAt.IsZero() {
			wait = min(wait, retryAt.Sub(r.Clock.Now()))
		}
		timer := r.Clock.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-wake:
		case <-timer.C():
		}
		timer.Stop()
	}
}
