package githubapp

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/internal/clock"
)

// Teams answers "is this person an active member of this team" (approvers
// named "@org/team") and "does this person own this organization" (pause
// --org). Answers are kept briefly, since one command asks about the same
// teams for each approval stage it weighs; every question that does reach
// GitHub goes through the client's conditional requests, so an unchanged
// answer costs a 304, free of rate limit. Membership events forget them
// (ForgetRoles), so a removal is seen at once.
type Teams struct {
	clock clock.Clock
	ttl   time.Duration

	mu      sync.Mutex
	entries map[string]teamEntry
	forgets uint64
}

type teamEntry struct {
	yes     bool
	expires time.Time
}

// maxTeamEntries bounds memory; answers are cheap to ask for again.
const maxTeamEntries = 10_000

// NewTeams keeps each answer for ttl (default 30 seconds).
func NewTeams(c clock.Clock, ttl time.Duration) *Teams {
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	return &Teams{clock: c, ttl: ttl, entries: map[string]teamEntry{}}
}

// Member says whether login is an active member (or maintainer) of
// org/teamSlug. Not a member, or a pending invitation, is false.
func (t *Teams) Member(ctx context.Context, client *github.Client, org, teamSlug, login string) (bool, error) {
	key := strings.ToLower("team\x00" + org + "\x00" + teamSlug + "\x00" + login)
	return t.ask(ctx, key, func() (bool, error) {
		m, _, err := client.Teams.GetTeamMembershipBySlug(ctx, org, teamSlug, login)
		if isStatus(err, http.StatusNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("membership of %s in team %s/%s: %w", login, org, teamSlug, err)
		}
		return m.GetState() == "active", nil
	})
}

// OrgOwner says whether login is an active owner (role admin) of org.
func (t *Teams) OrgOwner(ctx context.Context, client *github.Client, org, login string) (bool, error) {
	if login == "" {
		return false, nil // GitHub would answer for the App itself
	}
	key := strings.ToLower("owner\x00" + org + "\x00\x00" + login)
	return t.ask(ctx, key, func() (bool, error) {
		m, _, err := client.Organizations.GetOrgMembership(ctx, login, org)
		if isStatus(err, http.StatusNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("membership of %s in organization %s: %w", login, org, err)
		}
		return m.GetState() == "active" && m.GetRole() == "admin", nil
	})
}

func (t *Teams) ask(ctx context.Context, key string, fetch func() (bool, error)) (bool, error) {
	now := t.clock.Now()
	t.mu.Lock()
	if e, ok := t.entries[key]; ok && now.Before(e.expires) {
		t.mu.Unlock()
		return e.yes, nil
	}
	forgets := t.forgets
	t.mu.Unlock()
	yes, err := fetch()
	if err != nil {
		return false, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.forgets == forgets { // an answer asked before a forget may be the one that changed
		if len(t.entries) >= maxTeamEntries {
			clear(t.entries)
		}
		t.entries[key] = teamEntry{yes: yes, expires: t.clock.Now().Add(t.ttl)}
	}
	return yes, nil
}

// ForgetRoles drops what is kept about owner's teams and ownership (of
// login only, unless login is ""); repo does not narrow it, since a team
// spans repositories. It has handlers.RoleCache's signature so that role
// changes reach it as they reach Permissions.
func (t *Teams) ForgetRoles(owner, _, login string) {
	owner, login = strings.ToLower(owner), strings.ToLower(login)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forgets++
	for k := range t.entries {
		parts := strings.Split(k, "\x00")
		if parts[1] == owner && (login == "" || parts[3] == login) {
			delete(t.entries, k)
		}
	}
}
