package pipeline

import (
	"slices"
	"time"
)

// The planner's rules are DESIGN.md's ("The engine"), one file each:
// entering a stage (plan_enter.go), deploying its targets (plan_deploy.go),
// a target's deploy and bake (plan_target.go), approval stages
// (plan_approval.go), rolling back after a failure (plan_rollback.go) or
// by hand (rollback.go), blockers (blockers.go) and what a state keeps
// (plan_keep.go). This file drives them, stage by stage, until nothing
// changes.

// Plan applies the engine's rules to one pipeline's state at now and returns
// the next state, the deploy steps and notices that state needs, every
// decision with its reason, the deploys held by blockers, and when to run
// again. It is pure: st is not modified, and calling Plan again on the
// result at the same now changes nothing (a fixed point), which is what lets
// the runner retry after a crash without doubling anything.
func Plan(p Pipeline, st State, in Inputs, now time.Time) Result {
	pl := &planner{p: p, st: cloneState(st), in: in, now: now}
	if pl.st.Targets == nil {
		pl.st.Targets = map[string]*Inventory{}
	}
	if pl.st.Holds == nil {
		pl.st.Holds = map[string]*Hold{}
	}
	pl.manualRollbacks()
	order, most := pl.stageOrder()
	// Each pass can enable the next (a 0s bake, a stage finishing frees the
	// next one); the bound only guards against a bug looping forever.
	for pass := 0; pass < 8*(len(order)+1)*(most+1); pass++ {
		pl.changed = false
		pl.held = nil
		for _, name := range order {
			pl.stage(name)
		}
		if !pl.changed {
			break
		}
	}
	pl.dropFinished()
	pl.dropUnusedConfigs()
	pl.st.Held = pl.held
	pl.noteHolds(st.Held)
	return Result{State: pl.st, Deploys: pl.deploys, Notices: pl.notices, Decisions: pl.decisions, Held: pl.held, WakeAt: pl.wake}
}

type planner struct {
	p       Pipeline
	st      State
	in      Inputs
	now     time.Time
	changed bool

	deploys   []DeployEffect
	notices   []Notice
	decisions []Decision
	held      []Held
	wake      time.Time
}

func (pl *planner) decide(r *Release, stage, target, what, reason string) {
	pl.changed = true
	pl.decisions = append(pl.decisions, Decision{ReleaseID: r.ID, Stage: stage, Target: target, What: what, Reason: reason})
}

func (pl *planner) wakeAt(t time.Time) {
	if t.After(pl.now) && (pl.wake.IsZero() || t.Before(pl.wake)) {
		pl.wake = t
	}
}

// pipelineOf is the configuration a release travels with.
func (pl *planner) pipelineOf(r *Release) Pipeline { return pl.st.PipelineOf(r, pl.p) }

// stageOrder lists every stage name any release may be in, the current
// pipeline's first: stages are shared by name, whichever configuration a
// release has. It also returns the most targets any stage has.
func (pl *planner) stageOrder() ([]string, int) {
	var names []string
	most := 0
	add := func(p Pipeline) {
		for _, s := range p.Stages {
			if !slices.Contains(names, s.Name) {
				names = append(names, s.Name)
			}
			most = max(most, len(s.Targets))
		}
	}
	add(pl.p)
	for _, r := range pl.st.Releases {
		add(pl.pipelineOf(r))
	}
	return names, most
}

// stage advances the stage called name: its rollbacks, its active
// release, or admits the next release.
func (pl *planner) stage(name string) {
	active := false
	for _, r := range pl.st.Releases {
		run := r.Stages[name]
		if run == nil {
			continue
		}
		rp := pl.pipelineOf(r)
		i := stageIndex(rp, name)
		if i < 0 {
			continue
		}
		switch run.Status {
		case StageActive:
			if pl.supersedeBlocked(r, rp, i, run) {
				continue
			}
			active = true
			pl.progress(r, rp, i, run)
		case StageFailed:
			pl.rollbacks(r, rp, rp.Stages[i], run)
		}
	}
	if !active {
		pl.admit(name)
	}
}

func stageIndex(p Pipeline, name string) int {
	return slices.IndexFunc(p.Stages, func(s Stage) bool { return s.Name == name })
}

func deployTimeout(p Pipeline) time.Duration {
	if p.DeployTimeout > 0 {
		return p.DeployTimeout
	}
	return DefaultDeployTimeout
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
