package pipeline

import (
	"fmt"
	"slices"
	"strings"
)

// A manual rollback reuses what a failed deploy does (plan_rollback.go:
// rollBack, startRollback, rollbacks), so that people see one kind of rollback: the
// same steps, bakes, holds, and pause when one fails. What differs is its
// scope, chosen by a person, and that it must not undo a newer release.

// rollbackScope is what a rollback request would do now.
type rollbackScope struct {
	stages  []stageRollback // in pipeline order
	skipped []skippedTarget
}

type stageRollback struct {
	stage   Stage
	targets []string // in declared order
}

// skippedTarget is a target in scope that the rollback leaves as it is.
type skippedTarget struct {
	stage, target, why string
	newer              bool // a newer release runs there
}

// scopeRollback works out which targets a rollback of r in stage and
// target ("" for all) would take back, in r's own pipeline p. It is shared
// by Rollback, which refuses a request with nothing to do, and the planner,
// which acts on it, so both read the state the same way. It errs when
// nothing is left to roll back.
func scopeRollback(p Pipeline, st *State, r *Release, stage, target string) (rollbackScope, error) {
	stages, err := stagesInScope(p, stage, target)
	if err != nil {
		return rollbackScope{}, err
	}
	where := rollbackWhere(p, stage, target)
	if stage != "" {
		if why := notRolledBackIn(r, stages[0]); why != "" {
			return rollbackScope{}, nothingToRollBack(r, where, why)
		}
	}
	var sc rollbackScope
	var t rollbackTally
	for _, s := range stages {
		sc.add(st, r, s, target, &t)
	}
	switch {
	case len(sc.stages) > 0:
		return sc, nil
	case t.underway > 0:
		return sc, fmt.Errorf("release %d is already being rolled back", r.ID)
	}
	return sc, nothingToRollBack(r, where, sc.whyNothing(t.over, target))
}

// stagesInScope is the stages of p a request names: one, or all. It errs
// when the request names a stage or target p does not have.
func stagesInScope(p Pipeline, stage, target string) ([]Stage, error) {
	stages := p.Stages
	if stage != "" {
		i := stageIndex(p, stage)
		if i < 0 {
			return nil, fmt.Errorf("stage %q is not in pipeline %s: %w", stage, p.Name, ErrNotFound)
		}
		stages = p.Stages[i : i+1]
	}
	if target != "" && !containsTarget(stages, target) {
		if stage != "" {
			return nil, fmt.Errorf("target %q is not in stage %s: %w", target, stage, ErrNotFound)
		}
		return nil, fmt.Errorf("target %q is not in pipeline %s: %w", target, p.Name, ErrNotFound)
	}
	return stages, nil
}

// rollbackWhere says where a request asked for a rollback, as refusals
// quote it.
func rollbackWhere(p Pipeline, stage, target string) string {
	switch {
	case target != "" && stage != "":
		return " on " + target + " in " + stage
	case target != "":
		return " on " + target
	case stage != "":
		return " in " + stage
	}
	return " in " + p.Name
}

func nothingToRollBack(r *Release, where, why string) error {
	return fmt.Errorf("release %d has nothing to roll back%s: %s", r.ID, where, why)
}

// notRolledBackIn says why a rollback of r asked for in stage s alone has
// nothing to do there; "" when it may have.
func notRolledBackIn(r *Release, s Stage) string {
	if s.IsApproval() {
		return "it is an approval stage, where nothing is deployed"
	}
	if run := r.Stages[s.Name]; run == nil || run.Status == StageSuperseded {
		return "it never reached " + s.Name
	}
	return ""
}

// rollbackTally counts the targets in scope whose rollback is under way or
// over: they are neither rolled back again nor skipped.
type rollbackTally struct{ underway, over int }

// add puts in sc the targets of stage s (only target, when not "") that a
// rollback of r takes back, and the ones it must leave alone.
func (sc *rollbackScope) add(st *State, r *Release, s Stage, target string, t *rollbackTally) {
	run := r.Stages[s.Name]
	// A failed stage is included: a rollback of one target, or of another
	// stage, leaves the release on the stage's other targets, and a later
	// request may want them back too.
	if s.IsApproval() || run == nil || run.Status == StageSuperseded {
		return
	}
	var targets []string
	for _, name := range s.Targets {
		tr := run.Targets[name]
		switch {
		case tr == nil || (target != "" && name != target):
		case rollbackUnderway(tr.Phase):
			t.underway++
		case rollbackOver(tr.Phase):
			// Each target has one rollback step key per release: a second
			// rollback step would be refused by the outbox.
			t.over++
		default:
			if why, newer, ok := leaveAlone(st, r, name); !ok {
				sc.skipped = append(sc.skipped, skippedTarget{stage: s.Name, target: name, why: why, newer: newer})
			} else {
				targets = append(targets, name)
			}
		}
	}
	if len(targets) > 0 {
		sc.stages = append(sc.stages, stageRollback{stage: s, targets: targets})
	}
}

// rollbackUnderway reports whether a target is being rolled back.
func rollbackUnderway(ph Phase) bool {
	return ph == PhaseRollbackPending || ph == PhaseRollbackDeploying || ph == PhaseRollbackBaking
}

// rollbackOver reports whether a target's rollback ended, however it went.
func rollbackOver(ph Phase) bool {
	return ph == PhaseRolledBack || ph == PhaseRollbackFailed || ph == PhaseNothingToRollBack
}

