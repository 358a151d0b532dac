package commandrun

import (
	"context"
	"time"

	"github.com/wavegate/wavegate/commands"
)

// Request is one command as a surface received it.
type Request struct {
	// ID is the command's idempotency key, stable across redeliveries and
	// retries: the GitHub delivery id and the line's index in the comment,
	// the check run delivery id, the Slack trigger id. A command is applied
	// and audited once per ID.
	ID             string
	Surface        string // store.SurfaceComment, SurfaceButton, SurfaceSlack, SurfaceWeb
	Source         string // comment URL, check run URL, Slack channel
	InstallationID int64
	// Repository is "owner/repo" when the surface implies it (a PR comment,
	// a button); for Slack, "" unless the command names one or the channel
	// is a pipeline's slack_channel.
	Repository string
	// PullRequest is the PR a comment was made on (0 otherwise): a command
	// acts on the release that contains its merge commit.
	PullRequest int
	// Pipeline and ReleaseID are what a button was pressed on (0: none).
	Pipeline  string
	ReleaseID int64
	// Login is the verified GitHub login for GitHub surfaces; "" from Slack,
	// where the executor finds it through the Slack user's link.
	Login     string
	SlackTeam string
	SlackUser string
	// SlackChannel is the channel's name without "#" (Slack only).
	SlackChannel string
	Command      commands.Command
	At           time.Time
}

// Outcome is what became of a request.
type Outcome int

const (
	// Accepted: applied (or, for help and status, answered).
	Accepted Outcome = iota
	// Refused: not authorized, unknown release or stage, or the engine
	// refused it (a release that moved on, an author approving their own).
	Refused
	// Invalid: the line did not parse (surfaces pass Parsed errors through
	// Invalid requests too, so that they are audited).
	Invalid
)

// Response is what the executor says back.
type Response struct {
	Outcome Outcome
	// Text answers the actor, in Markdown a PR comment and Slack both read:
	// why a command was refused and what would work, the help or the status
	// asked for, or what an accepted command did.
	Text string
	// Repository, Pipeline and ReleaseID name what the command acted on,
	// when it got that far.
	Repository string
	Pipeline   string
	ReleaseID  int64
}

// Runner runs commands. An error is a failure that may pass (GitHub or the
// store unreachable): the surface retries the whole request with the same
// ID. A refusal is a Response, never an error.
type Runner interface {
	Run(ctx context.Context, req Request) (Response, error)
	// RunInvalid audits a line that did not parse and returns the answer.
	RunInvalid(ctx context.Context, req Request, p commands.Parsed) (Response, error)
}
