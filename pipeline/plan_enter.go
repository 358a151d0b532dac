package pipeline

import "fmt"

// Entering a stage. A stage works on one release at a time; when it is
// free it takes the newest release that finished the stage before it, and
// older ones waiting there are superseded. A stage held after a rollback
// lets no newer release in until someone resumes it.

// admit lets into the stage called name the newest release that finished
// the stage before it (in that release's own pipeline); older ones waiting
// at the same point are superseded, since a newer release will always be
// taken before them.
func (pl *planner) admit(name string) {
	var waiting []*Release
	for _, r := range pl.st.Releases {
		if pl.waitsFor(r, name) {
			waiting = append(waiting, r)
		}
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
	if h := pl.st.Holds[name]; h != nil && !pl.lifted(newest, BlockerRollback, name, "") {
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

// waitsFor reports whether r may enter the stage called name: it is active,
// has not been there, and finished the stage before it.
func (pl *planner) waitsFor(r *Release, name string) bool {
	if r.Status != ReleaseActive || r.Stages[name] != nil {
		return false
	}
	rp := pl.pipelineOf(r)
	i := stageIndex(rp, name)
	switch {
	case i < 0:
		return false
	case i > 0:
		prev := r.Stages[rp.Stages[i-1].Name]
		return prev != nil && prev.Status == StageSucceeded
	}
	return len(r.Stages) == 0
}

// supersedeBlocked takes out of stage i a release that a blocked commit
// holds before its first deploy there, when a newer release waits to enter:
// the blocked one would never leave the stage by itself, and the newer one
// is how the commit gets fixed forward (a revert, overridden). It reports
// whether it did.
func (pl *planner) supersedeBlocked(r *Release, rp Pipeline, i int, run *StageRun) bool {
	stage := rp.Stages[i]
	if stage.IsApproval() || len(run.Targets) > 0 {
		return false
	}
	var why string
	for _, b := range blockedCommits(&pl.st, r) {
		if lifted, _ := overridden(&pl.st, r.ID, b.Kind, stage.Name, stage.Targets[0], pl.now); !lifted {
			why = b.Reason
			break
		}
	}
	if why == "" {
		return false
	}
	var newer *Release
	for _, n := range pl.st.Releases {
		if n.ID > r.ID && pl.waitsFor(n, stage.Name) {
			newer = n
		}
	}
	if newer == nil {
		return false
	}
	r.Status = ReleaseSuperseded
	r.Reason = fmt.Sprintf("superseded by release %d in %s, where %s", newer.ID, stage.Name, why)
	run.Status, run.FinishedAt, run.Reason = StageSuperseded, pl.now, r.Reason
	pl.decide(r, stage.Name, "", "superseded", r.Reason)
	return true
}
