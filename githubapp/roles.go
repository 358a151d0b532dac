package githubapp

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/checks"
)

// ActorRoles asks GitHub, through an installation's client, who an actor
// is now: repository roles fresh (conditional requests make an unchanged
// one free), team and organization membership briefly kept. It is what
// the command runner authorizes every command against.
type ActorRoles struct {
	// Installation is the client of one installation under the
	// credentials in force.
	Installation func(id int64) (*github.Client, error)
	Permissions  *Permissions
	Teams        *Teams
}

// Role is login's role on repository ("owner/name").
func (r ActorRoles) Role(ctx context.Context, inst int64, repository, login string) (checks.Permission, error) {
	client, err := r.Installation(inst)
	if err != nil {
		return checks.PermissionNone, err
	}
	owner, name, ok := strings.Cut(repository, "/")
	if !ok {
		return checks.PermissionNone, fmt.Errorf("repository %q is not owner/name", repository)
	}
	return r.Permissions.Fresh(ctx, client, owner, name, login)
}

// TeamMember says whether login is an active member of org's team.
func (r ActorRoles) TeamMember(ctx context.Context, inst int64, org, team, login string) (bool, error) {
	client, err := r.Installation(inst)
	if err != nil {
		return false, err
	}
	return r.Teams.Member(ctx, client, org, team, login)
}

// OrgOwner says whether login owns organization org.
func (r ActorRoles) OrgOwner(ctx context.Context, inst int64, org, login string) (bool, error) {
	client, err := r.Installation(inst)
	if err != nil {
		return false, err
	}
	return r.Teams.OrgOwner(ctx, client, org, login)
}

// ForgetRoles forgets what Permissions and Teams remember of login (every
// login when "") on owner's repository repo (every one when ""), when
// GitHub says roles or memberships changed.
func (r ActorRoles) ForgetRoles(owner, repo, login string) {
	r.Permissions.ForgetRoles(owner, repo, login)
	r.Teams.ForgetRoles(owner, repo, login)
}
