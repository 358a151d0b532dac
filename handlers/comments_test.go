package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// scriptedRunner answers each command by its line and records the requests.
type scriptedRunner struct {
	answers map[string]commandrun.Response
	reqs    []commandrun.Request
	invalid []commands.Parsed
	fail    error
}

func (s *scriptedRunner) Run(_ context.Context, req commandrun.Request) (commandrun.Response, error) {
	s.reqs = append(s.reqs, req)
	if s.fail != nil {
		return commandrun.Response{}, s.fail
	}
	return s.answers[req.Command.Line], nil
}

func (s *scriptedRunner) RunInvalid(_ context.Context, req commandrun.Request, p commands.Parsed) (commandrun.Response, error) {
	s.reqs = append(s.reqs, req)
	s.invalid = append(s.invalid, p)
	return commandrun.Response{Outcome: commandrun.Invalid, Text: p.Err.Error() + "\n\n" + p.Usage}, nil
}

type effectLog struct{ effects []store.Effect }

func (l *effectLog) AddEffects(_ context.Context, es ...store.Effect) error {
	l.effects = append(l.effects, es...)
	return nil
}

func commentEvent(action, user, userType, body string, pr bool) Event {
	issue := &github.Issue{Number: github.Int(7)}
	if pr {
		issue.PullRequestLinks = &github.PullRequestLinks{URL: github.String("https://api.github.com/repos/acme/api/pulls/7")}
	}
	created := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	return Event{
		Delivery: store.Delivery{ID: "delivery-1", Event: "issue_comment", Action: action},
		Payload: &github.IssueCommentEvent{
			Action: github.String(action), Issue: issue,
			Comment: &github.IssueComment{ID: github.Int64(99), Body: github.String(body),
				HTMLURL:   github.String("https://github.com/acme/api/pull/7#issuecomment-99"),
				User:      &github.User{Login: github.String(user), Type: github.String(userType)},
				CreatedAt: &github.Timestamp{Time: created}},
			Repo:         &github.Repository{FullName: github.String("acme/api")},
			Installation: &github.Installation{ID: github.Int64(5)},
			Sender:       &github.User{Login: github.String(user), Type: github.String(userType)},
		},
	}
}

func newComments(r *scriptedRunner, log *effectLog) *Comments {
	return &Comments{Runner: r, Effects: log, Notify: func() {}, BotLogin: func() string { return "wavegate[bot]" },
		Clock: clock.NewFake(time.Date(2026, 3, 2, 10, 0, 1, 0, time.UTC)), Logger: slog.New(slog.DiscardHandler)}
}

