package effects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// Button identifiers of the deploy check run (GitHub allows 20 characters).
const (
	ButtonApprove  = "approve"
	ButtonPause    = "pause"
	ButtonResume   = "resume"
	ButtonRollback = "rollback"
)

// updateDeployCheck brings the release's check run up to date: created in
// progress, its summary the release's view, completed when the release is.
func (rp *Reports) updateDeployCheck(ctx context.Context, client *github.Client, repo string, p pipeline.Pipeline, st pipeline.State, r *pipeline.Release, v notify.ReleaseView, summary string) error {
	owner, name, _ := strings.Cut(repo, "/")
	title := fmt.Sprintf("Release %d of %s: %s", r.ID, p.Name, v.Status)
	output := &github.CheckRunOutput{Title: github.String(title), Summary: github.String(summary)}
	checkName := DeployCheckName + " (" + p.Name + ")"
	status, conclusion := "in_progress", ""
	switch r.Status {
	case pipeline.ReleaseSucceeded:
		status, conclusion = "completed", "success"
	case pipeline.ReleaseFailed:
		status, conclusion = "completed", "failure"
	case pipeline.ReleaseSuperseded:
		status, conclusion = "completed", "neutral"
	}
	actions := deployActions(st, r, v)
	id, err := rp.Store.CheckRun(ctx, repo, r.SHA, checkName)
	if errors.Is(err, store.ErrNotFound) {
		run, _, err := client.Checks.CreateCheckRun(ctx, owner, name, github.CreateCheckRunOptions{
			Name: checkName, HeadSHA: r.SHA, Status: github.String("in_progress"),
			ExternalID: github.String(fmt.Sprintf("%s/%d", p.Name, r.ID)),
			StartedAt:  &github.Timestamp{Time: rp.Clock.Now()}, Output: output, Actions: actions,
		})
		if err != nil {
			return fmt.Errorf("create the deploy check of release %d on %s: %w", r.ID, repo, err)
		}
		if err := rp.Store.SaveCheckRun(ctx, repo, r.SHA, checkName, run.GetID(), rp.Clock.Now()); err != nil {
			return err
		}
		if status == "in_progress" {
			return nil
		}
		id = run.GetID()
	} else if err != nil {
		return err
	}
	update := checkRunUpdate{Name: checkName, Status: status, Output: output, Actions: actions}
	if conclusion != "" {
		update.Conclusion = conclusion
		update.CompletedAt = &github.Timestamp{Time: rp.Clock.Now()}
	}
	req, err := client.NewRequest("PATCH", fmt.Sprintf("repos/%s/%s/check-runs/%d", owner, name, id), update)
	if err == nil {
		_, err = client.Do(ctx, req, nil)
	}
	if err != nil {
		return fmt.Errorf("update the deploy check of release %d on %s: %w", r.ID, repo, err)
	}
	return nil
}

// checkRunUpdate is a check-run update that always sends its actions:
// go-github leaves out an empty list, and only an empty list takes the
// buttons off a finished release.
type checkRunUpdate struct {
	Name        string                   `json:"name"`
	Status      string                   `json:"status"`
	Conclusion  string                   `json:"conclusion,omitempty"`
	CompletedAt *github.Timestamp        `json:"completed_at,omitempty"`
	Output      *github.CheckRunOutput   `json:"output"`
	Actions     []*github.CheckRunAction `json:"actions"`
}

// deployActions are the check run's buttons: Approve while an approval
// waits, Pause or Resume while the release moves, and Roll back while it
// runs anywhere (GitHub shows three at most; an empty list removes them).
func deployActions(st pipeline.State, r *pipeline.Release, v notify.ReleaseView) []*github.CheckRunAction {
	actions := []*github.CheckRunAction{}
	rollback := &github.CheckRunAction{Label: "Roll back", Identifier: ButtonRollback,
		Description: "Roll this release back where it runs"}
	if v.Status == "released" && runsAnywhere(st, r) {
		return append(actions, rollback)
	}
	if v.Status != "in progress" {
		return actions
	}
	for _, s := range v.Stages {
		if s.Status == "approval" {
			actions = append(actions, &github.CheckRunAction{Label: "Approve", Identifier: ButtonApprove,
				Description: "Approve " + truncateRunes(s.Name, 30)})
			break
		}
	}
	if st.Paused != "" || len(st.Holds) > 0 {
		actions = append(actions, &github.CheckRunAction{Label: "Resume", Identifier: ButtonResume,
			Description: "Lift the pause and rollback holds"})
	} else {
		actions = append(actions, &github.CheckRunAction{Label: "Pause", Identifier: ButtonPause,
			Description: "Start no new deploy in this pipeline"})
	}
	if runsAnywhere(st, r) {
		actions = append(actions, rollback)
	}
	return actions
}

// runsAnywhere says whether some target runs the release, or is receiving
// it, and is not already rolling it back: what a rollback could undo.
func runsAnywhere(st pipeline.State, r *pipeline.Release) bool {
	for _, run := range r.Stages {
		for target, tr := range run.Targets {
			switch tr.Phase {
			case pipeline.PhaseOneboxDeploying, pipeline.PhaseOneboxBaking, pipeline.PhaseFullDeploying,
				pipeline.PhaseFullBaking, pipeline.PhaseDone:
				if inv := st.Targets[target]; inv != nil && inv.Running == r.SHA {
					return true
				}
			}
		}
	}
	return false
}

// RefusalNote is a refused press, carried by its report effect.
type RefusalNote struct {
	By     string    `json:"by"`
	Action string    `json:"action"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// RefusalEffect asks, through the outbox like every report, for the
// release's deploy check to show a refused press. pressID keys it, so a
// redelivered press is shown once.
func RefusalEffect(key pipeline.Key, releaseID int64, pressID string, n RefusalNote, now time.Time) (store.Effect, error) {
	payload, err := json.Marshal(reportPayload{Repository: key.Repository, Pipeline: key.Pipeline, ReleaseID: releaseID, Refusal: &n})
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Key: OutboxKey(key, fmt.Sprintf("report/r%d/refused/%s", releaseID, pressID)),
		Kind: KindReport, Payload: payload, CreatedAt: now}, nil
}
