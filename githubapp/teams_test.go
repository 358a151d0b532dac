package githubapp

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestTeamsMembershipAndOwnership(t *testing.T) {
	fake, client, clk := acmeInstallation(t)
	fake.SetTeamMember("acme", "release-managers", "rm", "member")
	fake.SetTeamMember("acme", "release-managers", "lead", "maintainer")
	fake.SetOrgMember("acme", "olga", "admin")
	fake.SetOrgMember("acme", "mia", "member")
	teams := NewTeams(clk, time.Minute)
	ctx := context.Background()
	for _, tt := range []struct {
		login            string
		member, orgOwner bool
	}{
		{"rm", true, false}, {"lead", true, false}, {"olga", false, true}, {"mia", false, false}, {"stranger", false, false},
	} {
		if got, err := teams.Member(ctx, client, "acme", "release-managers", tt.login); err != nil || got != tt.member {
			t.Errorf("Member(%s) = %v, %v; want %v", tt.login, got, err, tt.member)
		}
		if got, err := teams.OrgOwner(ctx, client, "acme", tt.login); err != nil || got != tt.orgOwner {
			t.Errorf("OrgOwner(%s) = %v, %v; want %v", tt.login, got, err, tt.orgOwner)
		}
	}
	if got, _ := teams.OrgOwner(ctx, client, "acme", ""); got {
		t.Error("an empty login owns the organization")
	}

	const teamRoute = "/orgs/{org}/teams/{team_slug}/memberships/{username}"
	asked := fake.Count(http.MethodGet, teamRoute)
	// Kept briefly, whatever the case.
	if got, _ := teams.Member(ctx, client, "ACME", "release-managers", "RM"); !got {
		t.Fatal("a kept answer changed")
	}
	if n := fake.Count(http.MethodGet, teamRoute); n != asked {
		t.Fatalf("a kept answer cost %d calls", n-asked)
	}
	// A membership event forgets: a removal is seen at once.
	fake.SetTeamMember("acme", "release-managers", "rm", "")
	teams.ForgetRoles("acme", "", "rm")
	if got, _ := teams.Member(ctx, client, "acme", "release-managers", "rm"); got {
		t.Error("still a member after being removed and forgotten")
	}
	// And time does too.
	fake.SetOrgMember("acme", "olga", "member")
	clk.Advance(time.Minute)
	if got, _ := teams.OrgOwner(ctx, client, "acme", "olga"); got {
		t.Error("still an owner after the answer expired")
	}
}
