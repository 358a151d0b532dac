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
