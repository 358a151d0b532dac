package app

import (
	"context"

	"github.com/wavegate/wavegate/handlers"
)

// registerEventHandlers routes the events Wavegate subscribes to. Events
// whose features have not landed yet are logged, so that routing, retries
// and recording are exercised end to end from the start.
func (a *App) registerEventHandlers() {
	(&handlers.Installations{Store: a.store, Clock: a.opts.Clock}).Register(a.router)
	for _, event := range []string{
		"check_run", "check_suite", "push", "pull_request", "pull_request_review",
		"issue_comment", "deployment", "deployment_status", "deployment_protection_rule",
	} {
		a.router.On(event, a.logEvent)
	}
}

func (a *App) logEvent(_ context.Context, ev handlers.Event) error {
	d := ev.Delivery
	a.opts.Logger.Info("event received", "delivery", d.ID, "event", d.Event, "action", d.Action,
		"installation", d.InstallationID, "repository", d.Repository)
	return nil
}
