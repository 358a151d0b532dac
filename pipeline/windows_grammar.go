package pipeline

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The grammar of an allow entry:
//
//	window = days [ " " HH:MM "-" HH:MM ]
//	days   = "daily" | part { "," part }
//	part   = day [ "-" day ]          (a range may wrap: "Fri-Mon")
//	day    = Mon | Tue | Wed | Thu | Fri | Sat | Sun   (any case)
//
// Without times the window is open all day. "24:00" may end a window;
// an end not after the start runs across midnight.

// maxWindowLen bounds what ParseWindow looks at; a real entry is about 20
// characters.
const maxWindowLen = 100

// ParseWindow reads one allow entry, such as "Mon-Thu 09:00-17:00". Its
// errors say what to write instead.
func ParseWindow(s string) (Window, error) {
	if len(s) > maxWindowLen {
		return Window{}, fmt.Errorf("is %d characters long; a window is written like \"Mon-Thu 09:00-17:00\" (at most %d)", len(s), maxWindowLen)
	}
	fields := strings.Fields(s)
	if len(fields) == 0 || len(fields) > 2 {
		return Window{}, errors.New(`must be days and optionally times, like "Mon-Thu 09:00-17:00", "Sat 22:00-02:00", "Mon-Fri" or "daily 08:00-18:00"`)
	}
	days, err := parseDays(fields[0])
	if err != nil {
		return Window{}, err
	}
	w := Window{Days: days, Start: 0, End: minutesPerDay}
	if len(fields) == 2 {
		if w.Start, w.End, err = parseTimes(fields[1]); err != nil {
			return Window{}, err
		}
	}
	return w, nil
}

func parseDays(s string) (uint8, error) {
	if strings.EqualFold(s, "daily") {
		return allDays, nil
	}
	var days uint8
	for part := range strings.SplitSeq(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		first, err := parseDay(from)
		if err != nil {
			return 0, err
		}
		last := first
		if isRange {
			if last, err = parseDay(to); err != nil {
				return 0, err
			}
			if last == first {
				return 0, fmt.Errorf("day range %q starts and ends on the same day; write %s", part, dayName(first))
			}
		}
		for d := first; ; d = (d + 1) % 7 {
			if days&(1<<d) != 0 {
				return 0, fmt.Errorf("%s is named twice in %q", dayName(d), s)
			}
			days |= 1 << d
			if d == last {
				break
			}
		}
	}
	return days, nil
}

func parseDay(s string) (time.Weekday, error) {
	for _, d := range mondayFirst {
		if strings.EqualFold(s, dayName(d)) {
			return d, nil
		}
	}
	for _, d := range mondayFirst {
		if len(s) > 3 && strings.EqualFold(s, d.String()) {
			return 0, fmt.Errorf("day %q: write %s (days are Mon, Tue, Wed, Thu, Fri, Sat, Sun)", s, dayName(d))
		}
	}
	if s == "" {
		return 0, errors.New(`a day is missing: days are Mon, Tue, Wed, Thu, Fri, Sat, Sun, ranges such as "Mon-Thu", lists such as "Mon,Wed", or "daily"`)
	}
	return 0, fmt.Errorf(`%q is not a day: days are Mon, Tue, Wed, Thu, Fri, Sat, Sun, ranges such as "Mon-Thu", lists such as "Mon,Wed", or "daily"`, s)
}

func parseTimes(s string) (start, end int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("times %q must be a start and an end, like 09:00-17:00", s)
	}
	if start, err = parseClock(a); err != nil {
		return 0, 0, err
	}
	if start == minutesPerDay {
		return 0, 0, fmt.Errorf("a window cannot start at 24:00; write 00:00 on the next day")
	}
	if end, err = parseClock(b); err != nil {
		return 0, 0, err
	}
	if end == start {
		return 0, 0, fmt.Errorf("times %q open and close at once; leave the times out for a window open all day", s)
	}
	if end == 0 {
		// "22:00-00:00" ends at midnight, which is this day's 24:00: the
		// same window, written one way.
		end = minutesPerDay
	}
	return start, end, nil
}

// parseClock reads HH:MM, 00:00 to 24:00.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, fmt.Errorf("time %q must be HH:MM on a 24-hour clock, like 09:00 or 17:30", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	switch {
	case h == 24 && m == 0:
		return minutesPerDay, nil
	case h > 23:
		return 0, fmt.Errorf("time %q: hours go from 00 to 23 (24:00 may end a window)", s)
	case m > 59:
		return 0, fmt.Errorf("time %q: minutes go from 00 to 59", s)
	}
	return h*60 + m, nil
}

func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
