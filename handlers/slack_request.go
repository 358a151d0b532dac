package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/slackbot"
)

// Inbox events of Slack requests; never GitHub event names.
const (
	EventSlackCommand     = "slack_command"
	EventSlackInteraction = "slack_interaction"
)

// slackRequest is a Slack command or button press as the inbox keeps it:
// what running and answering it needs, and nothing else (Slack's legacy
// verification token, which the form carries, is never stored).
type slackRequest struct {
	// ID is the idempotency key: derived from Slack's trigger id, which a
	// retry of the same request repeats.
	ID          string `json:"id"`
	Team        string `json:"team"`
	User        string `json:"user"`
	ChannelID   string `json:"channel_id,omitempty"`
	ChannelName string `json:"channel_name,omitempty"`
	// Line is the command as typed, "/deploy" first, or the command a
	// button stands for.
	Line string `json:"line"`
	// ResponseURL is where the answer goes (Slack allows 5 uses in 30 min).
	ResponseURL string `json:"response_url,omitempty"`
	// Answered: the acknowledgement already answered (help, a line that
	// did not parse); the command is audited but not answered again.
	Answered bool `json:"answered,omitempty"`
	// Action is the button pressed (notify.SlackAction*), with what it
	// was pressed on.
	Action     string `json:"action,omitempty"`
	Repository string `json:"repository,omitempty"`
	Pipeline   string `json:"pipeline,omitempty"`
	ReleaseID  int64  `json:"release_id,omitempty"`
}

// lane orders the inbox: one person's commands run in the order sent,
// and people do not wait for each other.
func (r slackRequest) lane() string { return "slack:" + r.Team + "/" + r.User }

// SlackAck is the immediate answer to a Slack request: a message only the
// person who sent it sees.
type SlackAck struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

func ephemeral(text string) *SlackAck { return &SlackAck{ResponseType: "ephemeral", Text: text} }

// slackID derives a request's idempotency key from its trigger id; a
// request without one (never seen from Slack) is keyed by what it says,
// so a retry is still recognised.
func slackID(triggerID string, parts ...string) string {
	if triggerID != "" {
		return "slack:" + triggerID
	}
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return "slack:h" + hex.EncodeToString(h.Sum(nil)[:16])
}

// Command stores a slash command and says what to answer at once: the
// answer itself for help and for a line that does not parse, otherwise
// that the command is being worked on.
func (s *Slack) Command(ctx context.Context, sc slack.SlashCommand) (*SlackAck, error) {
	if sc.TeamID == "" || sc.UserID == "" {
		s.rejected.WithLabelValues("no_user").Inc()
		return ephemeral("Wavegate cannot tell who sent this command (no team_id or user_id), so it cannot run it."), nil
	}
	line := strings.TrimSpace("/deploy " + sc.Text)
	req := slackRequest{
		ID:   slackID(sc.TriggerID, sc.TeamID, sc.UserID, sc.ChannelID, sc.Text, sc.ResponseURL),
		Team: sc.TeamID, User: sc.UserID, ChannelID: sc.ChannelID, ChannelName: sc.ChannelName,
		Line: line, ResponseURL: sc.ResponseURL,
	}
	var ack *SlackAck
	p := commands.Parse(line)
	switch {
	case p.Kind == commands.Invalid:
		ack, req.Answered = ephemeral(invalidText(p)), true
	case p.Kind == commands.NotCommand || p.Command.Verb == commands.VerbHelp:
		ack, req.Answered = ephemeral(slackbot.Mrkdwn(commands.Help())), true
	default:
		ack = ephemeral("Working on `" + slackbot.Escape(line) + "`…")
	}
	if _, err := s.keep(ctx, EventSlackCommand, req); err != nil {
		return nil, err
	}
	return ack, nil
}

// Interaction stores a press of a release message's button. Slack shows
// nothing of an interaction's acknowledgement, so every answer goes
// through the response URL, from the inbox.
func (s *Slack) Interaction(ctx context.Context, ic slack.InteractionCallback) (*SlackAck, error) {
	if ic.Type != slack.InteractionTypeBlockActions || len(ic.ActionCallback.BlockActions) == 0 {
		s.rejected.WithLabelValues("not_a_button").Inc()
		return nil, nil
	}
	a := ic.ActionCallback.BlockActions[0]
	verb, ok := buttonVerb(a.ActionID)
	if !ok {
		// Another app's element, or a button of a future version.
		s.rejected.WithLabelValues("unknown_action").Inc()
		return nil, nil
	}
	if ic.Team.ID == "" || ic.User.ID == "" {
		s.rejected.WithLabelValues("no_user").Inc()
		return nil, nil
	}
	req := slackRequest{
		ID:   slackID(ic.TriggerID, ic.Team.ID, ic.User.ID, a.ActionID, a.Value, ic.ActionTs, a.ActionTs),
		Team: ic.Team.ID, User: ic.User.ID, ChannelID: ic.Channel.ID, ChannelName: ic.Channel.Name,
		Line: "/deploy " + string(verb), ResponseURL: ic.ResponseURL, Action: a.ActionID,
	}
	var err error
	if req.Repository, req.Pipeline, req.ReleaseID, err = notify.ParseSlackButtonValue(a.Value); err != nil {
		s.rejected.WithLabelValues("bad_button").Inc()
		s.cfg.Logger.Warn("Slack button press with a value Wavegate did not write; ignored", "action", a.ActionID, "error", err)
		return nil, nil
	}
	if _, err := s.keep(ctx, EventSlackInteraction, req); err != nil {
		return nil, err
	}
	return nil, nil
}

// buttonVerb is the command a release message's button stands for.
func buttonVerb(actionID string) (commands.Verb, bool) {
	switch actionID {
	case notify.SlackActionApprove:
		return commands.VerbApprove, true
	case notify.SlackActionReject:
		return commands.VerbReject, true
	case notify.SlackActionPause:
		return commands.VerbPause, true
	case notify.SlackActionResume:
		return commands.VerbResume, true
	case notify.SlackActionRollback:
		return commands.VerbRollback, true
	}
	return "", false
}

// invalidText answers a line that did not parse: what is wrong, and the
// usage of its verb.
func invalidText(p commands.Parsed) string {
	msg := "That is not a command Wavegate can run"
	if p.Err != nil {
		msg = p.Err.Error()
	}
	text := "`" + p.Command.Line + "`: " + msg
	if p.Usage != "" {
		text += "\n" + p.Usage
	}
	return slackbot.Mrkdwn(text)
}

// SocketCommand is Command for Socket Mode, whose acknowledgement is any
// payload: no acknowledgement must be a nil interface, which a nil
// *SlackAck converted to any is not.
func (s *Slack) SocketCommand(ctx context.Context, sc slack.SlashCommand) (any, error) {
	return orNoAck(s.Command(ctx, sc))
}

// SocketInteraction is Interaction for Socket Mode (see SocketCommand).
func (s *Slack) SocketInteraction(ctx context.Context, ic slack.InteractionCallback) (any, error) {
	return orNoAck(s.Interaction(ctx, ic))
}

func orNoAck(ack *SlackAck, err error) (any, error) {
	if ack == nil {
		return nil, err
	}
	return ack, err
}
