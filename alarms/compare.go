package alarms

import (
	"fmt"
	"time"

	"github.com/wavegate/wavegate/pipeline"
)

// baselineWindow is how far before the deploy's start the baseline looks,
// and baselineStep how finely it samples the query over that hour: as
// often as a common scrape interval, so that a service Prometheus began
// watching moments before the deploy still has a baseline (240 evaluations
// of one query are cheap for Prometheus).
const (
	baselineWindow = time.Hour
	baselineStep   = 15 * time.Second
)

// baselineQuery is an alarms.compare query's value over the hour before
// the deploy started: its average over that hour, sampled every 15s, when
// evaluated at the deploy's start time. An average, not the query's value
// at one instant, so that a spike or a dip just before the deploy does not
// become the yardstick. The query must return an instant vector: a
// subquery takes nothing else.
func baselineQuery(rendered string) string {
	return fmt.Sprintf("avg_over_time((%s)[%s:%s])", rendered,
		promDuration(baselineWindow), promDuration(baselineStep))
}

// compareVerdict is one alarms.compare entry judged: whether it fires, and
// why, with both numbers.
type compareVerdict struct {
	fires bool
	// text explains the verdict; set whether it fires or not (a verdict of
	// "no baseline" is logged, so that a compare that never fires can be
	// understood).
	text string
}

// judgeCompare compares now with base. baseName says what the baseline is
// ("the hour before the deploy", "the rest of the target").
//
// No series now counts as 0: a service that stops reporting has dropped to
// nothing, which is what a min_ratio is there to catch. A baseline of 0 or
// none does not fire: the ratio is undefined, and a target that served
// nothing before gives no yardstick; the absolute alarms.queries are what
// guard it.
func judgeCompare(c pipeline.Compare, now float64, nowOK bool, base float64, baseOK bool, baseName string) compareVerdict {
	if !nowOK {
		now = 0
	}
	if !baseOK || base == 0 {
		what := "no value"
		if baseOK {
			what = "the value 0"
		}
		return compareVerdict{text: fmt.Sprintf("no baseline: the query had %s over %s, so %s is not compared",
			what, baseName, promValueString(now))}
	}
	ratio := now / base
	line := fmt.Sprintf("%s is %s× %s (%s)", promValueString(now), ratioString(ratio), baseName, promValueString(base))
	switch {
	case c.MaxRatio > 0 && ratio > c.MaxRatio:
		return compareVerdict{fires: true, text: fmt.Sprintf("%s; max %s×", line, promValueString(c.MaxRatio))}
	case c.MinRatio > 0 && ratio < c.MinRatio:
		return compareVerdict{fires: true, text: fmt.Sprintf("%s; min %s×", line, promValueString(c.MinRatio))}
	}
	return compareVerdict{text: line + "; within " + boundsString(c)}
}

func ratioString(r float64) string {
	if r != 0 && (r < 0.01 || r >= 1000) {
		return promValueString(r)
	}
	return fmt.Sprintf("%.2f", r)
}

func boundsString(c pipeline.Compare) string {
	switch {
	case c.MaxRatio > 0 && c.MinRatio > 0:
		return fmt.Sprintf("min %s× and max %s×", promValueString(c.MinRatio), promValueString(c.MaxRatio))
	case c.MaxRatio > 0:
		return fmt.Sprintf("max %s×", promValueString(c.MaxRatio))
	case c.MinRatio > 0:
		return fmt.Sprintf("min %s×", promValueString(c.MinRatio))
	}
	return "no bounds"
}
