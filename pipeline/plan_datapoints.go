package pipeline

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Data points gate bakes: a bake of a stage with min_datapoints (and a
// pipeline with a datapoints query) ends only when its time is up and the
// count for its step has reached the minimum. No data and errors are not
// zero and not a pass: the bake keeps waiting, and says so. The source
// wakes the runner when a count changes, so the only time the planner
// wakes for is datapoints_timeout, when the release fails in the stage.

// DatapointProgress is a bake's data-point count as Plan last saw it.
type DatapointProgress struct {
	// Count is the query's value, rounded down.
	Count int64
	// Min is the stage's min_datapoints: the count the bake waits for.
	Min int
	// NoData: the query returned no series.
	NoData bool `json:",omitempty"`
	// Err is the query's error when it failed.
	Err string `json:",omitempty"`
	// At is when the source evaluated the query; zero when it never has
	// for this step.
	At time.Time `json:",omitzero"`
}

// Reached reports whether the count is at the minimum.
func (d DatapointProgress) Reached() bool {
	return d.Min > 0 && !d.NoData && d.Err == "" && !d.At.IsZero() && d.Count >= int64(d.Min)
}

// String says where the count stands, for reports and reasons: "1,240 of
// 3,000 data points", "no data yet, 3,000 data points needed", "data
// points query failing, 3,000 needed: ...".
func (d DatapointProgress) String() string {
	need := FormatCount(int64(d.Min))
	switch {
	case d.At.IsZero():
		return fmt.Sprintf("data points not counted yet, %s needed", need)
	case d.Err != "":
		return fmt.Sprintf("data points query failing, %s needed: %s", need, d.Err)
	case d.NoData:
		return fmt.Sprintf("no data yet, %s data points needed", need)
	}
	return fmt.Sprintf("%s of %s data points", FormatCount(d.Count), need)
}

// progressOf reads a count the source gave into a bake's progress; now
// stands for when it was evaluated if the source did not say.
func progressOf(c DatapointCount, ok bool, min int, now time.Time) DatapointProgress {
	p := DatapointProgress{Min: min}
	if !ok {
		return p
	}
	p.At, p.NoData, p.Err = c.At, c.NoData, c.Err
	switch v := c.Value; {
	case c.NoData || c.Err != "":
	case math.IsNaN(v):
		// 0/0 in PromQL: nothing was counted; not a pass.
		p.NoData = true
	case v <= 0:
	case v >= math.MaxInt64:
		p.Count = math.MaxInt64
	default:
		p.Count = int64(v)
	}
	if p.At.IsZero() {
		// A count with no time would read as never counted.
		p.At = now
	}
	return p
}

// datapointsGate records the bake's data points and reports whether they
// are reached; failure is why the release fails in the stage now, when
// datapoints_timeout has passed without them. A stage that does not count
// data points is always reached.
func (pl *planner) datapointsGate(rp Pipeline, stage Stage, target string, tr *TargetRun) (reached bool, failure string) {
	if !rp.CountsDatapoints(stage) {
		tr.Datapoints = DatapointProgress{}
		return true, ""
	}
	var c DatapointCount
	ok := false
	if pl.in.Datapoints != nil {
		c, ok = pl.in.Datapoints.Datapoints(tr.Step.Key)
	}
	tr.Datapoints = progressOf(c, ok, stage.MinDatapoints, pl.now)
	if tr.Datapoints.Reached() {
		return true, ""
	}
	from := tr.Step.FinishedAt
	if from.IsZero() {
		from = tr.Since
	}
	timeout := rp.DatapointsTimeoutFor(stage)
	deadline := from.Add(timeout)
	if pl.now.Before(deadline) {
		pl.wakeAt(deadline)
		return false, ""
	}
	what, why := shortOf(tr.Datapoints)
	return false, fmt.Sprintf("the %s of %s %s within %s (datapoints_timeout)%s", phaseNoun(stage, tr.Phase), target, what, formatDuration(timeout), why)
}

// shortOf says how far short a count fell, and why when known: "counted
// only 1,240 of 3,000 data points", "could not count its 3,000 data
// points", ": the datapoints query failed: ...".
func shortOf(d DatapointProgress) (what, why string) {
	need := FormatCount(int64(d.Min))
	switch {
	case d.At.IsZero():
		return "had no data-point count", fmt.Sprintf(" (%s data points needed)", need)
	case d.Err != "":
		return fmt.Sprintf("could not count its %s data points", need), ": the datapoints query failed: " + d.Err
	case d.NoData:
		return "had no data", fmt.Sprintf(": the datapoints query returned nothing (%s data points needed)", need)
	}
	return fmt.Sprintf("counted only %s of %s data points", FormatCount(d.Count), need), ""
}

// FormatCount writes n with thousands separators: "1,240".
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// progressStep buckets a bake's data points for the reports: not counted,
// no data, failing, or the tenth of the minimum reached. Reports follow a
// count in these steps, not at every evaluation, which would edit a pull
// request's comment every interval for as long as a bake counts.
func progressStep(d DatapointProgress) int64 {
	switch {
	case d.Min == 0:
		return -4
	case d.At.IsZero():
		return -3
	case d.Err != "":
		return -2
	case d.NoData:
		return -1
	}
	return min(10, d.Count*10/int64(d.Min))
}

// noteBake makes a decision, which the reports follow, when a bake's
// progress changed in a way people read: its data points moved a step, or
// why it waits past its time changed.
func (pl *planner) noteBake(r *Release, stage Stage, target string, tr *TargetRun, prevStep int64, prevWaiting string) {
	kind := func(w string) string { k, _, _ := strings.Cut(w, ":"); return k }
	switch {
	case tr.Waiting != "" && kind(tr.Waiting) != kind(prevWaiting):
		pl.decide(r, stage.Name, target, "waiting", tr.Waiting)
	case progressStep(tr.Datapoints) != prevStep && tr.Datapoints.Min > 0:
		pl.decide(r, stage.Name, target, "data points", tr.Datapoints.String())
	}
}
