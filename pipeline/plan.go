package pipeline

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

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

// KeptFinished is how many finished releases a state keeps (newest first),
// for reports and commands that name a recent release; older ones are
// dropped, so a pipeline's state, and each wake-up's cost, stays bounded by
// what is in flight.
const KeptFinished = 5

// finished reports whether the planner has nothing left to do for r.
func finished(r *Release) bool {
	if r.RollbackRequest != nil {
		return false
	}
	switch r.Status {
	case ReleaseSucceeded, ReleaseSuperseded:
		return true
	case ReleaseFailed:
		for _, run := range r.Stages {
			for _, tr := range run.Targets {
				switch tr.Phase {
				case PhaseRollbackPending, PhaseRollbackDeploying, PhaseRollbackBaking:
					return false
				}
			}
		}
		return true
	}
	return false
}

func (pl *planner) dropFinished() {
	var kept []*Release
	n := 0
	for i := len(pl.st.Releases) - 1; i >= 0; i-- {
		r := pl.st.Releases[i]
		if finished(r) {
			if n++; n > KeptFinished {
				continue
			}
		}
		kept = append(kept, r)
	}
	slices.Reverse(kept)
	pl.st.Releases = kept
	pl.st.Overrides = slices.DeleteFunc(pl.st.Overrides, func(o Override) bool {
		return !slices.ContainsFunc(kept, func(r *Release) bool { return r.ID == o.ReleaseID })
	})
}

