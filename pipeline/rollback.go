package pipeline

import (
	"fmt"
	"strings"
)

// A manual rollback reuses what a failed deploy does (rollBack,
// startRollback, rollbacks), so that people see one kind of rollback: the
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
	stages := p.Stages
	if stage != "" {
		i := stageIndex(p, stage)
		if i < 0 {
			return rollbackScope{}, fmt.Errorf("stage %q is not in pipeline %s: %w", stage, p.Name, ErrNotFound)
		}
		stages = p.Stages[i : i+1]
	}
	if target != "" && !containsTarget(stages, target) {
		if stage != "" {
			return rollbackScope{}, fmt.Errorf("target %q is not in stage %s: %w", target, stage, ErrNotFound)
		}
		return rollbackScope{}, fmt.Errorf("target %q is not in pipeline %s: %w", target, p.Name, ErrNotFound)
	}
	where := " in " + p.Name
	if stage != "" {
		where = " in " + stage
	}
	if target != "" {
		where = " on " + target
		if stage != "" {
			where += " in " + stage
		}
	}
	nothing := func(why string) error {
		return fmt.Errorf("release %d has nothing to roll back%s: %s", r.ID, where, why)
	}
	if stage != "" {
		if stages[0].IsApproval() {
			return rollbackScope{}, nothing("it is an approval stage, where nothing is deployed")
		}
		if run := r.Stages[stage]; run == nil || run.Status == StageSuperseded {
			return rollbackScope{}, nothing("it never reached " + stage)
		}
	}

	var sc rollbackScope
	inProgress, done := 0, 0
	for _, s := range stages {
		run := r.Stages[s.Name]
		// A failed stage is included: a rollback of one target, or of
		// another stage, leaves the release on the stage's other targets,
		// and a later request may want them back too.
		if s.IsApproval() || run == nil || run.Status == StageSuperseded {
			continue
		}
		var targets []string
		for _, t := range s.Targets {
			tr := run.Targets[t]
			if tr == nil || (target != "" && t != target) {
				continue
			}
			switch tr.Phase {
			case PhaseRollbackPending, PhaseRollbackDeploying, PhaseRollbackBaking:
				inProgress++
				continue
			case PhaseRolledBack, PhaseRollbackFailed, PhaseNothingToRollBack:
				// Each target has one rollback step key per release: a
				// second rollback step would be refused by the outbox.
				done++
				continue
			}
			if why, newer, ok := leaveAlone(st, r, t); !ok {
				sc.skipped = append(sc.skipped, skippedTarget{stage: s.Name, target: t, why: why, newer: newer})
				continue
			}
			targets = append(targets, t)
		}
		if len(targets) > 0 {
			sc.stages = append(sc.stages, stageRollback{stage: s, targets: targets})
		}
	}
	if len(sc.stages) > 0 {
		return sc, nil
	}
	allNewer := true
	for _, sk := range sc.skipped {
		allNewer = allNewer && sk.newer
	}
	switch {
	case inProgress > 0:
		return sc, fmt.Errorf("release %d is already being rolled back", r.ID)
	case len(sc.skipped) == 1 && done == 0:
		return sc, nothing(sc.skipped[0].why)
	case len(sc.skipped) > 0 && done == 0 && allNewer:
		return sc, nothing("a newer release runs on every target")
	case len(sc.skipped) > 0 && done == 0:
		return sc, nothing("no target it reached runs it any more")
	case len(sc.skipped) > 0 && allNewer:
		return sc, nothing("it is already rolled back, and a newer release runs on its other targets")
	case len(sc.skipped) > 0:
		return sc, nothing("it is already rolled back, and its other targets run something else now")
	case done > 0:
		return sc, nothing("it is already rolled back")
	case target != "":
		return sc, nothing("it never reached " + target)
	}
	return sc, nothing("it has not deployed anywhere yet")
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
