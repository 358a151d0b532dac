package queue

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// Run works items until ctx ends, then lets attempts in flight finish within
// ShutdownGrace and hands back those that do not.
func (w *Worker[T]) Run(ctx context.Context) error {
	o := w.o
	if o.ReleaseOnStart {
		n, err := o.Store.ReleaseAll(ctx, o.Clock.Now())
		if err != nil {
			return fmt.Errorf("hand back unfinished %s at start: %w", o.Names.Many, err)
		}
		if n > 0 {
			o.Logger.Info("resuming "+o.Names.Many+" left unfinished", "count", n)
		}
	}
	// Attempts run under their own context so that shutdown can give them a
	// grace period instead of cutting them off at once.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	done := make(chan struct{}, o.Workers)
	inflight := 0
	nextHousekeeping := o.Clock.Now()

	for ctx.Err() == nil {
		now := o.Clock.Now()
		if o.Housekeeping != nil && !now.Before(nextHousekeeping) {
			o.Housekeeping(ctx, now)
			nextHousekeeping = now.Add(o.HousekeepingEvery)
		}
		claimFailed := false
		if free := o.Workers - inflight; free > 0 {
			items, err := o.Store.Claim(ctx, now, free, o.Lease)
			if err != nil {
				claimFailed = true
				if ctx.Err() == nil {
					o.Logger.Error("claim "+o.Names.Many, "error", err)
				}
			}
			for _, item := range items {
				inflight++
				go func() {
					w.attempt(workCtx, item)
					done <- struct{}{}
				}()
			}
			if len(items) == free {
				// More may be waiting: claim again once a worker frees up.
				select {
				case <-ctx.Done():
				case <-done:
					inflight--
				}
				continue
			}
		}
		if !w.sleep(ctx, done, &inflight, nextHousekeeping, claimFailed) {
			break
		}
	}
	w.shutdown(done, inflight, cancelWork)
	return nil
}

// sleep waits until something may be claimable: an attempt finished, an item
// was added (Notify), a retry or lease came due, or housekeeping is due. It
// looks for the next due time after the claim, so an item added or come due
// in between, by another process and so with no Notify, is claimed at once
// rather than stranded until the poll; claiming again cannot spin, because
// Claim takes whatever NextDue counts as due. After a failed claim it waits
// for the poll instead, lest a failing store be hammered.
func (w *Worker[T]) sleep(ctx context.Context, done chan struct{}, inflight *int, housekeeping time.Time, claimFailed bool) bool {
	o := w.o
	now := o.Clock.Now()
	wake := now.Add(o.Poll)
	if o.Housekeeping != nil && housekeeping.Before(wake) {
		wake = housekeeping
	}
	if !claimFailed {
		if due, ok, err := o.Store.NextDue(ctx); err == nil && ok && due.Before(wake) {
			if !due.After(now) && *inflight < o.Workers {
				return true
			}
			if due.After(now) {
				wake = due
			}
		}
	}
	timer := o.Clock.NewTimer(wake.Sub(now))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-done:
		*inflight--
	case <-w.notify:
	case <-timer.C():
	}
	return true
}

func (w *Worker[T]) shutdown(done chan struct{}, inflight int, cancelWork context.CancelFunc) {
	o := w.o
	if inflight > 0 && o.ShutdownGrace > 0 {
		grace := o.Clock.NewTimer(o.ShutdownGrace)
		defer grace.Stop()
	wait:
		for inflight > 0 {
			select {
			case <-done:
				inflight--
			case <-grace.C():
				o.Logger.Warn("cancelling "+o.Names.Many+" still in progress at shutdown", "count", inflight)
				break wait
			}
		}
	}
	cancelWork()
	for ; inflight > 0; inflight-- {
		<-done
	}
}

// attempt works item once and records the outcome. Recording uses a context
// that shutdown does not cancel: an outcome lost there would only be
// repeated after the lease, but there is no reason to lose it.
func (w *Worker[T]) attempt(workCtx context.Context, item T) {
	o := w.o
	result, err := w.work(workCtx, item)
	ctx := context.WithoutCancel(workCtx)
	now := o.Clock.Now()
	attempts := o.Store.Attempts(item)
	log := o.Logger.With(o.Attrs(item)...)
	out := Outcome[T]{Item: item, Err: err, State: Dead, At: now}
	var recordErr error
	var panicked *panicError
	switch {
	case err == nil:
		out.State = Done
		recordErr = o.Store.Complete(ctx, item, now, result)
		log.Debug(o.Names.One+" processed", "attempts", attempts)
	case workCtx.Err() != nil || errors.Is(err, context.Canceled):
		// Cancelled by shutdown: not the item's fault, so it goes back as
		// it was, due at once.
		out.State, out.NextAttempt = HandedBack, now
		recordErr = o.Store.Retry(ctx, item, now, "interrupted by shutdown")
		log.Info(o.Names.One + " handed back at shutdown")
	case errors.As(err, &panicked) || !o.IsTransient(err) && !errors.Is(err, context.DeadlineExceeded):
		recordErr = o.Store.Kill(ctx, item, now, err.Error())
		log.Error(o.Names.One+" failed permanently", "error", err, "attempts", attempts)
	case attempts >= o.MaxAttempts:
		msg := fmt.Sprintf("gave up after %d attempts: %v", attempts, err)
		recordErr = o.Store.Kill(ctx, item, now, msg)
		log.Error(o.Names.One+" failed too often", "error", err, "attempts", attempts)
	default:
		next := w.NextAttempt(now, attempts, err)
		out.State, out.NextAttempt = Retried, next
		recordErr = o.Store.Retry(ctx, item, next, err.Error())
		log.Warn(o.Names.One+" will be retried", "error", err, "attempts", attempts, "retry_at", next)
	}
	if recordErr != nil {
		// The lease will run out and the item will be taken again: nothing is lost.
		log.Error("record "+o.Names.One+" outcome", "error", recordErr)
	}
	if o.OnOutcome != nil {
		o.OnOutcome(out)
	}
}

// work runs Work once, turning a panic into a permanent error so that a bad
// item can never take the process down.
func (w *Worker[T]) work(ctx context.Context, item T) (result []byte, err error) {
	o := w.o
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	start := o.Clock.Now()
	defer func() {
		if r := recover(); r != nil {
			o.Logger.Error(o.Names.One+" handler panicked", append(o.Attrs(item), "panic", r, "stack", string(debug.Stack()))...)
			result, err = nil, &panicError{value: r}
		}
		if o.OnAttempt != nil {
			o.OnAttempt(item, o.Clock.Now().Sub(start))
		}
	}()
	return o.Work(ctx, item)
}

type panicError struct{ value any }

func (e *panicError) Error() string { return fmt.Sprintf("handler panicked: %v", e.value) }
