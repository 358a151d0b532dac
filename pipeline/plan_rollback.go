package pipeline

import (
	"fmt"
	"time"
)

// Rolling back after a failure: every target of the stage that received
// the release, or is receiving it, goes back to its last good release, the
// stage is held for newer releases until resumed, and a rollback is a
// deploy like any other, baked and watched. A failed rollback pauses the
// pipeline. A manual rollback (rollback.go) reuses all of this.

// failStage fails the release in stage: every target that received it or
// is receiving it goes back to its last good release, and the stage is held
// for newer releases until resumed.
func (pl *planner) failStage(r *Release, rp Pipeline, stage Stage, reason string) {
	r.Status, r.Reason = ReleaseFailed, reason
	pl.notices = append(pl.notices, Notice{Kind: NoticeReleaseFailed, ReleaseID: r.ID, Stage: stage.Name,
		Text: fmt.Sprintf("Release %d (%s) failed in %s and is being rolled back: %s", r.ID, short(r.SHA), stage.Name, reason)})
	run := r.Stages[stage.Name]
	var received []string
	for _, target := range stage.Targets {
		if run.Targets[target] != nil {
			received = append(received, target)
		}
	}
	pl.rollBack(r, rp, stage, received, reason)
}

// rollBack fails r in stage and takes targets back to their last good
// release, and holds the stage for newer releases until resumed: after a
// failed deploy, every target that received r; after /deploy rollback, the
// ones asked for.
func (pl *planner) rollBack(r *Release, rp Pipeline, stage Stage, targets []string, reason string) {
	run := r.Stages[stage.Name]
	run.Status, run.FinishedAt, run.Reason = StageFailed, pl.now, reason
	pl.st.Holds[stage.Name] = &Hold{ReleaseID: r.ID, Reason: reason, Since: pl.now}
	pl.decide(r, stage.Name, "", "failed", reason)
	for _, target := range targets {
		tr := run.Targets[target]
		if (tr.Phase == PhaseOneboxDeploying || tr.Phase == PhaseFullDeploying) && tr.Step.Outcome == "" {
			tr.Phase, tr.Since = PhaseRollbackPending, pl.now
			pl.decide(r, stage.Name, target, string(PhaseRollbackPending), "its deploy is still in flight; rolled back once it reports or times out")
			continue
		}
		pl.startRollback(r, rp, stage, target, tr)
	}
}

func heldAfterRollback(stage string, h *Hold) string {
	return fmt.Sprintf("%s is held after release %d was rolled back there (%s); /deploy resume lifts it", stage, h.ReleaseID, h.Reason)
}

func (pl *planner) startRollback(r *Release, rp Pipeline, stage Stage, target string, tr *TargetRun) {
	inv := pl.inventory(target)
	// The target may have finished baking this release before another
	// target failed it: what it ran before is what goes back.
	inv.LastGood = tr.RollbackTo
	if inv.LastGood == "" {
		tr.Phase, tr.Since = PhaseNothingToRollBack, pl.now
		pl.decide(r, stage.Name, target, string(PhaseNothingToRollBack), "no earlier release finished here; held as it is")
		pl.notices = append(pl.notices, Notice{Kind: NoticeNothingToRevert, ReleaseID: r.ID, Stage: stage.Name, Target: target,
			Text: fmt.Sprintf("%s has no earlier good release to roll back to; it is left on %s and held", target, short(r.SHA))})
		return
	}
	if tr.Step != nil && tr.Step.Action == ActionDeploy {
		tr.Undone = tr.Step
	}
	step := &Step{
		Key:    StepKey(r.ID, stage.Name, target, VariantFull, ActionRollback),
		Action: ActionRollback, Variant: VariantFull, SHA: inv.LastGood, PreviousSHA: inv.Running, StartedAt: pl.now,
	}
	tr.Phase, tr.Since, tr.Step, tr.BakeUntil = PhaseRollbackDeploying, pl.now, step, time.Time{}
	inv.Running = inv.LastGood
	pl.deploys = append(pl.deploys, pl.effect(r, rp, stage, target, *step))
	pl.wakeAt(pl.now.Add(deployTimeout(rp)))
	pl.decide(r, stage.Name, target, string(PhaseRollbackDeploying), fmt.Sprintf("rolling back to %s", short(inv.LastGood)))
}

// rollbacks moves the rollbacks of a failed stage forward.
func (pl *planner) rollbacks(r *Release, rp Pipeline, stage Stage, run *StageRun) {
	timeout := deployTimeout(rp)
	for _, target := range stage.Targets {
		tr := run.Targets[target]
		if tr == nil {
			continue
		}
		switch tr.Phase {
		case PhaseRollbackPending:
			s := tr.Step
			if s.Outcome == "" {
				deadline := s.StartedAt.Add(timeout)
				if pl.now.Before(deadline) {
					pl.wakeAt(deadline)
					continue
				}
				s.Outcome, s.Reason, s.FinishedAt = OutcomeTimedOut, "no result within the deploy timeout", pl.now
			}
			pl.startRollback(r, rp, stage, target, tr)
		case PhaseRollbackDeploying:
			s := tr.Step
			switch {
			case s.Outcome == OutcomeSuccess:
				tr.Phase, tr.Since, tr.BakeUntil = PhaseRollbackBaking, s.FinishedAt, s.FinishedAt.Add(stage.Bake)
				pl.decide(r, stage.Name, target, string(PhaseRollbackBaking), "the rollback deploy succeeded; baking")
			case s.Outcome == OutcomeFailed || !pl.now.Before(s.StartedAt.Add(timeout)):
				if s.Outcome == "" {
					s.Outcome, s.Reason, s.FinishedAt = OutcomeTimedOut, "no result within the deploy timeout", pl.now
				}
				tr.Phase, tr.Since = PhaseRollbackFailed, pl.now
				why := fmt.Sprintf("the rollback of %s to %s failed: %s", target, short(s.SHA), s.Reason)
				pl.st.Paused = why + "; fix it, then /deploy resume"
				pl.decide(r, stage.Name, target, string(PhaseRollbackFailed), why)
				pl.notices = append(pl.notices, Notice{Kind: NoticeRollbackFailed, ReleaseID: r.ID, Stage: stage.Name, Target: target, Text: why})
			default:
				pl.wakeAt(s.StartedAt.Add(timeout))
			}
		case PhaseRollbackBaking:
			if pl.now.Before(tr.BakeUntil) {
				pl.wakeAt(tr.BakeUntil)
				continue
			}
			tr.Phase, tr.Since = PhaseRolledBack, pl.now
			pl.decide(r, stage.Name, target, string(PhaseRolledBack), "the rollback baked")
		}
	}
}
