package app

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/handlers"
	"github.com/wavegate/wavegate/notify"
)

// registerEventHandlers puts the route table (handlers.Handlers.Routes) in
// the router with the handlers this App wires.
func (a *App) registerEventHandlers() error {
	renderer, err := notify.NewRenderer()
	if err != nil {
		return err
	}
	return handlers.Register(a.router, handlers.Handlers{
		Installations: &handlers.Installations{Store: a.store, Clock: a.opts.Clock},
		Roles:         &handlers.Roles{Cache: a.roles, Logger: a.opts.Logger},
		Review: &handlers.ReviewGate{
			GitHub:      a.installationClient,
			Config:      githubapp.NewConfigSource(a.opts.Clock, 0),
			Permissions: a.permissions,
			Store:       a.store,
			Renderer:    renderer,
			Clock:       a.opts.Clock,
			Logger:      a.opts.Logger,
		},
		Releases: &handlers.Releases{
			GitHub: a.installationClient, Engine: a.runner, Store: a.store, Clock: a.opts.Clock, Logger: a.opts.Logger,
			Deployers: a.deployerNames(), Index: a.store,
		},
		Buttons: &handlers.DeployButtons{Runner: a.commands, Effects: a.store, Notify: a.effects.Notify,
			Clock: a.opts.Clock, Logger: a.opts.Logger},
		Comments: &handlers.Comments{Runner: a.commands, Effects: a.store, Notify: a.effects.Notify,
			BotLogin: a.botLogin, Clock: a.opts.Clock, Logger: a.opts.Logger},
		Unhandled: a.logEvent,
	})
}

// installationClient is the client of one installation under the
// credentials in force now.
func (a *App) installationClient(id int64) (*github.Client, error) {
	gh, err := a.creds.GitHub()
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, fmt.Errorf("the delivery names no installation")
	}
	return gh.Installation(id)
}

// botLogin is the App's own login on GitHub, "" until its slug is known.
func (a *App) botLogin() string {
	if slug := a.creds.Current().Slug; slug != "" {
		return slug + "[bot]"
	}
	return ""
}

func (a *App) logEvent(_ context.Context, ev handlers.Event) error {
	d := ev.Delivery
	a.opts.Logger.Info("event received", "delivery", d.ID, "event", d.Event, "action", d.Action,
		"installation", d.InstallationID, "repository", d.Repository)
	return nil
}
