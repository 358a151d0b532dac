package app

import (
	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/githubapp"
)

// buildCommands wires the command runner every surface shares, after the
// engine it applies commands through. It authorizes each command against
// the actor's roles on GitHub now.
func (a *App) buildCommands() error {
	a.roles = githubapp.ActorRoles{Installation: a.installationClient, Permissions: a.permissions,
		Teams: githubapp.NewTeams(a.opts.Clock, 0)}
	r, err := commandrun.New(commandrun.Options{
		Engine: a.runner, States: a.engine, Index: a.store, Audit: a.store, Links: a.store,
		Installations: a.store, Roles: a.roles, Clock: a.opts.Clock, Logger: a.opts.Logger,
	})
	if err != nil {
		return err
	}
	a.commands = r
	return nil
}

// Commands is the command runner, for the Slack surface and tests.
func (a *App) Commands() commandrun.Runner { return a.commands }
