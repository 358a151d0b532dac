package githubapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/internal/clock"
)

// Permissions answers "what role does this person have on this repository",
// from the collaborator-permission endpoint. Permission remembers answers for
// a short while, because a review burst asks about the same few people again
// and again; Authorize and Fresh always ask GitHub, because an action must
// not be allowed on a role that was taken away a moment ago.
type Permissions struct {
	clock clock.Clock
	ttl   time.Duration
	max   int

	mu      sync.Mutex
	entries map[permissionKey]permissionEntry
	// forgets counts ForgetRoles calls. An answer asked for before a forget
	// may be the very role that changed, so it is returned but not kept.
	forgets uint64
}

type permissionKey struct{ repo, login string }

type permissionEntry struct {
	perm    checks.Permission
	expires time.Time
}

// NewPermissions remembers each answer for ttl (default 5 minutes), at most
// max answers (default 10,000).
func NewPermissions(c clock.Clock, ttl time.Duration, max int) *Permissions {
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	if max <= 0 {
		max = 10_000
	}
	return &Permissions{clock: c, ttl: ttl, max: max, entries: map[permissionKey]permissionEntry{}}
}

func keyOf(owner, repo, login string) permissionKey {
	return permissionKey{strings.ToLower(owner + "/" + repo), strings.ToLower(login)}
}

// Permission returns login's role on owner/repo, remembered for the TTL. A
// person who is not a collaborator has PermissionNone, which is an answer,
// not an error. Use it where a role a few minutes old is acceptable (which
// approvals count); authorize actions with Authorize.
func (p *Permissions) Permission(ctx context.Context, client *github.Client, owner, repo, login string) (checks.Permission, error) {
	key := keyOf(owner, repo, login)
	p.mu.Lock()
	if e, ok := p.entries[key]; ok && p.clock.Now().Before(e.expires) {
		p.mu.Unlock()
		return e.perm, nil
	}
	p.mu.Unlock()
	return p.ask(ctx, client, owner, repo, login)
}

// Fresh returns login's role on owner/repo as GitHub says it now, never from
// memory. The client's transport turns a repeated question into a
// conditional request, so an unchanged role costs a 304, which does not
// count against the rate limit, and a changed one is seen at once.
func (p *Permissions) Fresh(ctx context.Context, client *github.Client, owner, repo, login string) (checks.Permission, error) {
	return p.ask(ctx, client, owner, repo, login)
}

// Authorize checks, with a Fresh answer, that login has at least need on
// owner/repo. A role below need is a *RoleError; any other error means
// GitHub could not be asked.
func (p *Permissions) Authorize(ctx context.Context, client *github.Client, owner, repo, login string, need checks.Permission) error {
	have, err := p.Fresh(ctx, client, owner, repo, login)
	if err != nil {
		return err
	}
	if have < need {
		return &RoleError{Login: login, Repository: owner + "/" + repo, Need: need, Have: have}
	}
	return nil
}

// RoleError is a refusal: Login's role on Repository is below Need.
type RoleError struct {
	Login, Repository string
	Need, Have        checks.Permission
}

func (e *RoleError) Error() string {
	return e.Explain("this")
}

// Explain says why action is refused, as a sentence for the person refused:
// "pressing Resume needs the admin role on acme/api; @alice has read".
func (e *RoleError) Explain(action string) string {
	have := "has " + e.Have.String()
	if e.Have == checks.PermissionNone {
		have = "has no role there"
	}
	return fmt.Sprintf("%s needs the %s role on %s; @%s %s", action, e.Need, e.Repository, e.Login, have)
}

// ask asks GitHub and remembers the answer, unless roles were forgotten
// while the question was in flight.
func (p *Permissions) ask(ctx context.Context, client *github.Client, owner, repo, login string) (checks.Permission, error) {
	p.mu.Lock()
	forgets := p.forgets
	p.mu.Unlock()

	level, _, err := client.Repositories.GetPermissionLevel(ctx, owner, repo, login)
	var perm checks.Permission
	switch {
	case err == nil:
		perm = permissionOf(level)
	case isStatus(err, http.StatusNotFound):
		perm = checks.PermissionNone
	default:
		return checks.PermissionNone, fmt.Errorf("permission of %s on %s/%s: %w", login, owner, repo, err)
	}
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.forgets != forgets {
		return perm, nil
	}
	if len(p.entries) >= p.max {
		p.evictExpired(now)
		if len(p.entries) >= p.max {
			clear(p.entries) // a crude bound; answers are cheap to ask for again
		}
	}
	p.entries[keyOf(owner, repo, login)] = permissionEntry{perm: perm, expires: now.Add(p.ttl)}
	return perm, nil
}

// Forget drops what is remembered for owner/repo, for when roles change
// or a test wants fresh answers.
func (p *Permissions) Forget(owner, repo string) { p.ForgetRoles(owner, repo, "") }

// ForgetRoles drops remembered roles on owner's repositories: on repo only,
// unless repo is "", and of login only, unless login is "". Webhooks call it
// when GitHub says roles changed (a collaborator edited, a team's members or
// repositories changed).
func (p *Permissions) ForgetRoles(owner, repo, login string) {
	owner, repo, login = strings.ToLower(owner), strings.ToLower(repo), strings.ToLower(login)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forgets++
	for k := range p.entries {
		o, r, _ := strings.Cut(k.repo, "/")
		if o == owner && (repo == "" || r == repo) && (login == "" || k.login == login) {
			delete(p.entries, k)
		}
	}
}

func (p *Permissions) evictExpired(now time.Time) {
	for k, e := range p.entries {
		if !now.Before(e.expires) {
			delete(p.entries, k)
		}
	}
}

// permissionOf reads the role the way GitHub means it. The top-level
// "permission" folds maintain into write and triage into read, so the
// nested user's role_name comes first, then its permissions map, and the
// folded value only when neither is there.
func permissionOf(level *github.RepositoryPermissionLevel) checks.Permission {
	if u := level.GetUser(); u != nil {
		if p, ok := roleNamePermission(u.GetRoleName()); ok {
			return p
		}
		for _, c := range []struct {
			key  string
			perm checks.Permission
		}{
			{"admin", checks.PermissionAdmin}, {"maintain", checks.PermissionMaintain},
			{"push", checks.PermissionWrite}, {"triage", checks.PermissionTriage}, {"pull", checks.PermissionRead},
		} {
			if u.Permissions[c.key] {
				return c.perm
			}
		}
	}
	p, _ := roleNamePermission(level.GetPermission())
	return p
}

func roleNamePermission(role string) (checks.Permission, bool) {
	switch strings.ToLower(role) {
	case "admin":
		return checks.PermissionAdmin, true
	case "maintain":
		return checks.PermissionMaintain, true
	case "write", "push":
		return checks.PermissionWrite, true
	case "triage":
		return checks.PermissionTriage, true
	case "read", "pull":
		return checks.PermissionRead, true
	case "none":
		return checks.PermissionNone, true
	}
	// A custom repository role is named freely; its base role is not in
	// this answer, so it is treated as unknown and the permissions map decides.
	return checks.PermissionNone, false
}

func isStatus(err error, status int) bool {
	var resp *github.ErrorResponse
	return errors.As(err, &resp) && resp.Response != nil && resp.Response.StatusCode == status
}