func effectPayload(t *testing.T, e store.Effect) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCommentCommandsRunInOrderAndAreAnswered(t *testing.T) {
	accepted := commandrun.Response{Outcome: commandrun.Accepted, Text: "done"}
	tests := []struct {
		name      string
		body      string
		answers   map[string]commandrun.Response
		reaction  string
		reply     []string // what the reply says; nil: no reply
		notInside []string
	}{
		{"all accepted: +1, no reply", "LGTM\n/deploy approve\n/deploy resume",
			map[string]commandrun.Response{"/deploy approve": accepted, "/deploy resume": accepted}, "+1", nil, nil},
		{"one refused: -1 and a reply quoting it", "/deploy approve\n/deploy rollback --reason x",
			map[string]commandrun.Response{"/deploy approve": accepted,
				"/deploy rollback --reason x": {Outcome: commandrun.Refused, Text: "needs maintain; @bob has read"}},
			"-1", []string{"@bob\n", `> /deploy rollback \-\-reason x`, "**Refused:** needs maintain; @\u200dbob has read"}, []string{"> /deploy approve"}},
		{"invalid: -1 and the usage", "/deploy bogus",
			nil, "-1", []string{"> /deploy bogus", `**Not understood:** unknown verb "bogus"`, "/deploy help"}, nil},
		{"status answers by reply, +1", "/deploy status",
			map[string]commandrun.Response{"/deploy status": {Outcome: commandrun.Accepted, Text: "**acme/api**\n- app"}},
			"+1", []string{"> /deploy status", "**acme/api**\n- app"}, []string{"Refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, log := &scriptedRunner{answers: tt.answers}, &effectLog{}
			if err := newComments(r, log).onComment(context.Background(), commentEvent("created", "bob", "User", tt.body, true)); err != nil {
				t.Fatal(err)
			}
			for i, req := range r.reqs {
				want := commandrun.Request{ID: "delivery-1/" + string(rune('0'+i)), Surface: store.SurfaceComment,
					Source: "https://github.com/acme/api/pull/7#issuecomment-99", InstallationID: 5, Repository: "acme/api",
					PullRequest: 7, Login: "bob", Command: req.Command, At: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
				if req != want {
					t.Errorf("request %d = %+v\nwant %+v", i, req, want)
				}
			}
			if len(log.effects) == 0 || log.effects[0].Kind != effects.KindReaction {
				t.Fatalf("effects = %+v, want a reaction first", log.effects)
			}
			if got := effectPayload(t, log.effects[0]); got["content"] != tt.reaction || got["comment_id"] != float64(99) {
				t.Errorf("reaction = %v, want %s on comment 99", got, tt.reaction)
			}
			if tt.reply == nil {
				if len(log.effects) != 1 {
					t.Errorf("effects = %+v, want the reaction only", log.effects)
				}
				return
			}
			if len(log.effects) != 2 || log.effects[1].Kind != effects.KindReply {
				t.Fatalf("effects = %+v, want a reaction and a reply", log.effects)
			}
			body := effectPayload(t, log.effects[1])["body"].(string)
			for _, s := range tt.reply {
				if !strings.Contains(body, s) {
					t.Errorf("reply %q does not say %q", body, s)
				}
			}
			for _, s := range tt.notInside {
				if strings.Contains(body, s) {
					t.Errorf("reply %q says %q", body, s)
				}
			}
			// Keyed by the delivery: a redelivery answers once.
			for _, e := range log.effects {
				if !strings.Contains(e.Key, "delivery-1") {
					t.Errorf("effect key %s is not the delivery's", e.Key)
				}
			}
		})
	}
}

func TestCommentsThatAreNotCommands(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
	}{
		{"edited", commentEvent("edited", "bob", "User", "/deploy approve", true)},
		{"deleted", commentEvent("deleted", "bob", "User", "/deploy approve", true)},
		{"on an issue", commentEvent("created", "bob", "User", "/deploy approve", false)},
		{"by the App", commentEvent("created", "wavegate[bot]", "Bot", "> /deploy approve\n/deploy approve", true)},
		{"by the App, any case", commentEvent("created", "WaveGate[bot]", "User", "/deploy approve", true)},
		{"by another bot", commentEvent("created", "renovate[bot]", "Bot", "/deploy approve", true)},
		{"no command", commentEvent("created", "bob", "User", "ship it", true)},
		{"only in code and quotes", commentEvent("created", "bob", "User", "> /deploy approve\n\n```\n/deploy approve\n```", true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, log := &scriptedRunner{}, &effectLog{}
			if err := newComments(r, log).onComment(context.Background(), tt.ev); err != nil {
				t.Fatal(err)
			}
			if len(r.reqs) != 0 || len(log.effects) != 0 {
				t.Errorf("ran %v and queued %v", r.reqs, log.effects)
			}
		})
	}
}

func TestCommentRunnerFailureIsRetried(t *testing.T) {
	r, log := &scriptedRunner{fail: errors.New("database is locked")}, &effectLog{}
	err := newComments(r, log).onComment(context.Background(), commentEvent("created", "bob", "User", "/deploy approve", true))
	if err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("err = %v, want the runner's, so the delivery is retried", err)
	}
	if len(log.effects) != 0 {
		t.Errorf("answered a command that did not run: %v", log.effects)
	}
	if !slices.ContainsFunc(r.reqs, func(q commandrun.Request) bool { return q.ID == "delivery-1/0" }) {
		t.Errorf("requests = %v", r.reqs)
	}
}

func TestCommentRunsAtMostTenCommands(t *testing.T) {
	r, log := &scriptedRunner{answers: map[string]commandrun.Response{}}, &effectLog{}
	body := strings.Repeat("/deploy status\n", MaxCommentCommands+5)
	if err := newComments(r, log).onComment(context.Background(), commentEvent("created", "bob", "User", body, true)); err != nil {
		t.Fatal(err)
	}
	if len(r.reqs) != MaxCommentCommands {
		t.Fatalf("ran %d commands, want %d", len(r.reqs), MaxCommentCommands)
	}
	if got := effectPayload(t, log.effects[0])["content"]; got != "-1" {
		t.Errorf("reaction %v, want -1", got)
	}
	if body := effectPayload(t, log.effects[1])["body"].(string); !strings.Contains(body, "5 more /deploy lines") ||
		!strings.Contains(body, "at most 10 commands") {
		t.Errorf("reply does not say what was not run:\n%s", body)
	}
}
