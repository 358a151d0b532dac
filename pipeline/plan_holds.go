package pipeline

import (
	"slices"
	"strings"
)

// noteHolds makes a decision for each deploy newly held, or held for other
// reasons than when the state was last planned: an alarm that starts
// firing, a freeze that begins. The reports follow decisions, and a hold
// is what people most need to see.
func (pl *planner) noteHolds(before []Held) {
	for _, h := range pl.held {
		i := slices.IndexFunc(before, func(b Held) bool {
			return b.ReleaseID == h.ReleaseID && b.Stage == h.Stage && b.Target == h.Target
		})
		if i >= 0 && sameBlockers(before[i].Blockers, h.Blockers) {
			continue
		}
		r := pl.st.Release(h.ReleaseID)
		if r == nil {
			continue
		}
		reasons := make([]string, 0, len(h.Blockers))
		for _, b := range h.Blockers {
			reasons = append(reasons, string(b.Kind)+": "+b.Reason)
		}
		pl.decisions = append(pl.decisions, Decision{ReleaseID: r.ID, Stage: h.Stage, Target: h.Target,
			What: "held", Reason: strings.Join(reasons, "; ")})
	}
}

// sameBlockers compares what people read of two holds: the kinds and
// reasons, not when they lift, which a report recomputes. Of an alarm only
// which alarm on which target counts: its summary moves with every
// evaluation (a value, a count of failed queries), and a report at every
// evaluation would spend the installation's rate limit.
func sameBlockers(a, b []Blocker) bool {
	return slices.EqualFunc(a, b, func(x, y Blocker) bool { return x.Kind == y.Kind && readAs(x) == readAs(y) })
}

func readAs(b Blocker) string {
	if b.Kind == BlockerAlarm {
		which, _, _ := strings.Cut(b.Reason, ": ")
		return which
	}
	return b.Reason
}
