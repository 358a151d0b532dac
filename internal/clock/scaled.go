package clock

import (
	"fmt"
	"time"
)

// MaxSpeed bounds a Scaled clock's speed, so that its arithmetic stays far
// from overflowing for any run a person would watch.
const MaxSpeed = 1_000_000

// Scaled is a clock that runs speed times faster than an underlying one,
// from a start time: `wavegate demo` uses it so that a one-hour bake takes
// seconds while every component keeps reading "real" durations.
type Scaled struct {
	base      Clock
	baseStart time.Time
	start     time.Time
	speed     int64
}

// NewScaled returns a clock that reads start now and then advances speed
// times as fast as base.
func NewScaled(base Clock, start time.Time, speed int64) (*Scaled, error) {
	if speed < 1 || speed > MaxSpeed {
		return nil, fmt.Errorf("clock speed %d: must be between 1 and %d", speed, MaxSpeed)
	}
	return &Scaled{base: base, baseStart: base.Now(), start: start, speed: speed}, nil
}

// Speed is how many times faster than its underlying clock this one runs.
func (s *Scaled) Speed() int64 { return s.speed }

// Now is start plus speed times the time elapsed on the underlying clock.
// It is computed in whole seconds and nanoseconds apart, because the scaled
// elapsed time of a long run at a high speed would overflow a Duration.
func (s *Scaled) Now() time.Time {
	elapsed := s.base.Now().Sub(s.baseStart)
	if elapsed < 0 {
		elapsed = 0
	}
	secs, rem := int64(elapsed/time.Second), int64(elapsed%time.Second)
	t := time.Unix(s.start.Unix()+secs*s.speed, int64(s.start.Nanosecond())+rem*s.speed)
	return t.In(s.start.Location())
}

// NewTimer fires once d has elapsed on this clock: after d/speed on the
// underlying one, rounded up so that Now has reached the deadline when it
// fires. The time sent on C is the underlying clock's; Wavegate's timers
// only wait on C.
func (s *Scaled) NewTimer(d time.Duration) Timer {
	return s.base.NewTimer(s.Real(d))
}

// Real is how long d on this clock takes on the underlying one, rounded up.
func (s *Scaled) Real(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return time.Duration((int64(d) + s.speed - 1) / s.speed)
}
