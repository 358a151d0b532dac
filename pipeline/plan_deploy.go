package pipeline

import (
	"fmt"
	"time"
)

// Deploying a stage's targets: in declared order, at most parallel at a
// time, each first one-box (when the stage says so) then full, and none
// while a blocker holds it. Each step is an effect with an idempotency key
// the outbox performs once.

// progress moves a release forward in stage i of its pipeline rp.
func (pl *planner) progress(r *Release, rp Pipeline, i int, run *StageRun) {
	stage := rp.Stages[i]
	if stage.IsApproval() {
		pl.approval(r, rp, i, run)
		return
	}
	inFlight := 0
	for _, target := range stage.Targets {
		tr := run.Targets[target]
		if tr == nil {
			continue
		}
		if failed := pl.target(r, rp, stage, target, tr); failed {
			return
		}
		if tr.Phase != PhaseDone {
			inFlight++
		}
	}
	parallel := min(max(stage.Parallel, 1), len(stage.Targets))
	for _, target := range stage.Targets {
		if inFlight >= parallel {
			break
		}
		if run.Targets[target] != nil {
			continue
		}
		// Targets go in declared order: a held target holds those after it.
		if !pl.startDeploy(r, rp, stage, target, run, VariantFirst(stage)) {
			break
		}
		inFlight++
	}
	for _, target := range stage.Targets {
		if tr := run.Targets[target]; tr == nil || tr.Phase != PhaseDone {
			return
		}
	}
	run.Status, run.FinishedAt = StageSucceeded, pl.now
	pl.decide(r, stage.Name, "", "succeeded", "every target finished its bake")
	if i == len(rp.Stages)-1 {
		r.Status = ReleaseSucceeded
		pl.decide(r, "", "", "released", "it finished the last stage")
	}
}

// VariantFirst is the first deploy of a target in stage: one-box or full.
func VariantFirst(stage Stage) string {
	if stage.OneBox {
		return VariantOnebox
	}
	return VariantFull
}

// startDeploy starts a deploy step unless a blocker holds it; it reports
// whether it started.
func (pl *planner) startDeploy(r *Release, rp Pipeline, stage Stage, target string, run *StageRun, variant string) bool {
	if bs := pl.blockers(r, stage, target); len(bs) > 0 {
		pl.held = append(pl.held, Held{ReleaseID: r.ID, Stage: stage.Name, Target: target, Blockers: bs})
		for _, b := range bs {
			pl.wakeAt(b.Until)
		}
		return false
	}
	inv := pl.inventory(target)
	step := &Step{
		Key:    StepKey(r.ID, stage.Name, target, variant, ActionDeploy),
		Action: ActionDeploy, Variant: variant, SHA: r.SHA, PreviousSHA: inv.Running, StartedAt: pl.now,
	}
	phase := PhaseFullDeploying
	if variant == VariantOnebox {
		phase = PhaseOneboxDeploying
	}
	tr := run.Targets[target]
	if tr == nil {
		tr = &TargetRun{RollbackTo: inv.LastGood}
		run.Targets[target] = tr
	}
	tr.Phase, tr.Since, tr.Step, tr.BakeUntil = phase, pl.now, step, time.Time{}
	inv.Running = r.SHA
	pl.deploys = append(pl.deploys, pl.effect(r, rp, stage, target, *step))
	pl.wakeAt(pl.now.Add(deployTimeout(rp)))
	pl.decide(r, stage.Name, target, string(phase), fmt.Sprintf("%s deploy of %s started", variant, short(r.SHA)))
	return true
}

func (pl *planner) effect(r *Release, rp Pipeline, stage Stage, target string, step Step) DeployEffect {
	return DeployEffect{ReleaseID: r.ID, Pipeline: pl.p.Name, Stage: stage.Name, Target: target,
		Production: stage.Production, Timeout: deployTimeout(rp), Step: step}
}

// StepKey is a deploy step's idempotency key: one per release, stage,
// target, variant and action, so a decision replayed after a crash names the
// same step and the outbox does not perform it twice.
func StepKey(releaseID int64, stage, target, variant, action string) string {
	return fmt.Sprintf("r%d/%s/%s/%s/%s", releaseID, stage, target, variant, action)
}

func (pl *planner) inventory(target string) *Inventory {
	inv := pl.st.Targets[target]
	if inv == nil {
		inv = &Inventory{}
		pl.st.Targets[target] = inv
	}
	return inv
}