// dropUnusedConfigs forgets configurations no release refers to any more.
func (pl *planner) dropUnusedConfigs() {
	for hash := range pl.st.Configs {
		if !slices.ContainsFunc(pl.st.Releases, func(r *Release) bool { return r.Config == hash }) {
			delete(pl.st.Configs, hash)
		}
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

// admit lets into the stage called name the newest release that finished
// the stage before it (in that release's own pipeline); older ones waiting
// at the same point are superseded, since a newer release will always be
// taken before them.
func (pl *planner) admit(name string) {
	var waiting []*Release
	for _, r := range pl.st.Releases {
		if r.Status != ReleaseActive || r.Stages[name] != nil {
			continue
		}
		rp := pl.pipelineOf(r)
		i := stageIndex(rp, name)
		switch {
		case i < 0:
			continue
		case i > 0:
			prev := r.Stages[rp.Stages[i-1].Name]
			if prev == nil || prev.Status != StageSucceeded {
				continue
			}
		case len(r.Stages) > 0:
			continue
		}
		waiting = append(waiting, r)
	}
	if len(waiting) == 0 {
		return
	}
	newest := waiting[len(waiting)-1]
	for _, r := range waiting[:len(waiting)-1] {
		r.Status = ReleaseSuperseded
		r.Reason = fmt.Sprintf("superseded by release %d before %s", newest.ID, name)
		r.Stages[name] = &StageRun{Status: StageSuperseded, FinishedAt: pl.now, Reason: r.Reason}
		pl.decide(r, name, "", "superseded", r.Reason)
	}
	if h := pl.st.Holds[name]; h != nil && !overridden(&pl.st, newest.ID, BlockerRollback, name, "") {
		pl.held = append(pl.held, Held{ReleaseID: newest.ID, Stage: name, Blockers: []Blocker{{
			Kind: BlockerRollback, Reason: heldAfterRollback(name, h)}}})
		return
	}
	rp := pl.pipelineOf(newest)
	i := stageIndex(rp, name)
	run := &StageRun{Status: StageActive, StartedAt: pl.now, Targets: map[string]*TargetRun{}}
	if newest.Stages == nil {
		newest.Stages = map[string]*StageRun{}
	}
	newest.Stages[name] = run
	reason := "the stage was free"
	if i > 0 {
		reason = fmt.Sprintf("it finished %s", rp.Stages[i-1].Name)
	}
	pl.decide(newest, name, "", "entered", reason)
	if rp.Stages[i].IsApproval() {
		run.ApprovalRequestedAt = pl.now
		pl.notices = append(pl.notices, Notice{Kind: NoticeApprovalNeeded, ReleaseID: newest.ID, Stage: name,
			Text: fmt.Sprintf("Release %d (%s) waits for approval in %s", newest.ID, short(newest.SHA), name)})
	}
}

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

// target moves one target forward; it reports whether the stage failed.
func (pl *planner) target(r *Release, rp Pipeline, stage Stage, target string, tr *TargetRun) (failed bool) {
	timeout := deployTimeout(rp)
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
		if pl.now.Before(tr.BakeUntil) {
			pl.wakeAt(tr.BakeUntil)
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

func (pl *planner) approval(r *Release, rp Pipeline, i int, run *StageRun) {
	stage := rp.Stages[i]
	switch {
	case run.Decision != nil && run.Decision.Approved:
		run.Status, run.FinishedAt = StageSucceeded, pl.now
		pl.decide(r, stage.Name, "", "approved", "approved by @"+run.Decision.By)
		if i == len(rp.Stages)-1 {
			r.Status = ReleaseSucceeded
		}
	case run.Decision != nil:
		pl.endRelease(r, stage, run, ReleaseFailed, fmt.Sprintf("rejected by @%s: %s", run.Decision.By, run.Decision.Reason))
	default:
		timeout := stage.Approval.Timeout
		if timeout <= 0 {
			timeout = DefaultApprovalTimeout
		}
		deadline := run.ApprovalRequestedAt.Add(timeout)
		if !pl.now.Before(deadline) {
			pl.endRelease(r, stage, run, ReleaseFailed, fmt.Sprintf("not approved within %s", timeout))
			return
		}
		pl.wakeAt(deadline)
		pl.held = append(pl.held, Held{ReleaseID: r.ID, Stage: stage.Name, Blockers: []Blocker{{
			Kind: BlockerApproval, Reason: "waiting for approval", Until: deadline}}})
	}
}

// endRelease finishes a release in a stage that deployed nothing (an
// approval stage): no rollback, no hold.
func (pl *planner) endRelease(r *Release, stage Stage, run *StageRun, status ReleaseStatus, reason string) {
	run.Status, run.FinishedAt, run.Reason = StageFailed, pl.now, reason
	r.Status, r.Reason = status, reason
	pl.decide(r, stage.Name, "", "failed", reason)
	pl.notices = append(pl.notices, Notice{Kind: NoticeReleaseFailed, ReleaseID: r.ID, Stage: stage.Name,
		Text: fmt.Sprintf("Release %d (%s) stopped at %s: %s", r.ID, short(r.SHA), stage.Name, reason)})
}

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
	return fmt.Sprintf("%s is held after release %d was rolled back there (%s); resuming the pipeline lifts it", stage, h.ReleaseID, h.Reason)
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
				pl.st.Paused = why + "; fix it, then resume the pipeline"
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

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// cloneState deep-copies st, so Plan never changes what it was given. It
// leaves out Held, which Plan computes anew.
func cloneState(st State) State {
	out := State{Paused: st.Paused, Overrides: slices.Clone(st.Overrides),
		Targets: make(map[string]*Inventory, len(st.Targets)), Holds: make(map[string]*Hold, len(st.Holds)),
		Configs: maps.Clone(st.Configs)}
	for k, v := range st.Targets {
		c := *v
		out.Targets[k] = &c
	}
	for k, v := range st.Holds {
		c := *v
		out.Holds[k] = &c
	}
	for _, r := range st.Releases {
		c := *r
		c.Authors, c.Pulls, c.Unreviewed = slices.Clone(r.Authors), slices.Clone(r.Pulls), slices.Clone(r.Unreviewed)
		if r.RollbackRequest != nil {
			q := *r.RollbackRequest
			c.RollbackRequest = &q
		}
		c.Stages = make(map[string]*StageRun, len(r.Stages))
		for name, run := range r.Stages {
			rc := *run
			if run.Decision != nil {
				d := *run.Decision
				rc.Decision = &d
			}
			rc.Targets = make(map[string]*TargetRun, len(run.Targets))
			for t, tr := range run.Targets {
				tc := *tr
				tc.Step, tc.Undone = cloneStep(tr.Step), cloneStep(tr.Undone)
				rc.Targets[t] = &tc
			}
			c.Stages[name] = &rc
		}
		out.Releases = append(out.Releases, &c)
	}
	return out
}

func cloneStep(s *Step) *Step {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}
