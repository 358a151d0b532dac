package pipeline

import "fmt"

// A target's way through a stage once its deploy started: the deploy
// succeeds, fails or times out; a success bakes; a baked one-box goes on
// to the full deploy, a baked full deploy makes the release the target's
// last good one. A failure or a timeout fails the stage (plan_rollback.go).

// target moves one target forward; it reports whether the stage failed.
func (pl *planner) target(r *Release, rp Pipeline, stage Stage, target string, tr *TargetRun) (failed bool) {
	timeout := deployTimeout(rp)
	switch tr.Phase {
	case PhaseOneboxDeploying, PhaseFullDeploying, PhaseOneboxBaking, PhaseFullBaking:
		if why := pl.alarmFailure(r, stage, target, tr); why != "" {
			pl.failStage(r, rp, stage, why)
			return true
		}
	}
	switch tr.Phase {
	case PhaseOneboxDeploying, PhaseFullDeploying:
		s := tr.Step
		switch s.Outcome {
		case OutcomeSuccess:
			next := PhaseOneboxBaking
			if tr.Phase == PhaseFullDeploying {
				next = PhaseFullBaking
			}
			tr.Phase, tr.Since, tr.BakeUntil = next, s.FinishedAt, s.FinishedAt.Add(stage.Bake)
			pl.decide(r, stage.Name, target, string(next), fmt.Sprintf("the %s deploy succeeded; baking %s", s.Variant, stage.Bake))
			return pl.target(r, rp, stage, target, tr)
		case OutcomeFailed:
			pl.failStage(r, rp, stage, fmt.Sprintf("the %s deploy of %s to %s failed: %s", s.Variant, short(s.SHA), target, s.Reason))
			return true
		}
		if deadline := s.StartedAt.Add(timeout); !pl.now.Before(deadline) {
			s.Outcome, s.Reason, s.FinishedAt = OutcomeTimedOut, "no result within the deploy timeout", pl.now
			pl.failStage(r, rp, stage, fmt.Sprintf("the %s deploy of %s to %s reported nothing within %s", s.Variant, short(s.SHA), target, timeout))
			return true
		} else {
			pl.wakeAt(deadline)
		}
	case PhaseOneboxBaking, PhaseFullBaking:
		prevCount, prevWaiting := progressStep(tr.Datapoints), tr.Waiting
		reached, failure := pl.datapointsGate(rp, stage, target, tr)
		if failure != "" {
			pl.failStage(r, rp, stage, failure)
			return true
		}
		if pl.now.Before(tr.BakeUntil) {
			pl.wakeAt(tr.BakeUntil)
			pl.noteBake(r, stage, target, tr, prevCount, prevWaiting)
			return false
		}
		// Its time is up: it ends unless data points or an alarm query
		// that cannot be evaluated keep it going, which it records for
		// the reports. The source wakes the runner when either changes.
		tr.Waiting = pl.queryErrorWait(r, stage, target)
		if !reached {
			tr.Waiting = "waiting for data points: " + tr.Datapoints.String()
		}
		if tr.Waiting != "" {
			pl.noteBake(r, stage, target, tr, prevCount, prevWaiting)
			return false
		}
		if tr.Phase == PhaseOneboxBaking {
			run := r.Stages[stage.Name]
			pl.startDeploy(r, rp, stage, target, run, VariantFull)
			return false
		}
		tr.Phase, tr.Since = PhaseDone, pl.now
		pl.inventory(target).LastGood = r.SHA
		pl.decide(r, stage.Name, target, "done", fmt.Sprintf("baked %s after the full deploy", stage.Bake))
	}
	return false
}
