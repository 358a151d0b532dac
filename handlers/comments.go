package handlers

import (
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
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/store"
)

// EffectQueue is the outbox the comment handler answers through.
type EffectQueue interface {
	AddEffects(ctx context.Context, effects ...store.Effect) error
}

// Comments runs the /deploy lines of pull-request comments.
type Comments struct {
	Runner  commandrun.Runner
	Effects EffectQueue
	// Notify wakes the outbox worker once answers are queued.
	Notify func()
	// BotLogin is the App's own login ("<slug>[bot]"), whose comments are
	// never commands; "" before setup knows the slug.
	BotLogin func() string
	Clock    clock.Clock
	Logger   *slog.Logger
}

// MaxCommentCommands is how many /deploy lines of one comment run: each
// asks GitHub for a role, so a comment of thousands of lines, which anyone
// who may comment can post, must not spend the installation's rate limit.
const MaxCommentCommands = 10

// answered is one command line and what became of it.
type answered struct {
	line string
	verb commands.Verb
	resp commandrun.Response
}

// onComment runs each command line of a new comment on a pull request in
// order, then answers through the outbox: a +1 reaction when every command
// was accepted, otherwise -1 and one reply quoting each line that was not
// with why; help and status are answered by reply too. The delivery id
// keys everything, so a redelivered comment runs and answers nothing twice.
func (h *Comments) onComment(ctx context.Context, ev Event) error {
	e, ok := ev.Payload.(*github.IssueCommentEvent)
	if !ok || e.GetAction() != "created" || !e.GetIssue().IsPullRequest() || h.fromBot(e) {
		return nil
	}
	parsed := commands.ParseComment(e.GetComment().GetBody())
	if len(parsed) == 0 {
		return nil
	}
	d := ev.Delivery
	repo := e.GetRepo().GetFullName()
	at := e.GetComment().GetCreatedAt().Time
	if at.IsZero() {
		at = d.ReceivedAt
	}
	var answers []answered
	skipped := 0
	if len(parsed) > MaxCommentCommands {
		skipped, parsed = len(parsed)-MaxCommentCommands, parsed[:MaxCommentCommands]
	}
	for i, p := range parsed {
		req := commandrun.Request{
			ID: d.ID + "/" + strconv.Itoa(i), Surface: store.SurfaceComment, Source: e.GetComment().GetHTMLURL(),
			InstallationID: e.GetInstallation().GetID(), Repository: repo, PullRequest: e.GetIssue().GetNumber(),
			Login: e.GetComment().GetUser().GetLogin(), Command: p.Command, At: at,
		}
		var resp commandrun.Response
		var err error
		if p.Kind == commands.Invalid {
			resp, err = h.Runner.RunInvalid(ctx, req, p)
		} else {
			resp, err = h.Runner.Run(ctx, req)
		}
		if err != nil {
			return fmt.Errorf("run %q of comment %d on %s#%d: %w", p.Command.Line, e.GetComment().GetID(), repo, req.PullRequest, err)
		}
		answers = append(answers, answered{line: p.Command.Line, verb: p.Command.Verb, resp: resp})
	}
	if skipped > 0 {
		answers = append(answers, answered{line: fmt.Sprintf("(%d more /deploy lines)", skipped), resp: commandrun.Response{
			Outcome: commandrun.Invalid,
			Text:    fmt.Sprintf("not run: a comment runs at most %d commands; post the rest in another comment", MaxCommentCommands),
		}})
	}
	return h.answer(ctx, e, d.ID, answers)
}

// fromBot says whether the App (or any bot) wrote the comment: its own
// replies quote /deploy lines, which must never run.
func (h *Comments) fromBot(e *github.IssueCommentEvent) bool {
	for _, u := range []*github.User{e.GetComment().GetUser(), e.GetSender()} {
		if u.GetType() == "Bot" {
			return true
		}
		if bot := h.BotLogin(); bot != "" && strings.EqualFold(u.GetLogin(), bot) {
			return true
		}
	}
	return false
}

func (h *Comments) answer(ctx context.Context, e *github.IssueCommentEvent, deliveryID string, answers []answered) error {
	repo := e.GetRepo().GetFullName()
	now := h.Clock.Now()
	content, body := "+1", replyBody(e.GetComment().GetUser().GetLogin(), answers)
	for _, a := range answers {
		if a.resp.Outcome != commandrun.Accepted {
			content = "-1"
		}
	}
	reaction, err := effects.ReactionEffect(repo, e.GetComment().GetID(), content, deliveryID, now)
	if err != nil {
		return err
	}
	queued := []store.Effect{reaction}
	if body != "" {
		reply, err := effects.ReplyEffect(repo, e.GetIssue().GetNumber(), body, deliveryID, now)
		if err != nil {
			return err
		}
		queued = append(queued, reply)
	}
	if err := h.Effects.AddEffects(ctx, queued...); err != nil {
		return fmt.Errorf("queue the answer to comment %d on %s: %w", e.GetComment().GetID(), repo, err)
	}
	h.Notify()
	h.Logger.Info("comment commands run", "repository", repo, "comment", e.GetComment().GetID(),
		"commands", len(answers), "reaction", content, "reply", body != "")
	return nil
}

// replyBody quotes each refused or invalid line with why, and gives help
// and status answers; "" when there is nothing to say beyond the reaction
// (accepted commands show in the release's own reports).
func replyBody(login string, answers []answered) string {
	var b strings.Builder
	for _, a := range answers {
		outcome := a.resp.Outcome
		isAnswer := a.verb == commands.VerbHelp || a.verb == commands.VerbStatus
		if outcome == commandrun.Accepted && !isAnswer {
			continue
		}
		if b.Len() == 0 {
			fmt.Fprintf(&b, "@%s\n", login)
		}
		// The line and the answer quote what people typed (reasons, logins):
		// escaped, so that only the commenter is notified and nothing typed
		// turns into markup.
		fmt.Fprintf(&b, "\n> %s\n\n", notify.Markdown(a.line))
		switch outcome {
		case commandrun.Refused:
			b.WriteString("**Refused:** ")
		case commandrun.Invalid:
			b.WriteString("**Not understood:** ")
		}
		b.WriteString(strings.ReplaceAll(a.resp.Text, "@", "@\u200d"))
		b.WriteString("\n")
	}
	return b.String()
}
