package alarms

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wavegate/wavegate/pipeline"
)

// watchID is what a watch is kept under: one per target of a pipeline.
type watchID struct {
	key    pipeline.Key
	target string
}

// watchState is a watch and what its evaluations found. Guarded by the
// Evaluator's mutex, except busy.
type watchState struct {
	w    Watch
	next time.Time // when the loop evaluates it next
	// busy holds one evaluation of the watch at a time, so that the loop
	// and EvaluateNow do not count one error twice.
	busy   chan struct{}
	checks map[checkID]*checkState
	// dp is the data-point count of w.StepKey; nil until evaluated, or
	// when the datapoints query does not apply to the watch now.
	dp *pipeline.DatapointCount
}

func newWatchState(w Watch, next time.Time) *watchState {
	return &watchState{w: w, next: next, busy: make(chan struct{}, 1), checks: map[checkID]*checkState{}}
}

// checkState is what one check's evaluations found so far.
type checkState struct {
	// firing is the alarm while the query's result, or the compare
	// verdict, fires. An error keeps it as it was: health is not known
	// again until a query succeeds.
	firing *pipeline.Alarm
	errors int
	// errSince is when the current run of errors began.
	errSince time.Time
	// failing is the query-error alarm, once errors reach the limit.
	failing *pipeline.Alarm
	note    string
}

// checkNote is something about a check worth one log line: said when it
// happens, not at every evaluation, so that a Prometheus that is down for
// an hour does not fill the log.
type checkNote struct {
	warn bool
	id   checkID
	text string
}

// apply records an evaluation's outcome and reports whether anything the
// planner acts on changed: an alarm fired or cleared, a query's error
// alarm came or went, the data-point count moved. A summary's new value
// alone is no change: the plan would be the same.
func (ws *watchState) apply(o watchOutcome) (changed bool, notes []checkNote) {
	before := ws.signature()
	seen := map[checkID]bool{}
	for _, c := range o.checks {
		seen[c.id] = true
		st := ws.checks[c.id]
		if st == nil {
			st = &checkState{}
			ws.checks[c.id] = st
		}
		base := pipeline.Alarm{Name: c.id.name, Target: ws.w.Target, Org: c.id.org}
		if c.err != nil {
			if st.errors == 0 {
				st.errSince = o.at
			}
			st.errors++
			if c.permanent || st.errors >= c.errorLimit {
				a := base
				a.Origin, a.Since = pipeline.AlarmQueryError, st.errSince
				if c.permanent {
					a.Summary = c.err.Error()
				} else {
					a.Summary = fmt.Sprintf("%d evaluations in a row failed; the last: %v", st.errors, c.err)
					if st.errors == 1 { // error_limit 1
						a.Summary = fmt.Sprintf("the evaluation failed: %v", c.err)
					}
				}
				if st.failing == nil {
					notes = append(notes, checkNote{warn: true, id: c.id, text: "holds deploys and bakes: " + a.Summary})
				}
				st.failing = &a
			}
			continue
		}
		if st.failing != nil {
			notes = append(notes, checkNote{id: c.id, text: "answers again; its query-error alarm is lifted"})
		}
		st.errors, st.failing = 0, nil
		if c.note != st.note && c.note != "" {
			notes = append(notes, checkNote{id: c.id, text: c.note})
		}
		st.note = c.note
		if !c.fires {
			st.firing = nil
			continue
		}
		a := base
		a.Origin, a.Summary, a.Labels, a.Since = c.id.origin, c.summary, c.labels, o.at
		if st.firing != nil {
			a.Since = st.firing.Since
		}
		st.firing = &a
	}
	// A check gone from the configuration no longer speaks.
	for id := range ws.checks {
		if !seen[id] {
			delete(ws.checks, id)
		}
	}
	ws.dp = nil
	if o.dp != nil {
		dp := *o.dp
		ws.dp = &dp
	}
	return ws.signature() != before, notes
}

// firing returns the watch's alarms: results that fire and queries in
// error past their limit, sorted.
func (ws *watchState) firing() []pipeline.Alarm {
	var out []pipeline.Alarm
	for _, st := range ws.checks {
		if st.firing != nil {
			out = append(out, cloneAlarm(*st.firing))
		}
		if st.failing != nil {
			out = append(out, cloneAlarm(*st.failing))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Org != b.Org {
			return !a.Org
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Origin < b.Origin
	})
	return out
}

func cloneAlarm(a pipeline.Alarm) pipeline.Alarm {
	if a.Labels != nil {
		l := make(map[string]string, len(a.Labels))
		for k, v := range a.Labels {
			l[k] = v
		}
		a.Labels = l
	}
	return a
}

// signature is what change is judged on.
func (ws *watchState) signature() string {
	var b strings.Builder
	for _, a := range ws.firing() {
		fmt.Fprintf(&b, "%s|%t|%s\n", a.Origin, a.Org, a.Name)
	}
	if ws.dp != nil {
		fmt.Fprintf(&b, "dp|%s|%t|%s\n", strconv.FormatFloat(ws.dp.Value, 'g', -1, 64), ws.dp.NoData, ws.dp.Err)
	}
	return b.String()
}
