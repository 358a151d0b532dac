package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	w.mu.Lock()
	w.running, w.stopping, w.workCtx = true, ctx.Done(), workCtx
	w.mu.Unlock()
	nextHousekeeping := o.Clock.Now()

	// A worker whose last claim (with its settlement) found nothing due
	// ends without waking this loop: claiming again at once would only find
	// nothing again, an empty write transaction per item at a steady rate.
	for ctx.Err() == nil {
		now := o.Clock.Now()
		if o.Housekeeping != nil && !now.Before(nextHousekeeping) {
			o.Housekeeping(ctx, now)
			nextHousekeeping = now.Add(o.HousekeepingEvery)
		}
		claimFailed := false
		if free := w.reserve(o.Workers); free > 0 {
			runLength := int(w.runLength.Load())
			runs, err := o.Store.Claim(ctx, now, free, runLength, o.Lease)
			if err != nil {
				claimFailed = true
				if ctx.Err() == nil {
					o.Logger.Error("claim "+o.Names.Many, "error", err)
				}
			}
			leaseEnd := now.Add(o.Lease)
			for _, run := range runs {
				go func() { w.finished(w.work(ctx.Done(), workCtx, run, runLength, leaseEnd)) }()
			}
			for range free - len(runs) {
				w.finished(false)
			}
			if len(runs) == free {
				// More may be waiting: claim again once a worker frees up.
				if !w.awaitFree(ctx) {
					break
				}
				continue
			}
		}
		if !w.sleep(ctx, nextHousekeeping, claimFailed) {
			break
		}
	}
	w.shutdown(cancelWork)
	return nil
}

// awaitFree waits until a worker is free; false when ctx ends first.
func (w *Worker[T]) awaitFree(ctx context.Context) bool {
	w.mu.Lock()
	if w.inflight < w.o.Workers {
		w.mu.Unlock()
		return true
	}
	w.waiting = true
	w.mu.Unlock()
	defer w.setWaiting(false)
	select {
	case <-ctx.Done():
		return false
	case <-w.wake:
		return true
	}
}

func (w *Worker[T]) setWaiting(waiting bool) {
	w.mu.Lock()
	w.waiting = waiting
	w.mu.Unlock()
}

