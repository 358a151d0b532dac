package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// SlackRun runs the Slack requests the inbox kept (Slack stored them)
// through the command runner, and queues each answer in the outbox, to go
// through the request's response URL.
type SlackRun struct {
	Runner commandrun.Runner
	Outbox interface {
		AddEffects(ctx context.Context, effects ...store.Effect) error
	}
	// Notify wakes the outbox worker.
	Notify func()
	Clock  clock.Clock
	Logger *slog.Logger
}

// Handle runs one stored Slack request. A runner error is returned for
// the inbox to retry the whole request: the runner applies and audits a
// request once per ID, so a retry only answers.
func (h *SlackRun) Handle(ctx context.Context, d store.Delivery) error {
	if h.Runner == nil || h.Outbox == nil || h.Clock == nil {
		return errors.New("Slack commands: the runner, the outbox and the clock are required")
	}
	var req slackRequest
	if err := json.Unmarshal(d.Payload, &req); err != nil {
		return fmt.Errorf("decode Slack request %s: %w", d.ID, err)
	}
	text, err := h.run(ctx, d, req)
	if err != nil || text == "" {
		return err
	}
	if req.ResponseURL == "" {
		h.logger().Warn("Slack request without a response URL; its answer is only logged", "id", req.ID, "answer", text)
		return nil
	}
	e, err := effects.SlackReplyEffect(req.ID, effects.SlackReply{ResponseURL: req.ResponseURL, Text: text}, h.Clock.Now())
	if err != nil {
		return err
	}
	if err := h.Outbox.AddEffects(ctx, e); err != nil {
		return fmt.Errorf("queue the answer to Slack request %s: %w", req.ID, err)
	}
	if h.Notify != nil {
		h.Notify()
	}
	return nil
}

// run runs the request and returns what to answer ("" for nothing).
func (h *SlackRun) run(ctx context.Context, d store.Delivery, req slackRequest) (string, error) {
	r := commandrun.Request{
		ID: req.ID, Surface: store.SurfaceSlack, Source: slackSource(req),
		Repository: req.Repository, Pipeline: req.Pipeline, ReleaseID: req.ReleaseID,
		SlackTeam: req.Team, SlackUser: req.User, SlackChannel: req.ChannelName, At: d.ReceivedAt,
	}
	var resp commandrun.Response
	var err error
	if req.Action != "" {
		verb, ok := buttonVerb(req.Action)
		if !ok {
			return "", fmt.Errorf("Slack request %s: unknown button %q", req.ID, req.Action)
		}
		if verb == commands.VerbReject || verb == commands.VerbRollback {
			return reasonHint(verb, req), nil
		}
		r.Command = commands.Command{Verb: verb, Line: req.Line, Repository: req.Repository}
		if verb == commands.VerbPause || verb == commands.VerbResume {
			r.Command.Pipeline = req.Pipeline
		}
		resp, err = h.Runner.Run(ctx, r)
	} else {
		p := commands.Parse(req.Line)
		r.Command, r.Repository = p.Command, p.Command.Repository
		switch p.Kind {
		case commands.Valid:
			resp, err = h.Runner.Run(ctx, r)
		case commands.Invalid:
			resp, err = h.Runner.RunInvalid(ctx, r, p)
		default:
			return "", nil // answered with the help at once; nothing to audit
		}
	}
	if err != nil {
		return "", fmt.Errorf("run Slack request %s (%q): %w", req.ID, req.Line, err)
	}
	if req.Answered {
		return "", nil
	}
	return resp.Text, nil
}

// reasonHint answers Reject and Roll back, which need a reason a button
// cannot carry, with the exact command that would do it.
func reasonHint(verb commands.Verb, req slackRequest) string {
	what := "Rejecting"
	if verb == commands.VerbRollback {
		what = "Rolling back"
	}
	return fmt.Sprintf("%s needs a reason, which a button cannot carry. Type:\n`/deploy %s %s --release %d --reason \"why\"`",
		what, req.Repository, verb, req.ReleaseID)
}

// slackSource is where a Slack request came from, for the audit log.
func slackSource(req slackRequest) string {
	where := req.ChannelID
	if req.ChannelName != "" {
		where = "#" + req.ChannelName
	}
	if req.Action != "" {
		return where + " (button " + req.Action + ")"
	}
	return where
}

func (h *SlackRun) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}
