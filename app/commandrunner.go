package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/githubapp"
)

// buildCommands wires the command runner every surface shares, after the
// engine it applies commands through.
func (a *App) buildCommands() error {
	a.teams = githubapp.NewTeams(a.opts.Clock, 0)
	r, err := commandrun.New(commandrun.Options{
		Engine: a.runner, States: a.engine, Index: a.store, Audit: a.store, Links: a.store,
		Installations: a.store, Roles: githubRoles{a}, Clock: a.opts.Clock, Logger: a.opts.Logger,
	})
	if err != nil {
		return err
	}
	a.commands = r
	return nil
}

// Commands is the command runner, for the Slack surface and tests.
func (a *App) Commands() commandrun.Runner { return a.commands }

// githubRoles asks GitHub, through the installation's client, who an actor
// is now: repository roles fresh (conditional requests make an unchanged
// one free), team and organization membership briefly kept.
type githubRoles struct{ a *App }

func (g githubRoles) Role(ctx context.Context, inst int64, repository, login string) (checks.Permission, error) {
	client, err := g.a.installationClient(inst)
	if err != nil {
		return checks.PermissionNone, err
	}
	owner, name, ok := strings.Cut(repository, "/")
	if !ok {
		return checks.PermissionNone, fmt.Errorf("repository %q is not owner/name", repository)
	}
	return g.a.permissions.Fresh(ctx, client, owner, name, login)
}

func (g githubRoles) TeamMember(ctx context.Context, inst int64, org, team, login string) (bool, error) {
	client, err := g.a.installationClient(inst)
	if err != nil {
		return false, err
	}
	return g.a.teams.Member(ctx, client, org, team, login)
}

func (g githubRoles) OrgOwner(ctx context.Context, inst int64, org, login string) (bool, error) {
	client, err := g.a.installationClient(inst)
	if err != nil {
		return false, err
	}
	return g.a.teams.OrgOwner(ctx, client, org, login)
}

// roleCaches forgets remembered roles and memberships together when GitHub
// says they changed.
type roleCaches []interface {
	ForgetRoles(owner, repo, login string)
}

func (rc roleCaches) ForgetRoles(owner, repo, login string) {
	for _, c := range rc {
		c.ForgetRoles(owner, repo, login)
	}
}
