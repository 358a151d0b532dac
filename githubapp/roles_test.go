package githubapp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/internal/clock"
)

// Without a client for the installation, or with a repository that is not
// owner/name, no role is given: the command it was asked for is refused.
func TestActorRolesRefuseWithoutAnAnswer(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	noClient := errors.New("the GitHub App is not configured yet")
	roles := ActorRoles{
		Installation: func(int64) (*github.Client, error) { return nil, noClient },
		Permissions:  NewPermissions(clk, 0, 0), Teams: NewTeams(clk, 0),
	}
	ctx := context.Background()
	if p, err := roles.Role(ctx, 1, "acme/api", "alice"); !errors.Is(err, noClient) || p != checks.PermissionNone {
		t.Errorf("Role: %v, %v; want none and the client's error", p, err)
	}
	if ok, err := roles.TeamMember(ctx, 1, "acme", "sre", "alice"); !errors.Is(err, noClient) || ok {
		t.Errorf("TeamMember: %v, %v; want false and the client's error", ok, err)
	}
	if ok, err := roles.OrgOwner(ctx, 1, "acme", "alice"); !errors.Is(err, noClient) || ok {
		t.Errorf("OrgOwner: %v, %v; want false and the client's error", ok, err)
	}

	roles.Installation = func(int64) (*github.Client, error) { return github.NewClient(nil), nil }
	if p, err := roles.Role(ctx, 1, "no-slash", "alice"); err == nil || !strings.Contains(err.Error(), `"no-slash"`) || p != checks.PermissionNone {
		t.Errorf("Role of a malformed repository: %v, %v; want none and an error naming it", p, err)
	}
}
