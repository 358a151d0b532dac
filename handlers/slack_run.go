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
	if err != nil {
		// Said once, on the first failure, so the person is not left
		// wondering; the answer proper follows when a retry succeeds.
		if d.Attempts <= 1 && req.ResponseURL != "" && !req.Answered {
			note := "Wavegate could not run `" + req.Line + "` yet (" + retryCause(err) + "); it will try again and answer here."
			if qerr := h.queueAnswer(ctx, req, "/retrying", note); qerr != nil {
				return errors.Join(err, qerr)
			}
		}
		return retryable{err}
	}
	if text == "" {
		return nil
	}
	if req.ResponseURL == "" {
		h.logger().Warn("Slack request without a response URL; its answer is only logged", "id", req.ID, "answer", text)
		return nil
	}
	return h.queueAnswer(ctx, req, "", text)
}

// queueAnswer queues text for req's response URL; suffix tells apart the
// answers of one request (Slack allows 5 per response URL).
func (h *SlackRun) queueAnswer(ctx context.Context, req slackRequest, suffix, text string) error {
	e, err := effects.SlackReplyEffect(req.ID+suffix, effects.SlackReply{ResponseURL: req.ResponseURL, Text: text}, h.Clock.Now())
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

// retryable marks a runner failure, which by the runner's contract may
// pass, for the inbox to retry (IsRetryable).
type retryable struct{ error }

func (r retryable) Unwrap() error { return r.error }

// IsRetryable says whether a Slack command failed in a way a retry may
// mend: the inbox retries it with backoff.
func IsRetryable(err error) bool {
	var r retryable
	return errors.As(err, &r)
}

// retryCause names what failed without the error's detail, which may
// carry internals the person cannot act on.
func retryCause(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "it timed out"
	}
	return "GitHub or Wavegate's database did not answer"
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
