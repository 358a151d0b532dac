package pipeline

import (
	"testing"
	"time"
)

// FuzzParseWindow checks the allow grammar: nothing panics, and a window
// that parses writes itself back in a form that parses to the same window
// (the form it is stored in). Its seeds run with every `go test`.
func FuzzParseWindow(f *testing.F) {
	for _, seed := range []string{
		"Mon-Thu 09:00-17:00", "Fri 09:00-12:00", "Sat 22:00-02:00", "Mon-Fri", "daily 08:00-18:00",
		"Fri-Mon 06:00-24:00", "mon,wed,FRI 10:00-11:30", "Tue 22:00-00:00", "Tue 00:00-24:00",
		"", " ", "Mon-", "-Mon", ",", "Mon,,Tue", "Mon 24:00-24:00", "Mon 23:60-00:00", "Monday",
		"Mon 09:00-", "Mon -09:00", "daily daily", "Mon 09:00-17:00 extra", "Mon\t09:00-17:00", "Mon 0٩:00-17:00",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			return
		}
		if w.Days == 0 || w.Days > allDays || w.Start < 0 || w.Start >= minutesPerDay || w.End <= 0 || w.End > minutesPerDay || w.Start == w.End {
			t.Fatalf("ParseWindow(%q) = %+v, out of range", s, w)
		}
		again, err := ParseWindow(w.String())
		if err != nil || again != w {
			t.Fatalf("ParseWindow(%q) = %+v, written %q, which parses to %+v, %v", s, w, w.String(), again, err)
		}
		// Every window opens within the search horizon, whatever the zone's
		// transitions.
		ws := &Windows{TimeZone: "America/Los_Angeles", loc: la, Allow: []Window{w}}
		now := time.Date(2026, 3, 7, 12, 0, 0, 0, la)
		if bs := ws.Blockers(now, true, true); len(bs) == 1 && bs[0].Until.IsZero() {
			t.Fatalf("%q never opens after %v: %+v", s, now, bs)
		}
	})
}
