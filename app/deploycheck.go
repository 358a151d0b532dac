package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/handlers"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// DeployCheckName is the check run that reports a release on its commit.
const DeployCheckName = effects.DeployCheckName

// buttonLabel names a button as people see it, for the refusal note.
func buttonLabel(button string) string {
	switch button {
	case effects.ButtonApprove:
		return "Approve"
	case effects.ButtonPause:
		return "Pause"
	case effects.ButtonResume:
		return "Resume"
	case effects.ButtonRollback:
		return "Roll back"
	}
	return button
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
	label := buttonLabel(button)
	refuse := func(reason string) error {
		log.Warn("deploy check button refused", "reason", reason)
		at := d.ReceivedAt
		if at.IsZero() {
			at = a.opts.Clock.Now()
		}
		return a.reportRefusal(ctx, key, releaseID, cmp.Or(d.ID, strconv.FormatInt(at.UnixNano(), 10)),
			effects.RefusalNote{By: by, Action: label, At: at, Reason: reason})
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
	case effects.ButtonApprove:
		return pipeline.Decide(p, st, releaseID, "", true, by, "approved from the check run", false, now)
	case effects.ButtonPause:
		return pipeline.Pause(st, by, "paused from the deploy check run")
	case effects.ButtonResume:
		pipeline.Resume(st, "")
		return nil
	case effects.ButtonRollback:
		return pipeline.Rollback(p, st, releaseID, "", "", by, "rolled back from the deploy check run", now)
	}
	return fmt.Errorf("this check run has no button %q", button)
}

// reportRefusal asks, through the outbox like every report, for the
// release's deploy check to show the refusal. The delivery id keys it, so a
// redelivered press is shown once.
func (a *App) reportRefusal(ctx context.Context, key pipeline.Key, releaseID int64, pressID string, n effects.RefusalNote) error {
	e, err := effects.RefusalEffect(key, releaseID, pressID, n, a.opts.Clock.Now())
	if err != nil {
		return err
	}
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
