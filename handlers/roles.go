package handlers

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/go-github/v60/github"
)

// RoleCache remembers repository roles (githubapp.Permissions). ForgetRoles
// drops those on owner's repositories: on repo only unless repo is "", of
// login only unless login is "".
type RoleCache interface {
	ForgetRoles(owner, repo, login string)
}

// Roles forgets remembered roles when GitHub says they changed, so that the
// review gate, which counts approvals by remembered roles, does not count a
// role that was taken away. Authorizing an action does not depend on it: that
// always asks GitHub.
type Roles struct {
	Cache  RoleCache
	Logger *slog.Logger
}

// roleScope is what a change touches; "" is every repository or every login.
type roleScope struct{ owner, repo, login string }

func (h *Roles) forget(_ context.Context, ev Event) error {
	s, ok, err := scopeOf(ev.Payload)
	if err != nil {
		return fmt.Errorf("%s.%s delivery %s: %w", ev.Delivery.Event, ev.Delivery.Action, ev.Delivery.ID, err)
	}
	if !ok {
		return nil
	}
	h.Cache.ForgetRoles(s.owner, s.repo, s.login)
	h.Logger.Info("forgot remembered roles", "delivery", ev.Delivery.ID, "event", ev.Delivery.Event,
		"action", ev.Delivery.Action, "owner", s.owner, "repository", s.repo, "login", s.login)
	return nil
}

// scopeOf reads what a role change touches; ok is false when it touches no
// role. A payload that does not say who changed forgets more (the
// repository, the organization), never less.
func scopeOf(payload any) (s roleScope, ok bool, err error) {
	switch e := payload.(type) {
	case *github.MemberEvent:
		// A collaborator added, removed or given another role on one repository.
		s = roleScope{e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName(), e.GetMember().GetLogin()}
	case *github.MembershipEvent:
		// Team membership grants roles on the team's repositories, which the
		// event does not list: the login, everywhere in the organization.
		s = roleScope{owner: e.GetOrg().GetLogin(), login: e.GetMember().GetLogin()}
	case *github.OrganizationEvent:
		// Organization membership carries base permissions and team roles.
		login := e.GetMembership().GetUser().GetLogin()
		if login == "" {
			login = e.GetInvitation().GetLogin()
		}
		s = roleScope{owner: e.GetOrganization().GetLogin(), login: login}
		if login == "" && e.GetAction() == "member_invited" {
			// An invitation by email: no one has a role from it yet.
			return roleScope{}, false, nil
		}
	case *github.TeamEvent:
		// Every member of the team on the repository named, or on every
		// repository when the change (a deleted team, a new parent) names none.
		s = roleScope{owner: e.GetOrg().GetLogin(), repo: e.GetRepo().GetName()}
	default:
		return roleScope{}, false, fmt.Errorf("not a role change: %T", payload)
	}
	if s.owner == "" {
		return roleScope{}, false, fmt.Errorf("names no organization or repository owner")
	}
	return s, true, nil
}