// whyNothing says why a scope with no target to roll back, and over
// targets already rolled back, has nothing to do.
func (sc rollbackScope) whyNothing(over int, target string) string {
	if len(sc.skipped) > 0 {
		return sc.whySkipped(over)
	}
	switch {
	case over > 0:
		return "it is already rolled back"
	case target != "":
		return "it never reached " + target
	}
	return "it has not deployed anywhere yet"
}

// whySkipped says why nothing is rolled back when targets were skipped:
// one's own reason, or what they have in common.
func (sc rollbackScope) whySkipped(over int) string {
	allNewer := !slices.ContainsFunc(sc.skipped, func(sk skippedTarget) bool { return !sk.newer })
	switch {
	case over == 0 && len(sc.skipped) == 1:
		return sc.skipped[0].why
	case over == 0 && allNewer:
		return "a newer release runs on every target"
	case over == 0:
		return "no target it reached runs it any more"
	case allNewer:
		return "it is already rolled back, and a newer release runs on its other targets"
	}
	return "it is already rolled back, and its other targets run something else now"
}

func containsTarget(stages []Stage, target string) bool {
	for _, s := range stages {
		for _, t := range s.Targets {
			if t == target {
				return true
			}
		}
	}
	return false
}

// leaveAlone says why a target that received r must not be rolled back
// now, and whether that is because a newer release runs there; ok when it
// may be. What a target runs is what a rollback would undo: once another
// release has put its own sha there, rolling back would take away someone
// else's change, not r.
func leaveAlone(st *State, r *Release, target string) (why string, newer, ok bool) {
	for _, o := range st.Releases {
		if o.ID == r.ID {
			continue
		}
		for _, run := range o.Stages {
			// A step in flight there would race the rollback: whichever
			// lands last would win.
			if tr := run.Targets[target]; tr != nil && tr.Step != nil && tr.Step.Outcome == "" &&
				(tr.Phase == PhaseRollbackDeploying || tr.Phase == PhaseOneboxDeploying || tr.Phase == PhaseFullDeploying) {
				return fmt.Sprintf("release %d has a %s in flight on %s; ask again once it finishes", o.ID, tr.Step.Action, target), o.ID > r.ID, false
			}
		}
	}
	running := ""
	if inv := st.Targets[target]; inv != nil {
		running = inv.Running
	}
	if running == r.SHA {
		return "", false, true
	}
	for i := len(st.Releases) - 1; i >= 0; i-- {
		if o := st.Releases[i]; o.ID > r.ID && o.SHA == running {
			return fmt.Sprintf("release %d (%s) has since deployed to %s; rolling back would undo it", o.ID, short(o.SHA), target), true, false
		}
	}
	if running == "" {
		return fmt.Sprintf("what %s runs is not known", target), false, false
	}
	return fmt.Sprintf("%s runs %s now, not this release", target, short(running)), false, false
}

// manualRollbacks acts on the rollback requests Rollback recorded. It runs
// before any stage moves, so that a deploy due at this very instant does
// not start for a release being rolled back, and a stage is held before a
// newer release could be let in.
func (pl *planner) manualRollbacks() {
	for _, r := range pl.st.Releases {
		req := r.RollbackRequest
		if req == nil {
			continue
		}
		r.RollbackRequest = nil
		rp := pl.pipelineOf(r)
		sc, err := scopeRollback(rp, &pl.st, r, req.Stage, req.Target)
		if err != nil {
			// Rollback checked the request against the same state, so
			// this is a state changed in between; the request is dropped
			// and the reason kept, rather than retried at every wake-up.
			pl.decide(r, req.Stage, req.Target, "rollback-refused", err.Error())
			continue
		}
		reason := fmt.Sprintf("rolled back by @%s: %s", req.By, req.Reason)
		if r.Status != ReleaseFailed {
			r.Status, r.Reason = ReleaseFailed, reason
		}
		for _, sk := range sc.skipped {
			pl.decide(r, sk.stage, sk.target, "rollback-skipped", sk.why)
		}
		var names []string
		for _, s := range sc.stages {
			pl.rollBack(r, rp, s.stage, s.targets, reason)
			names = append(names, s.stage.Name)
		}
		// No new deploy of a rolled-back release starts anywhere, in
		// stages the request left out too.
		for _, s := range rp.Stages {
			if run := r.Stages[s.Name]; run != nil && run.Status == StageActive {
				why := "stopped as the release was " + reason
				run.Status, run.FinishedAt, run.Reason = StageFailed, pl.now, why
				pl.decide(r, s.Name, "", "stopped", why)
			}
		}
		text := fmt.Sprintf("Release %d (%s) is being rolled back in %s by @%s: %s", r.ID, short(r.SHA), strings.Join(names, ", "), req.By, req.Reason)
		if len(sc.skipped) > 0 {
			var whys []string
			for _, sk := range sc.skipped {
				whys = append(whys, sk.why)
			}
			text += ". Left as they are: " + strings.Join(whys, "; ")
		}
		// Stage and target are the request's: the runner keys notices by
		// release, kind, stage and target, and an earlier failure of the
		// release already used its failing stage.
		pl.notices = append(pl.notices, Notice{Kind: NoticeReleaseFailed, ReleaseID: r.ID, Stage: req.Stage, Target: req.Target, Text: text})
	}
}
