package app

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/effects"
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

// buttonCommand is the /deploy command a button stands for: a press is
// authorized, applied and audited exactly as the typed command.
func buttonCommand(button string) (commands.Command, bool) {
	switch button {
	case effects.ButtonApprove:
		return commands.Command{Verb: commands.VerbApprove, Line: "/deploy approve"}, true
	case effects.ButtonPause:
		const why = "pressed Pause on the deploy check run"
		return commands.Command{Verb: commands.VerbPause, Line: `/deploy pause --reason "` + why + `"`, Reason: why}, true
	case effects.ButtonResume:
		return commands.Command{Verb: commands.VerbResume, Line: "/deploy resume"}, true
	case effects.ButtonRollback:
		const why = "pressed Roll back on the deploy check run"
		return commands.Command{Verb: commands.VerbRollback, Line: `/deploy rollback --reason "` + why + `"`, Reason: why}, true
	}
	return commands.Command{}, false
}

// onDeployCheckAction runs a press of a deploy check button as the command
// it stands for, acting as the GitHub user who pressed. A refused press
// is shown on the check run, since a button has no reply.
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
	by, button := e.GetSender().GetLogin(), e.GetRequestedAction().Identifier
	key := pipeline.Key{Repository: repo.GetFullName(), Pipeline: pipelineName}
	log := a.opts.Logger.With("repository", key.Repository, "release", releaseID, "by", by, "action", button)
	at := d.ReceivedAt
	if at.IsZero() {
		at = a.opts.Clock.Now()
	}
	pressID := cmp.Or(d.ID, strconv.FormatInt(at.UnixNano(), 10))
	refuse := func(reason string) error {
		log.Warn("deploy check button refused", "reason", reason)
		return a.reportRefusal(ctx, key, releaseID, pressID,
			effects.RefusalNote{By: by, Action: buttonLabel(button), At: at, Reason: reason})
	}
	c, ok := buttonCommand(button)
	if !ok {
		return refuse(fmt.Sprintf("this check run has no button %q", button))
	}
	resp, err := a.commands.Run(ctx, commandrun.Request{
		ID: pressID, Surface: store.SurfaceButton, Source: run.GetHTMLURL(),
		InstallationID: e.GetInstallation().GetID(), Repository: key.Repository,
		Pipeline: pipelineName, ReleaseID: releaseID, Login: by, Command: c, At: at,
	})
	if err != nil {
		return err
	}
	if resp.Outcome != commandrun.Accepted {
		return refuse(resp.Text)
	}
	log.Info("deploy check button applied", "did", resp.Text)
	return nil
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
