package pipeline

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wavegate/wavegate/config/yamlwalk"
)

// adviseDetection warns about bakes shorter than the alarms' worst-case
// detection time: a query that errors holds only after interval ×
// error_limit, and a query over a range window sees a bad deploy fully
// only once the window has passed. A bake shorter than both lets a bad
// step through unnoticed.
func (p *parser) adviseDetection(pl *Pipeline) {
	a := pl.Alarms
	if a == nil || len(a.Queries)+len(a.Compare) == 0 {
		return
	}
	longest := time.Duration(0)
	for _, q := range a.Queries {
		longest = max(longest, longestRange(q.Query))
	}
	for _, c := range a.Compare {
		longest = max(longest, longestRange(c.Query))
	}
	worst := a.Interval*time.Duration(a.ErrorLimit) + longest
	for _, s := range pl.Stages {
		if s.IsApproval() || s.Bake == 0 || s.Bake >= worst {
			continue
		}
		p.r.WarnAt(yamlwalk.Pos(s.At("bake")), "stage %q bakes %s, less than the alarms' worst-case detection time %s (interval %s × error_limit %d + the longest query range %s): a bad step could finish its bake before an alarm fires",
			s.Name, formatDuration(s.Bake), formatDuration(worst), formatDuration(a.Interval), a.ErrorLimit, formatDuration(longest))
	}
}

// longestRange is the longest literal range or subquery window ("[5m]",
// "[1h:1m]") in a PromQL template; ranges written with template fields
// ("[{{.Since}}]") are not known before evaluation and count as none.
func longestRange(query string) time.Duration {
	longest := time.Duration(0)
	for rest := query; ; {
		i := strings.IndexByte(rest, '[')
		if i < 0 {
			return longest
		}
		rest = rest[i+1:]
		end := strings.IndexAny(rest, ":]")
		if end < 0 {
			return longest
		}
		if d, ok := promDuration(strings.TrimSpace(rest[:end])); ok {
			longest = max(longest, d)
		}
	}
}

// promDuration reads a PromQL duration: numbers with units ms, s, m, h,
// d, w, y ("1h30m", "5m").
func promDuration(s string) (time.Duration, bool) {
	units := []struct {
		name string
		d    time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour},
		{"d", 24 * time.Hour}, {"w", 7 * 24 * time.Hour}, {"y", 365 * 24 * time.Hour}}
	total := time.Duration(0)
	if s == "" {
		return 0, false
	}
	for s != "" {
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 0 || n > 9 {
			return 0, false
		}
		v, _ := strconv.Atoi(s[:n])
		s = s[n:]
		found := false
		for _, u := range units {
			if strings.HasPrefix(s, u.name) {
				if time.Duration(v) > (math.MaxInt64-total)/u.d {
					return 0, false
				}
				total += time.Duration(v) * u.d
				s, found = s[len(u.name):], true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
	return total, true
}
