package handlers

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// DeployButtons runs the buttons of the deploy check runs (Approve, Pause,
// Resume, Roll back) as the /deploy commands they stand for.
type DeployButtons struct {
	Runner  commandrun.Runner
	Effects EffectQueue
	// Notify wakes the outbox worker once a refusal is queued.
	Notify func()
	Clock  clock.Clock
	Logger *slog.Logger
}

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

// onCheckRunAction runs a press of a deploy check button as the command
// it stands for, acting as the GitHub user who pressed. A refused press
// is shown on the check run, since a button has no reply. Buttons on other
// check runs are not Wavegate's to answer.
func (h *DeployButtons) onCheckRunAction(ctx context.Context, ev Event) error {
	e, ok := ev.Payload.(*github.CheckRunEvent)
	if !ok {
		return nil
	}
	run := e.GetCheckRun()
	if !strings.HasPrefix(run.GetName(), effects.DeployCheckName+" (") {
		return nil
	}
	pipelineName, idText, ok := strings.Cut(run.GetExternalID(), "/")
	releaseID, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil {
		return fmt.Errorf("deploy check %d: external id %q is not pipeline/release", run.GetID(), run.GetExternalID())
	}
	d := ev.Delivery
	by, button := e.GetSender().GetLogin(), e.GetRequestedAction().Identifier
	key := pipeline.Key{Repository: e.GetRepo().GetFullName(), Pipeline: pipelineName}
	log := h.Logger.With("repository", key.Repository, "release", releaseID, "by", by, "action", button)
	at := d.ReceivedAt
	if at.IsZero() {
		at = h.Clock.Now()
	}
	pressID := cmp.Or(d.ID, strconv.FormatInt(at.UnixNano(), 10))
	refuse := func(reason string) error {
		log.Warn("deploy check button refused", "reason", reason)
		return h.reportRefusal(ctx, key, releaseID, pressID,
			effects.RefusalNote{By: by, Action: buttonLabel(button), At: at, Reason: reason})
	}
	c, ok := buttonCommand(button)
	if !ok {
		return refuse(fmt.Sprintf("this check run has no button %q", button))
	}
	resp, err := h.Runner.Run(ctx, commandrun.Request{
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
func (h *DeployButtons) reportRefusal(ctx context.Context, key pipeline.Key, releaseID int64, pressID string, n effects.RefusalNote) error {
	e, err := effects.RefusalEffect(key, releaseID, pressID, n, h.Clock.Now())
	if err != nil {
		return err
	}
	if err := h.Effects.AddEffects(ctx, e); err != nil {
		return fmt.Errorf("report the refused press of release %d of %s: %w", releaseID, key.Repository, err)
	}
	h.Notify()
	return nil
}