// sleep waits until something may be claimable: a worker ended in a way
// that matters (see finished), an item was added (Notify), a retry or lease
// came due, or housekeeping is due. It looks for the next due time after
// the claim, so an item added or come due in between, by another process
// and so with no Notify, is claimed at once rather than stranded until the
// poll; claiming again cannot spin, because Claim takes whatever NextDue
// counts as due. After a failed claim it waits for the poll instead, lest a
// failing store be hammered. It returns false when ctx ends.
func (w *Worker[T]) sleep(ctx context.Context, housekeeping time.Time, claimFailed bool) bool {
	o := w.o
	now := o.Clock.Now()
	wake := now.Add(o.Poll)
	if o.Housekeeping != nil && housekeeping.Before(wake) {
		wake = housekeeping
	}
	// With every worker busy, the first to free up must wake the loop.
	w.mu.Lock()
	full := w.inflight >= o.Workers
	w.waiting = full
	w.mu.Unlock()
	defer w.setWaiting(false)
	if !claimFailed {
		if due, ok, err := o.Store.NextDue(ctx); err == nil && ok && due.Before(wake) {
			if !due.After(now) && !full {
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
	case <-w.wake:
	case <-w.notify:
	case <-timer.C():
	}
	return true
}

// shutdown stops workers from being set aside, lets the attempts in flight
// finish within ShutdownGrace, then cancels the rest and waits for them to
// be handed back.
func (w *Worker[T]) shutdown(cancelWork context.CancelFunc) {
	o := w.o
	w.mu.Lock()
	w.running = false
	inflight := w.inflight
	w.mu.Unlock()
	ended := make(chan struct{})
	go func() {
		w.working.Wait()
		close(ended)
	}()
	if inflight > 0 && o.ShutdownGrace > 0 {
		grace := o.Clock.NewTimer(o.ShutdownGrace)
		defer grace.Stop()
		select {
		case <-ended:
		case <-grace.C():
			w.mu.Lock()
			inflight = w.inflight
			w.mu.Unlock()
			o.Logger.Warn("cancelling "+o.Names.Many+" still in progress at shutdown", "count", inflight)
		}
	}
	cancelWork()
	<-ended
}

// work works a run's items in order and records their outcomes together,
// claiming the next run in the same write when the store can; it returns
// once there is no next run, saying whether Run must look again: unless its
// claim found nothing due and it left no item due at a new time (a retry, a
// hand-back), Run's look for the next due time may be out of date, or the
// worker is stopping, failed to record, or its store cannot claim with a
// settlement. A run stops at its first item not done, and
// before an item when the worker is stopping or the item's timeout could
// outlast the lease: the items left go back unworked. Recording uses a
// context that shutdown does not cancel: an outcome lost there would only
// be repeated after the lease, but there is no reason to lose it.
func (w *Worker[T]) work(stopping <-chan struct{}, workCtx context.Context, run []T, runLength int, leaseEnd time.Time) (wakeRun bool) {
	o := w.o
	claimer, _ := o.Store.(SettleClaimer[T])
	drained, retimed := false, false
	for first := true; len(run) > 0; first = false {
		drained = false
		settlements, outcomes := w.workRun(stopping, workCtx, run, runLength, leaseEnd, first)
		retimed = rescheduled(settlements)
		gathered := claimer != nil && len(run) < runLength && w.gather(stopping)
		var next []T
		var err error
		if claimer != nil && !isClosed(stopping) {
			now := o.Clock.Now()
			runLength, leaseEnd = int(w.runLength.Load()), now.Add(o.Lease)
			next, err = claimer.SettleAndClaim(context.WithoutCancel(workCtx), settlements, now, runLength, o.Lease)
			drained = err == nil && len(next) == 0
			if gathered && err == nil && len(next) < 2 {
				// Nothing gathered: the items that came meanwhile were
				// other keys' (many repositories), whose runs the next
				// claim does not take together. Waiting would only slow
				// the worker; look again in a while.
				w.noGatherUntil.Store(o.GatherClock.Now().Add(gatherRetry).UnixNano())
			}
		} else {
			err = o.Store.Settle(context.WithoutCancel(workCtx), settlements)
		}
		if err != nil {
			// The leases will run out and the items will be taken again:
			// nothing is lost.
			o.Logger.Error("record "+o.Names.Many+" outcomes", append(o.Attrs(run[0]), "count", len(settlements), "error", err)...)
		}
		if o.OnOutcome != nil {
			for _, out := range outcomes {
				o.OnOutcome(out)
			}
		}
		if len(next) > 0 && retimed {
			// Run has not seen the new due time, and this worker goes on
			// with another run, which may take long: tell it now.
			w.poke()
		}
		run = next
	}
	return !drained || retimed
}

// rescheduled reports whether a settlement makes an item due at a new
// time (a retry, a hand-back), which Run's look for the next due time has
// not seen. It is told once the settlement is recorded, or it would look
// too soon.
func rescheduled[T any](settlements []Settlement[T]) bool {
	for _, st := range settlements {
		if st.State == Retried || st.State == HandedBack {
			return true
		}
	}
	return false
}

// gatherRetry is how long gathering stays off after a gather that took
// nothing more.
const gatherRetry = time.Second

// gather waits Gather while items come at least every Gather and
// gathering has paid off (see Options.Gather), or until the worker is
// stopping; it reports whether it waited.
func (w *Worker[T]) gather(stopping <-chan struct{}) bool {
	o := w.o
	if o.Gather <= 0 {
		return false
	}
	now := o.GatherClock.Now().UnixNano()
	gap, since := w.notifyGap.Load(), now-w.lastNotify.Load()
	if gap > int64(o.Gather) || since > int64(o.Gather) || now < w.noGatherUntil.Load() {
		return false
	}
	t := o.GatherClock.NewTimer(o.Gather)
	defer t.Stop()
	select {
	case <-stopping:
	case <-t.C():
	}
	return true
}

// workRun works one run and returns what to record of it; a run taken by
// the worker itself (not first) is not started once the worker is stopping.
func (w *Worker[T]) workRun(stopping <-chan struct{}, workCtx context.Context, run []T, runLength int, leaseEnd time.Time, first bool) ([]Settlement[T], []Outcome[T]) {
	o := w.o
	settlements := make([]Settlement[T], 0, len(run))
	outcomes := make([]Outcome[T], 0, len(run))
	failed := false
	for i, item := range run {
		if (i > 0 || !first) && (isClosed(stopping) || o.Clock.Now().Add(o.Timeout).After(leaseEnd)) {
			settlements = unworked(settlements, run[i:])
			break
		}
		st, out := w.attempt(workCtx, item)
		settlements, outcomes = append(settlements, st), append(outcomes, out)
		if out.State != Done {
			failed = out.State != HandedBack
			settlements = unworked(settlements, run[i+1:])
			break
		}
	}
	w.adapt(failed, !failed && len(outcomes) == runLength)
	return settlements, outcomes
}

// adapt halves the run length after a run stopped by a failure and doubles
// it, up to RunLength, after a full run done. Items after a failure are
// claimed and handed back for nothing, payloads and all: where every item
// fails (a handler refusing a repository's every delivery) full runs would
// cost the claim of a whole run per item worked.
func (w *Worker[T]) adapt(failed, full bool) {
	n := w.runLength.Load()
	switch {
	case failed && n > 1:
		w.runLength.CompareAndSwap(n, n/2)
	case full && n < int64(w.o.RunLength):
		w.runLength.CompareAndSwap(n, min(2*n, int64(w.o.RunLength)))
	}
}

func unworked[T any](settlements []Settlement[T], items []T) []Settlement[T] {
	for _, item := range items {
		settlements = append(settlements, Settlement[T]{Item: item, State: Unworked})
	}
	return settlements
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// attempt works item once and decides what to record of it.
func (w *Worker[T]) attempt(workCtx context.Context, item T) (Settlement[T], Outcome[T]) {
	o := w.o
	result, err := w.call(workCtx, item)
	now := o.Clock.Now()
	out := Outcome[T]{Item: item, Err: err, State: Dead, At: now}
	st := Settlement[T]{Item: item, State: Dead, At: now}
	if err == nil {
		// The hot path: no logger built unless it would write.
		out.State, st.State, st.Result = Done, Done, result
		if o.Logger.Enabled(workCtx, slog.LevelDebug) {
			o.Logger.Debug(o.Names.One+" processed", append(o.Attrs(item), "attempts", o.Store.Attempts(item))...)
		}
		return st, out
	}
	attempts := o.Store.Attempts(item)
	log := o.Logger.With(o.Attrs(item)...)
	st.Err = err.Error()
	var panicked *panicError
	switch {
	case workCtx.Err() != nil || errors.Is(err, context.Canceled):
		// Cancelled by shutdown: not the item's fault, so it goes back as
		// it was, due at once.
		out.State, out.NextAttempt = HandedBack, now
		st.State, st.Err = HandedBack, "interrupted by shutdown"
		log.Info(o.Names.One + " handed back at shutdown")
	case errors.As(err, &panicked) || !o.IsTransient(err) && !errors.Is(err, context.DeadlineExceeded):
		log.Error(o.Names.One+" failed permanently", "error", err, "attempts", attempts)
	case attempts >= o.MaxAttempts:
		st.Err = fmt.Sprintf("gave up after %d attempts: %v", attempts, err)
		log.Error(o.Names.One+" failed too often", "error", err, "attempts", attempts)
	default:
		next := w.NextAttempt(now, attempts, err)
		out.State, out.NextAttempt = Retried, next
		st.State, st.At = Retried, next
		log.Warn(o.Names.One+" will be retried", "error", err, "attempts", attempts, "retry_at", next)
	}
	return st, out
}

// call runs Work once, turning a panic into a permanent error so that a bad
// item can never take the process down.
func (w *Worker[T]) call(ctx context.Context, item T) (result []byte, err error) {
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
