package pipeline

import "time"

// BlockerKind names a reason a deploy may not start now.
type BlockerKind string

// The blockers of DESIGN.md. The planner knows paused, rollback, approval,
// unreviewed and blocked-commit by itself (from the state the commands
// change), window and freeze from the pipeline's windows:, and alarm from
// the Inputs' AlarmSource (plan_alarms.go).
const (
	BlockerAlarm         BlockerKind = "alarm"
	BlockerWindow        BlockerKind = "window"
	BlockerFreeze        BlockerKind = "freeze"
	BlockerBlockedCommit BlockerKind = "blocked-commit"
	BlockerUnreviewed    BlockerKind = "unreviewed"
	BlockerApproval      BlockerKind = "approval"
	BlockerPaused        BlockerKind = "paused"
	BlockerRollback      BlockerKind = "rollback"
)

// Blocker is one reason a deploy is held, said so a person understands it.
type Blocker struct {
	Kind   BlockerKind
	Reason string
	// Until is when the blocker lifts by itself (a window opening), if known;
	// the runner wakes then.
	Until time.Time
}

// BlockerSource supplies the blockers the planner cannot know by itself,
// such as alarms. It must answer from data already loaded: Plan is pure.
type BlockerSource interface {
	Blockers(r *Release, stage Stage, target string, now time.Time) []Blocker
}

// overridden reports whether an override in force at now lifts kind for
// this deploy; lapse is the soonest that one of those lapses (zero when
// none does), when the planner must look at the deploy again.
func overridden(st *State, releaseID int64, kind BlockerKind, stage, target string, now time.Time) (lifted bool, lapse time.Time) {
	for _, o := range st.Overrides {
		if o.ReleaseID == releaseID && o.Blocker == kind &&
			(o.Stage == "" || o.Stage == stage) && (o.Target == "" || o.Target == target) && o.Lifts(now) {
			if o.Until.IsZero() {
				return true, time.Time{}
			}
			lifted = true
			if lapse.IsZero() || o.Until.Before(lapse) {
				lapse = o.Until
			}
		}
	}
	return lifted, lapse
}

// lifted reports whether an override lifts kind for this deploy now, and
// has the planner wake when a lapsing one lapses: a deploy still held by
// something else is then held by this blocker too, and says so.
func (pl *planner) lifted(r *Release, kind BlockerKind, stage, target string) bool {
	ok, lapse := overridden(&pl.st, r.ID, kind, stage, target, pl.now)
	if ok {
		pl.wakeAt(lapse)
	}
	return ok
}

// blockers returns what holds a deploy of r to target in stage now, less
// what is overridden.
func (pl *planner) blockers(r *Release, stage Stage, target string) []Blocker {
	var all []Blocker
	if pl.st.OrgPaused != "" {
		all = append(all, Blocker{Kind: BlockerPaused, Reason: pl.st.OrgPaused})
	}
	if pl.st.Paused != "" {
		all = append(all, Blocker{Kind: BlockerPaused, Reason: pl.st.Paused})
	}
	// A newer release can be in a stage when an older one is rolled back
	// there by hand; it must not deploy over the rollback, nor go on before
	// someone resumes the stage, as it would have been kept out had it not
	// been there yet.
	if h := pl.st.Holds[stage.Name]; h != nil && h.ReleaseID < r.ID {
		all = append(all, Blocker{Kind: BlockerRollback, Reason: heldAfterRollback(stage.Name, h)})
	}
	for _, why := range r.Unreviewed {
		all = append(all, Blocker{Kind: BlockerUnreviewed, Reason: why})
	}
	all = append(all, blockedCommits(&pl.st, r)...)
	all = append(all, pl.windowBlockers(r, stage, target)...)
	all = append(all, pl.alarmBlockers(target)...)
	if pl.in.Blockers != nil {
		all = append(all, pl.in.Blockers.Blockers(r, stage, target, pl.now)...)
	}
	kept := all[:0]
	for _, b := range all {
		if !pl.lifted(r, b.Kind, stage.Name, target) {
			kept = append(kept, b)
		}
	}
	return kept
}

// windowBlockers are the windows and freezes that hold a deploy of r to
// target now. They come from the pipeline in force rather than the one r
// travels with: a freeze declared after a release was made must hold it
// too, and one lifted early must let it go. An overridden kind is left out
// of the evaluation, so that the other's Until (a window opening after a
// freeze) is not later than when the deploy may really start.
func (pl *planner) windowBlockers(r *Release, stage Stage, target string) []Blocker {
	if pl.p.Windows == nil {
		return nil
	}
	ws := pl.p.Windows.effective(stage)
	if ws == nil {
		return nil
	}
	freezes := !pl.lifted(r, BlockerFreeze, stage.Name, target)
	windows := !pl.lifted(r, BlockerWindow, stage.Name, target)
	return ws.Blockers(pl.now, freezes, windows)
}
