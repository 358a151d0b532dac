// Package clock owns Wavegate's notion of time: every component takes a Clock
// so that tests move time forward instead of sleeping.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock is the source of time for everything that schedules or measures.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once d has elapsed on this clock.
	NewTimer(d time.Duration) Timer
}

// Timer is a stoppable one-shot timer on a Clock.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was still pending.
	Stop() bool
}

// Real returns the wall clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// Fake is a manually driven clock for tests. Timers fire when Advance or Set
// moves the clock to or past their deadline.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	changed *sync.Cond
}

// NewFake returns a fake clock that reads start until moved.
func NewFake(start time.Time) *Fake {
	f := &Fake{now: start}
	f.changed = sync.NewCond(&f.mu)
	return f
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer registers a timer that fires when the clock reaches now+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{clock: f, deadline: f.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- f.now
		t.fired = true
		return t
	}
	f.timers = append(f.timers, t)
	f.changed.Broadcast()
	return t
}

// Advance moves the clock forward by d and fires every timer now due.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the clock to t (never backwards) and fires every timer now due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.After(f.now) {
		f.now = t
	}
	sort.Slice(f.timers, func(i, j int) bool { return f.timers[i].deadline.Before(f.timers[j].deadline) })
	kept := f.timers[:0]
	for _, tm := range f.timers {
		if !tm.deadline.After(f.now) {
			tm.fired = true
			tm.ch <- f.now
			continue
		}
		kept = append(kept, tm)
	}
	f.timers = kept
	f.changed.Broadcast()
}

// Waiters reports how many timers are pending.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// BlockUntilWaiters blocks until at least n timers are pending, so a test can
// move the clock only once the code under test is waiting on it.
func (f *Fake) BlockUntilWaiters(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.timers) < n {
		f.changed.Wait()
	}
}

// BlockUntilTimerAt blocks until a timer is pending with exactly deadline,
// so a test can move the clock once the code under test waits for that time.
func (f *Fake) BlockUntilTimerAt(deadline time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for !f.hasTimerAt(deadline) {
		f.changed.Wait()
	}
}

func (f *Fake) hasTimerAt(deadline time.Time) bool {
	for _, t := range f.timers {
		if t.deadline.Equal(deadline) {
			return true
		}
	}
	return false
}

// NextDeadline returns the earliest pending timer deadline.
func (f *Fake) NextDeadline() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var best time.Time
	for _, t := range f.timers {
		if best.IsZero() || t.deadline.Before(best) {
			best = t.deadline
		}
	}
	return best, !best.IsZero()
}

type fakeTimer struct {
	clock    *Fake
	deadline time.Time
	ch       chan time.Time
	fired    bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	f := t.clock
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.fired {
		return false
	}
	for i, other := range f.timers {
		if other == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			f.changed.Broadcast()
			return true
		}
	}
	return false
}
