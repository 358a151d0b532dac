package pipeline

import (
	"fmt"
	"time"
)

// Evaluating windows and freezes at an instant. Allow entries are wall-clock
// times in the windows' zone; each opens one interval per day it names,
// from the first instant the clock shows its start to the first instant it
// shows its end. So on the day clocks go forward a skipped time counts from
// the jump (in America/Los_Angeles "02:00-03:00" is empty that day and
// "01:30-03:30" lasts an hour), and on the day they go back the repeated
// hour is inside a window that spans it, once ("01:00-02:00" lasts two
// hours).

// windowSearchDays is how far ahead an opening is looked for: every window
// opens at least weekly, and a day more covers one that runs past midnight.
const windowSearchDays = 9

// Blockers returns what the windows and freezes say about starting a
// deploy at t: a freeze blocker when t is in a freeze, with Until its end;
// a window blocker when t is outside every allow entry, with Until the next
// opening that is outside every freeze (when freezes count). Freezes or
// windows that are overridden are left out by the caller's flags, so that
// Until is never later than the instant the deploy may start.
func (ws *Windows) Blockers(t time.Time, freezes, windows bool) []Blocker {
	loc, err := ws.location()
	if err != nil {
		loc = time.UTC
		if windows && len(ws.Allow) > 0 {
			return []Blocker{{Kind: BlockerWindow, Reason: fmt.Sprintf("the deploy windows cannot be evaluated: %v; deploys are held until Wavegate knows the zone", err)}}
		}
	}
	var out []Blocker
	if freezes {
		if f, end, ok := ws.frozen(t); ok {
			out = append(out, Blocker{Kind: BlockerFreeze, Until: end,
				Reason: fmt.Sprintf("%s, until %s", f.Reason, whenText(end, t, loc, ws.TimeZone))})
		}
	}
	if windows && len(ws.Allow) > 0 && !ws.inWindow(t, loc) {
		b := Blocker{Kind: BlockerWindow, Reason: "outside the deploy windows (" + ws.allowText() + ")"}
		if open := ws.next(t, loc, freezes); !open.IsZero() {
			b.Until = open
			b.Reason += "; opens " + whenText(open, t, loc, "")
		} else {
			b.Reason += fmt.Sprintf("; no window opens outside the freezes in the next %d days", windowSearchDays)
		}
		out = append(out, b)
	}
	return out
}

// whenText writes an instant for a reason, in the zone: "Mon Jan 4 09:00
// PST", with the year when it is not now's, and the zone's name when given
// and not the abbreviation itself ("UTC").
func whenText(at, now time.Time, loc *time.Location, zone string) string {
	at, now = at.In(loc), now.In(loc)
	layout := "Mon Jan 2 15:04 MST"
	if at.Year() != now.Year() {
		layout = "Mon Jan 2 2006 15:04 MST"
	}
	s := at.Format(layout)
	if abbr, _ := at.Zone(); zone != "" && zone != abbr {
		s += " (" + zone + ")"
	}
	return s
}

// frozen returns the freeze t is in and when the freezes lift: the end of
// the chain of freezes that overlap or touch it.
func (ws *Windows) frozen(t time.Time) (Freeze, time.Time, bool) {
	for _, f := range ws.Freezes {
		if !t.Before(f.From) && t.Before(f.To) {
			end := f.To
			for range ws.Freezes {
				moved := false
				for _, g := range ws.Freezes {
					if !end.Before(g.From) && end.Before(g.To) {
						end, moved = g.To, true
					}
				}
				if !moved {
					break
				}
			}
			return f, end, true
		}
	}
	return Freeze{}, time.Time{}, false
}

// next is the first instant at or after t inside an allow entry and, when
// freezes count, outside every freeze; zero when there is none within the
// search horizon.
func (ws *Windows) next(t time.Time, loc *time.Location, freezes bool) time.Time {
	// Each round passes a freeze or reaches a window, so this bounds it.
	for range 2*len(ws.Freezes) + 2 {
		if freezes {
			if _, end, ok := ws.frozen(t); ok {
				t = end
				continue
			}
		}
		if len(ws.Allow) == 0 || ws.inWindow(t, loc) {
			return t
		}
		if t = ws.nextOpening(t, loc); t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// inWindow reports whether t is inside an allow entry. A window of the day
// before may still be open, past midnight.
func (ws *Windows) inWindow(t time.Time, loc *time.Location) bool {
	local := t.In(loc)
	for back := -1; back <= 0; back++ {
		y, m, d := local.AddDate(0, 0, back).Date()
		for _, w := range ws.Allow {
			if from, to, ok := w.interval(y, m, d, loc); ok && !t.Before(from) && t.Before(to) {
				return true
			}
		}
	}
	return false
}

// nextOpening is the earliest start of an allow entry's interval after t.
func (ws *Windows) nextOpening(t time.Time, loc *time.Location) time.Time {
	local := t.In(loc)
	var best time.Time
	for ahead := -1; ahead < windowSearchDays; ahead++ {
		y, m, d := local.AddDate(0, 0, ahead).Date()
		for _, w := range ws.Allow {
			from, _, ok := w.interval(y, m, d, loc)
			if ok && from.After(t) && (best.IsZero() || from.Before(best)) {
				best = from
			}
		}
	}
	return best
}

// interval is when w is open on the local date y-m-d, if it opens that day
// and the interval is not empty (a window inside the skipped hour is).
func (w Window) interval(y int, m time.Month, d int, loc *time.Location) (from, to time.Time, ok bool) {
	day := time.Date(y, m, d, 12, 0, 0, 0, loc)
	if !w.On(day.Weekday()) {
		return time.Time{}, time.Time{}, false
	}
	from = wallClock(y, m, d, w.Start, loc)
	if w.End > w.Start {
		to = wallClock(y, m, d, w.End, loc)
	} else {
		to = wallClock(y, m, d+1, w.End, loc)
	}
	return from, to, to.After(from)
}

// wallClock is the first instant at which the clock in loc shows minute of
// the day y-m-d (minute may be 24*60, the next midnight) or later. Go's
// time.Date answers a skipped time with an instant before the jump, which
// shows an earlier time; the jump itself is then the answer.
func wallClock(y int, m time.Month, d, minute int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, minute, 0, 0, loc)
	want := time.Date(y, m, d, 0, minute, 0, 0, time.UTC)
	lt := t.In(loc)
	shown := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), time.UTC)
	if shown.Before(want) {
		_, end := t.ZoneBounds()
		if !end.IsZero() {
			return end
		}
	}
	return t
}
