package clock

import (
	"testing"
	"time"
)

func TestScaledNowAndTimers(t *testing.T) {
	start := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		speed   int64
		elapsed time.Duration // on the underlying clock
		wantNow time.Time
		timer   time.Duration // on the scaled clock
		// fires after realFire on the underlying clock, and not one
		// nanosecond before
		realFire time.Duration
	}{
		{"speed 1 is the underlying clock", 1, 90 * time.Second, start.Add(90 * time.Second), time.Hour, time.Hour},
		{"a one-hour bake at 600 takes 6s", 600, 6 * time.Second, start.Add(time.Hour), time.Hour, 6 * time.Second},
		{"fractions of a second scale too", 600, 1500 * time.Millisecond, start.Add(15 * time.Minute), 10 * time.Minute, time.Second},
		{"timers round up", 7, time.Second, start.Add(7 * time.Second), 10 * time.Nanosecond, 2 * time.Nanosecond},
		{"a day at the highest speed", MaxSpeed, 24 * time.Hour, time.Unix(start.Unix()+24*3600*MaxSpeed, 0).UTC(), 24 * time.Hour, 86400 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := NewFake(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
			s, err := NewScaled(base, start, tt.speed)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Now().Equal(start) {
				t.Fatalf("Now at the start = %v, want %v", s.Now(), start)
			}
			base.Advance(tt.elapsed)
			if got := s.Now(); !got.Equal(tt.wantNow) {
				t.Fatalf("after %v at speed %d, Now = %v, want %v", tt.elapsed, tt.speed, got, tt.wantNow)
			}
			deadline := s.Now().Add(tt.timer)
			timer := s.NewTimer(tt.timer)
			base.Advance(tt.realFire - 1)
			select {
			case <-timer.C():
				t.Fatalf("a %v timer fired after %v of real time, want %v", tt.timer, tt.realFire-1, tt.realFire)
			default:
			}
			base.Advance(1)
			select {
			case <-timer.C():
			default:
				t.Fatalf("a %v timer did not fire after %v of real time", tt.timer, tt.realFire)
			}
			if now := s.Now(); now.Before(deadline) {
				t.Fatalf("the timer fired at %v, before its deadline %v", now, deadline)
			}
		})
	}
}

func TestScaledRejectsBadSpeeds(t *testing.T) {
	for _, speed := range []int64{0, -1, MaxSpeed + 1} {
		if _, err := NewScaled(NewFake(time.Now()), time.Now(), speed); err == nil {
			t.Errorf("speed %d accepted", speed)
		}
	}
}

func TestScaledTimerStops(t *testing.T) {
	base := NewFake(time.Now())
	s, err := NewScaled(base, time.Now(), 60)
	if err != nil {
		t.Fatal(err)
	}
	timer := s.NewTimer(time.Minute)
	if !timer.Stop() {
		t.Fatal("Stop on a pending timer reported false")
	}
	base.Advance(time.Hour)
	select {
	case <-timer.C():
		t.Fatal("a stopped timer fired")
	default:
	}
}
