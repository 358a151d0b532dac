package handlers

import (
	"context"
	"log/slog"
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

func buttonEvent(checkName, externalID, button string) Event {
	return Event{
		Delivery: store.Delivery{ID: "press-1", Event: "check_run", Action: "requested_action",
			ReceivedAt: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)},
		Payload: &github.CheckRunEvent{
			Action: github.String("requested_action"),
			CheckRun: &github.CheckRun{ID: github.Int64(42), Name: github.String(checkName),
				ExternalID: github.String(externalID), HTMLURL: github.String("https://github.com/acme/api/runs/42")},
			RequestedAction: &github.RequestedAction{Identifier: button},
			Repo:            &github.Repository{FullName: github.String("acme/api")},
			Installation:    &github.Installation{ID: github.Int64(5)},
			Sender:          &github.User{Login: github.String("octocat")},
		},
	}
}

func newButtons(r *scriptedRunner, log *effectLog, notified *int) *DeployButtons {
	return &DeployButtons{Runner: r, Effects: log, Notify: func() { *notified++ },
		Clock: clock.NewFake(time.Date(2026, 3, 2, 10, 0, 1, 0, time.UTC)), Logger: slog.New(slog.DiscardHandler)}
}

// A press runs as the command the button stands for, by whoever pressed,
// on the release the check run reports; an accepted one needs no note.
func TestDeployButtonRunsItsCommand(t *testing.T) {
	r := &scriptedRunner{answers: map[string]commandrun.Response{
		"/deploy approve": {Outcome: commandrun.Accepted, Text: "approved"},
	}}
	log, notified := &effectLog{}, 0
	h := newButtons(r, log, &notified)
	if err := h.onCheckRunAction(context.Background(), buttonEvent(effects.DeployCheckName+" (app)", "app/17", effects.ButtonApprove)); err != nil {
		t.Fatal(err)
	}
	if len(r.reqs) != 1 {
		t.Fatalf("%d commands run, want 1", len(r.reqs))
	}
	req := r.reqs[0]
	if req.Command.Verb != commands.VerbApprove || req.Login != "octocat" || req.Pipeline != "app" || req.ReleaseID != 17 ||
		req.Repository != "acme/api" || req.Surface != store.SurfaceButton || req.ID != "press-1" {
		t.Errorf("request %+v, want octocat's approve of release 17 of acme/api's app, by button, keyed by the delivery", req)
	}
	if len(log.effects) != 0 || notified != 0 {
		t.Errorf("%d effects queued, %d notifications, for an accepted press; want none", len(log.effects), notified)
	}
}

// A refused press, or a button the check run does not have, is shown on
// the check run through the outbox, keyed by the delivery.
func TestDeployButtonRefusalIsReported(t *testing.T) {
	for _, tc := range []struct{ name, button, reason string }{
		{"refused by the runner", effects.ButtonRollback, "octocat may not roll back"},
		{"no such button", "explode", "has no button"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &scriptedRunner{answers: map[string]commandrun.Response{
				`/deploy rollback --reason "pressed Roll back on the deploy check run"`: {Outcome: commandrun.Refused, Text: "octocat may not roll back"},
			}}
			log, notified := &effectLog{}, 0
			h := newButtons(r, log, &notified)
			if err := h.onCheckRunAction(context.Background(), buttonEvent(effects.DeployCheckName+" (app)", "app/17", tc.button)); err != nil {
				t.Fatal(err)
			}
			if len(log.effects) != 1 || notified != 1 {
				t.Fatalf("%d effects, %d notifications; want the refusal, once", len(log.effects), notified)
			}
			e := log.effects[0]
			if e.Kind != effects.KindReport || !strings.Contains(e.Key, "refused/press-1") || !strings.Contains(string(e.Payload), tc.reason) {
				t.Errorf("effect %s %s %s; want the report of the refusal, keyed by the press, saying %q", e.Kind, e.Key, e.Payload, tc.reason)
			}
		})
	}
}

// Buttons on check runs that are not deploy checks (the review gate's, or
// another App's) are not Wavegate's to answer; a deploy check whose
// external id is not pipeline/release is an error, not a silent drop.
func TestDeployButtonsOnOtherCheckRuns(t *testing.T) {
	r, log, notified := &scriptedRunner{}, &effectLog{}, 0
	h := newButtons(r, log, &notified)
	if err := h.onCheckRunAction(context.Background(), buttonEvent("Wavegate review", "x", effects.ButtonApprove)); err != nil {
		t.Fatal(err)
	}
	if len(r.reqs) != 0 || len(log.effects) != 0 {
		t.Errorf("%d commands, %d effects for another check run's button; want none", len(r.reqs), len(log.effects))
	}
	err := h.onCheckRunAction(context.Background(), buttonEvent(effects.DeployCheckName+" (app)", "garbage", effects.ButtonApprove))
	if err == nil || !strings.Contains(err.Error(), `"garbage"`) {
		t.Errorf("err %v, want one naming the external id", err)
	}
}
