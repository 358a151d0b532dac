package web

import (
	"fmt"
	"math"
	"time"
)

// The charts are inline SVG drawn on the server: they need no script, and
// the numbers they draw are in a table beside them for screen readers and
// for whoever wants the exact figure. Coordinates are whole units of the
// viewBox, so the page prints no long fractions.

// barChart is releases per day over a window, oldest day on the left.
// Its scale and the days' names are printed as text around the drawing,
// which shrinks on a phone.
type barChart struct {
	Label         string // the text alternative: what the chart shows, in words
	Width, Height int
	Top           int // the scale's top value
	Bars          []chartBar
	// FirstLabel and LastLabel name the first and last day.
	FirstLabel, LastLabel string
}

type chartBar struct {
	X, Y, W, H int
	Count      int
	Title      string // "2 releases in the day to 4 Dec 10:00 UTC"
	Day        string // "4 Dec 10:00 UTC", the end of its day
}

const (
	plotWidth  = 720
	plotHeight = 100
)

// dayCounts counts released times in days of 24 hours ending at now,
// oldest first: the day of index i ends at now-(days-1-i)*24h. A time on a
// boundary counts in the later day, and the window's first instant in the
// first day, as delivery.Compute counts it in the window.
func dayCounts(released []time.Time, days int, now time.Time) []int {
	counts := make([]int, days)
	from := now.Add(-time.Duration(days) * 24 * time.Hour)
	for _, at := range released {
		if at.Before(from) || at.After(now) {
			continue
		}
		i := min(int(at.Sub(from)/(24*time.Hour)), days-1)
		counts[i]++
	}
	return counts
}

// releasesChart draws counts (oldest first, days ending at now).
func releasesChart(counts []int, now time.Time, clock func(time.Time) string) barChart {
	days := len(counts)
	top, total, busiest := 1, 0, 0
	for i, c := range counts {
		total += c
		if c > counts[busiest] {
			busiest = i
		}
		top = max(top, c)
	}
	pitch := plotWidth / days
	c := barChart{Width: pitch * days, Height: plotHeight, Top: top}
	dayEnd := func(i int) time.Time { return now.Add(-time.Duration(days-1-i) * 24 * time.Hour) }
	for i, n := range counts {
		end := clock(dayEnd(i))
		b := chartBar{X: i*pitch + pitch/8, W: max(1, pitch-pitch/4), Count: n, Day: end,
			Title: fmt.Sprintf("%s in the day to %s", plural(n, "release"), end)}
		b.H = int(math.Round(float64(n) / float64(top) * float64(plotHeight-4)))
		b.Y = plotHeight - b.H
		c.Bars = append(c.Bars, b)
	}
	c.FirstLabel, c.LastLabel = clock(dayEnd(0)), clock(dayEnd(days-1))
	c.Label = fmt.Sprintf("Releases per day over %d days: %s in all", days, plural(total, "release"))
	if total > 0 {
		c.Label += fmt.Sprintf(", at most %d in the day to %s", counts[busiest], clock(dayEnd(busiest)))
	}
	return c
}

// rateBar is a share (0 to 1) drawn as a filled part of a bar.
type rateBar struct {
	Label       string
	Width, Fill int
	Percent     string
	Height      int
}

const rateWidth = 200

func newRateBar(label string, rate float64) rateBar {
	return rateBar{Label: label, Width: rateWidth, Fill: int(math.Round(rate * rateWidth)), Percent: percent(rate), Height: 16}
}

// percent is a share as people read it: whole percents, unless that would
// round a failure away.
func percent(rate float64) string {
	p := rate * 100
	if p > 0 && p < 1 {
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// span is a duration as the metrics page says it: "45s", "12m", "3h 20m",
// "2d 4h".
func span(d time.Duration) string {
	if d = d.Round(time.Second); d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	if d = d.Round(time.Minute); d < time.Hour {
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	if d < 48*time.Hour {
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	}
	d = d.Round(time.Hour)
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, h)
}
