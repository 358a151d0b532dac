package pipeline

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Alarms in the plan (the sources are the alarms package's): an alarm
// firing on a target holds its deploys from starting; one of origin
// alertmanager, query or compare firing while the target deploys or bakes
// fails the release in that stage, as a failed deploy does; a query that
// cannot be evaluated holds deploys and keeps bakes from ending, but rolls
// nothing back, since health is then unknown rather than bad. An override
// of alarm lifts all of it for one release. Rollbacks never wait for
// alarms: they go through startRollback, which asks no blocker.

// firing returns the alarms concerning target, in a stable order: the
// source's order is its own, and reasons must not change between plans.
func (pl *planner) firing(target string) []Alarm {
	if pl.in.Alarms == nil {
		return nil
	}
	as := slices.Clone(pl.in.Alarms.Firing(target))
	slices.SortStableFunc(as, func(a, b Alarm) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Target, b.Target), a.Since.Compare(b.Since))
	})
	return as
}

// alarmBlockers are the alarms that hold a deploy to target: every alarm
// firing there, an unevaluable query included. They have no Until: the
// source wakes the runner when they clear. blockers() leaves out the
// overridden ones.
func (pl *planner) alarmBlockers(target string) []Blocker {
	var out []Blocker
	for _, a := range pl.firing(target) {
		out = append(out, Blocker{Kind: BlockerAlarm, Reason: alarmReason(a, pl.now)})
	}
	return out
}

// alarmReason says what an alarm is, where it fires and since when:
// "alarm HighErrorRate on prod-1: error rate 5% (since 14:02 UTC)".
func alarmReason(a Alarm, now time.Time) string {
	what := "alarm " + a.Name
	if a.Origin == AlarmQueryError {
		what = "alarm query " + a.Name + " cannot be evaluated"
	}
	if a.Org {
		what = "organization " + what
	}
	where := " on every target"
	if a.Target != "" {
		where = " on " + a.Target
	}
	return what + where + alarmDetail(a, now)
}

// alarmDetail is ": summary (since 14:02 UTC)", each part when known.
func alarmDetail(a Alarm, now time.Time) string {
	s := ""
	if a.Summary != "" {
		s = ": " + a.Summary
	}
	if !a.Since.IsZero() {
		s += " (since " + sinceTime(a.Since, now) + ")"
	}
	return s
}

// sinceTime is t as people read it beside now: "14:02 UTC" on the same
// day, "23 Nov 14:02 UTC" on another.
func sinceTime(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2 Jan 15:04 UTC")
}

// alarmFailure is why the release fails in stage because an alarm fires
// on target while it deploys or bakes; "" when none does, or the alarm is
// overridden for the release.
func (pl *planner) alarmFailure(r *Release, stage Stage, target string, tr *TargetRun) string {
	var fired []Alarm
	for _, a := range pl.firing(target) {
		if a.Origin != AlarmQueryError {
			fired = append(fired, a)
		}
	}
	if len(fired) == 0 || pl.lifted(r, BlockerAlarm, stage.Name, target) {
		return ""
	}
	a := fired[0]
	what := "alarm " + a.Name
	if a.Org {
		what = "organization " + what
	}
	more := ""
	if len(fired) > 1 {
		more = fmt.Sprintf(" (and %s)", plural(len(fired)-1, "more alarm"))
	}
	return fmt.Sprintf("%s fired on %s during the %s%s%s", what, target, phaseNoun(stage, tr.Phase), alarmDetail(a, pl.now), more)
}

// queryErrorWait is why a bake of target whose time is up may not end: an
// alarm query that cannot be evaluated there; "" when none, or overridden.
func (pl *planner) queryErrorWait(r *Release, stage Stage, target string) string {
	for _, a := range pl.firing(target) {
		if a.Origin == AlarmQueryError && !pl.lifted(r, BlockerAlarm, stage.Name, target) {
			return alarmReason(a, pl.now) + "; the bake ends once it answers"
		}
	}
	return ""
}

// phaseNoun names what a target is doing, for reasons: "one-box bake",
// "full deploy" (in a one-box stage), "bake".
func phaseNoun(stage Stage, p Phase) string {
	full := ""
	if stage.OneBox {
		full = "full "
	}
	switch p {
	case PhaseOneboxDeploying:
		return "one-box deploy"
	case PhaseOneboxBaking:
		return "one-box bake"
	case PhaseFullDeploying:
		return full + "deploy"
	}
	return full + "bake"
}
