package pipeline

import "fmt"

// Approval stages: a release waits for /deploy approve; rejected, or not
// approved within the stage's timeout, it fails there. Nothing was deployed
// in such a stage, so nothing is rolled back and the stage is not held.

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
