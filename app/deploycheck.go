package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/handlers"
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// DeployCheckName is the check run that reports a release on its commit.
const DeployCheckName = "wavegate/deploy"

// Button identifiers of the deploy check run (GitHub allows 20 characters).
const (
	buttonApprove  = "approve"
	buttonPause    = "pause"
	buttonResume   = "resume"
	buttonRollback = "rollback"
)

// updateDeployCheck brings the release's check run up to date: created in
// progress, its summary the release's view, completed when the release is.
func (a *App) updateDeployCheck(ctx context.Context, client *github.Client, repo string, p pipeline.Pipeline, st pipeline.State, r *pipeline.Release, v notify.ReleaseView, summary string) error {
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
	id, err := a.store.CheckRun(ctx, repo, r.SHA, checkName)
	if errors.Is(err, store.ErrNotFound) {
		run, _, err := client.Checks.CreateCheckRun(ctx, owner, name, github.CreateCheckRunOptions{
			Name: checkName, HeadSHA: r.SHA, Status: github.String("in_progress"),
			ExternalID: github.String(fmt.Sprintf("%s/%d", p.Name, r.ID)),
			StartedAt:  &github.Timestamp{Time: a.opts.Clock.Now()}, Output: output, Actions: actions,
		})
		if err != nil {
			return fmt.Errorf("create the deploy check of release %d on %s: %w", r.ID, repo, err)
		}
		if err := a.store.SaveCheckRun(ctx, repo, r.SHA, checkName, run.GetID(), a.opts.Clock.Now()); err != nil {
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
		update.CompletedAt = &github.Timestamp{Time: a.opts.Clock.Now()}
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
	rollback := &github.CheckRunAction{Label: "Roll back", Identifier: buttonRollback,
		Description: "Roll this release back where it runs"}
	if v.Status == "released" && runsAnywhere(st, r) {
		return append(actions, rollback)
	}
	if v.Status != "in progress" {
		return actions
	}
	for _, s := range v.Stages {
		if s.Status == "approval" {
			actions = append(actions, &github.CheckRunAction{Label: "Approve", Identifier: buttonApprove,
				Description: "Approve " + truncateRunes(s.Name, 30)})
			break
		}
	}
	if st.Paused != "" || len(st.Holds) > 0 {
		actions = append(actions, &github.CheckRunAction{Label: "Resume", Identifier: buttonResume,
			Description: "Lift the pause and rollback holds"})
	} else {
		actions = append(actions, &github.CheckRunAction{Label: "Pause", Identifier: buttonPause,
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

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// buttonLabels name the buttons as people see them, for the refusal note.
var buttonLabels = map[string]string{
	buttonApprove: "Approve", buttonPause: "Pause", buttonResume: "Resume", buttonRollback: "Roll back",
}

// buttonsNeed is the role a press needs until the /deploy commands land
// with their own authorization.
const buttonsNeed = checks.PermissionAdmin

// onDeployCheckAction routes a press of a deploy check button to the
// engine, after asking GitHub for the presser's role as it is now: a role
// remembered from a few minutes ago may have been taken away since. A
// refused press, by role or by the engine (an author approving their own
// release), is shown on the check run, since a button has no reply.
func (a *App) onDeployCheckAction(ctx context.Context, e *github.CheckRunEvent, d store.Delivery) error {
	run := e.GetCheckRun()
	if !strings.HasPrefix(run.GetName(), DeployCheckName+" (") {
		return nil
	}
	pipelineName, idText, ok := strings.Cut(run.GetExternalID(), "/")
	releaseID, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil {
		return fmt.Errorf("deploy check %d: external id %q is not pipeline/release", run.GetID(), run.GetExternalID())
	}
	repo := e.GetRepo()
	owner, name, by := repo.GetOwner().GetLogin(), repo.GetName(), e.GetSender().GetLogin()
	button := e.GetRequestedAction().Identifier
	key := pipeline.Key{Repository: repo.GetFullName(), Pipeline: pipelineName}
	log := a.opts.Logger.With("repository", key.Repository, "release", releaseID, "by", by, "action", button)
	client, err := a.installationClient(e.GetInstallation().GetID())
	if err != nil {
		return err
	}
	label := cmp.Or(buttonLabels[button], button)
	refuse := func(reason string) error {
		log.Warn("deploy check button refused", "reason", reason)
		at := d.ReceivedAt
		if at.IsZero() {
			at = a.opts.Clock.Now()
		}
		return a.reportRefusal(ctx, key, releaseID, cmp.Or(d.ID, strconv.FormatInt(at.UnixNano(), 10)),
			refusalNote{By: by, Action: label, At: at, Reason: reason})
	}
	err = a.permissions.Authorize(ctx, client, owner, name, by, buttonsNeed)
	var role *githubapp.RoleError
	if errors.As(err, &role) {
		return refuse(role.Explain("pressing the deploy check's buttons"))
	}
	if err != nil {
		return err
	}
	// An error from the operation is the engine refusing the press; any
	// other error from Apply is a failure to load or save, retried.
	var refused error
	_, err = a.runner.Apply(ctx, key, func(p pipeline.Pipeline, st *pipeline.State) error {
		refused = pressButton(p, st, button, releaseID, by, a.opts.Clock.Now())
		return refused
	})
	if refused != nil {
		return refuse(refused.Error())
	}
	if err != nil {
		return err
	}
	log.Info("deploy check button applied")
	return nil
}

func pressButton(p pipeline.Pipeline, st *pipeline.State, button string, releaseID int64, by string, now time.Time) error {
	switch button {
	case buttonApprove:
		return pipeline.Decide(p, st, releaseID, "", true, by, "approved from the check run", false, now)
	case buttonPause:
		return pipeline.Pause(st, by, "paused from the deploy check run")
	case buttonResume:
		pipeline.Resume(st, "")
		return nil
	case buttonRollback:
		return pipeline.Rollback(p, st, releaseID, "", "", by, "rolled back from the deploy check run", now)
	}
	return fmt.Errorf("this check run has no button %q", button)
}

// refusalNote is a refused press, carried by its report effect.
type refusalNote struct {
	By     string    `json:"by"`
	Action string    `json:"action"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// reportRefusal asks, through the outbox like every report, for the
// release's deploy check to show the refusal. The delivery id keys it, so a
// redelivered press is shown once.
func (a *App) reportRefusal(ctx context.Context, key pipeline.Key, releaseID int64, pressID string, n refusalNote) error {
	payload, err := json.Marshal(reportPayload{Repository: key.Repository, Pipeline: key.Pipeline, ReleaseID: releaseID, Refusal: &n})
	if err != nil {
		return err
	}
	e := store.Effect{Key: outboxKey(key, fmt.Sprintf("report/r%d/refused/%s", releaseID, pressID)),
		Kind: effectReport, Payload: payload, CreatedAt: a.opts.Clock.Now()}
	if err := a.store.AddEffects(ctx, e); err != nil {
		return fmt.Errorf("report the refused press of release %d of %s: %w", releaseID, key.Repository, err)
	}
	a.effects.Notify()
	return nil
}

func (a *App) onCheckRunAction(ctx context.Context, ev handlers.Event) error {
	e, ok := ev.Payload.(*github.CheckRunEvent)
	if !ok {
		return nil
	}
	return a.onDeployCheckAction(ctx, e, ev.Delivery)
}
