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
// from the collaborator-permission endpoint, remembering answers for a short
// while: a review burst asks about the same few people again and again.
type Permissions struct {
	clock clock.Clock
	ttl   time.Duration
	max   int

	mu      sync.Mutex
	entries map[permissionKey]permissionEntry
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

// Permission returns login's role on owner/repo. A person who is not a
// collaborator has PermissionNone, which is an answer, not an error.
func (p *Permissions) Permission(ctx context.Context, client *github.Client, owner, repo, login string) (checks.Permission, error) {
	key := permissionKey{strings.ToLower(owner + "/" + repo), strings.ToLower(login)}
	now := p.clock.Now()
	p.mu.Lock()
	if e, ok := p.entries[key]; ok && now.Before(e.expires) {
		p.mu.Unlock()
		return e.perm, nil
	}
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
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.entries) >= p.max {
		p.evictExpired(now)
		if len(p.entries) >= p.max {
			clear(p.entries) // a crude bound; answers are cheap to ask for again
		}
	}
	p.entries[key] = permissionEntry{perm: perm, expires: now.Add(p.ttl)}
	return perm, nil
}

// Forget drops what is remembered for owner/repo, for when roles change
// (a member event) or a test wants fresh answers.
func (p *Permissions) Forget(owner, repo string) {
	name := strings.ToLower(owner + "/" + repo)
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.entries {
		if k.repo == name {
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
