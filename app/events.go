package app

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/handlers"
	"github.com/wavegate/wavegate/notify"
)

// registerEventHandlers routes the events Wavegate subscribes to. Events
// whose features have not landed yet are logged, so that routing, retries
// and recording are exercised end to end from the start.
func (a *App) registerEventHandlers() error {
	(&handlers.Installations{Store: a.store, Clock: a.opts.Clock}).Register(a.router)
	(&handlers.Roles{Cache: a.permissions, Logger: a.opts.Logger}).Register(a.router)
	renderer, err := notify.NewRenderer()
	if err != nil {
		return err
	}
	gate := &handlers.ReviewGate{
		GitHub:      a.installationClient,
		Config:      githubapp.NewConfigSource(a.opts.Clock, 0),
		Permissions: a.permissions,
		Store:       a.store,
		Renderer:    renderer,
		Clock:       a.opts.Clock,
		Logger:      a.opts.Logger,
	}
	gate.Register(a.router)
	// After the review gate: a release reads the verdicts it records.
	(&handlers.Releases{
		GitHub: a.installationClient, Engine: a.runner, Store: a.store, Clock: a.opts.Clock, Logger: a.opts.Logger,
		Deployers: a.deployerNames(),
	}).Register(a.router)
	a.router.On("check_run", a.onCheckRunAction, "requested_action")
	for _, event := range []string{"issue_comment", "deployment", "deployment_protection_rule"} {
		a.router.On(event, a.logEvent)
	}
	return nil
}

// installationClient is the client of one installation under the
// credentials in force now.
func (a *App) installationClient(id int64) (*github.Client, error) {
	gh, err := a.creds.github()
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, fmt.Errorf("the delivery names no installation")
	}
	return gh.Installation(id)
}

func (a *App) logEvent(_ context.Context, ev handlers.Event) error {
	d := ev.Delivery
	a.opts.Logger.Info("event received", "delivery", d.ID, "event", d.Event, "action", d.Action,
		"installation", d.InstallationID, "repository", d.Repository)
	return nil
}
