package app

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/handlers"
	"github.com/wavegate/wavegate/slackbot"
	"github.com/wavegate/wavegate/store"
)

// slackCommandsOn says whether Slack can send commands and button presses:
// over HTTP with a signing secret, or over Socket Mode with an app token.
// The release message shows its buttons only then.
func (a *App) slackCommandsOn() bool {
	return a.cfg.SlackSigningSecret != "" || a.cfg.SlackAppToken != ""
}

// buildSlackCommands builds the Slack intake (HTTP endpoints and the Socket
// Mode client's sink) and the inbox handler that runs what it stored.
func (a *App) buildSlackCommands() error {
	var err error
	a.slack, err = handlers.NewSlack(handlers.SlackConfig{
		SigningSecret: []byte(a.cfg.SlackSigningSecret), Inbox: a.inbox,
		Clock: a.opts.Clock, Logger: a.opts.Logger, Registerer: a.registry,
	})
	if err != nil {
		return err
	}
	a.slackRun = &handlers.SlackRun{
		Runner: a.commands, Outbox: a.store, Notify: a.effects.Notify, Clock: a.opts.Clock, Logger: a.opts.Logger,
	}
	return nil
}

// slackRoutes serves the Slack endpoints, whose small bodies share the
// body budget with the webhooks.
func (a *App) slackRoutes(mux *http.ServeMux, budget *handlers.BodyBudget) {
	mux.Handle("/slack/commands", budget.Limit(handlers.MaxSlackBody, a.slack.Commands()))
	mux.Handle("/slack/interactions", budget.Limit(handlers.MaxSlackBody, a.slack.Interactions()))
}

// handleDelivery routes a stored delivery: Slack's requests to the Slack
// command handler, GitHub's deliveries through the event router.
func (a *App) handleDelivery(ctx context.Context, d store.Delivery) error {
	if strings.HasPrefix(d.Event, "slack_") {
		return a.slackRun.Handle(ctx, d)
	}
	if d.Event == handlers.EventAlertmanager {
		return a.alertmanagerRun.Handle(ctx, d)
	}
	return a.router.Handle(ctx, d)
}

// slackReplies performs the answers to Slack commands.
func (a *App) slackReplies() *effects.SlackReplies {
	return &effects.SlackReplies{Responder: slackbot.Responder{Allow: a.opts.SlackResponseURLAllowed}}
}

// runSocketMode receives Slack commands over Socket Mode, when an app
// token is configured, until ctx ends.
func (a *App) runSocketMode(ctx context.Context, wg *sync.WaitGroup) {
	if a.cfg.SlackAppToken == "" {
		return
	}
	wg.Go(func() {
		err := slackbot.RunSocketMode(ctx, slackbot.SocketOptions{
			AppToken: a.cfg.SlackAppToken, APIURL: a.cfg.SlackAPIURL, Logger: a.opts.Logger,
			OnCommand: a.slack.SocketCommand, OnInteraction: a.slack.SocketInteraction,
		})
		if err != nil {
			a.opts.Logger.Error("Slack Socket Mode stopped: Slack refused the app-level token; fix --slack-app-token-file and restart", "error", err)
		}
	})
}
