package githubfake

import (
	"context"
	"encoding/json"
	"testing"
)

func TestPermissionFolding(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	gh := client(t, s, 1)
	type perms struct{ Pull, Triage, Push, Maintain, Admin bool }
	for _, tc := range []struct {
		role, legacy string
		perms        perms
	}{
		{"admin", "admin", perms{true, true, true, true, true}},
		{"maintain", "write", perms{true, true, true, true, false}},
		{"write", "write", perms{true, true, true, false, false}},
		{"triage", "read", perms{true, true, false, false, false}},
		{"read", "read", perms{true, false, false, false, false}},
	} {
		t.Run(tc.role, func(t *testing.T) {
			user := "user-" + tc.role
			s.SetPermission(testRepo, user, tc.role)
			p, _, err := gh.Repositories.GetPermissionLevel(ctx, "acme", "api", user)
			if err != nil {
				t.Fatal(err)
			}
			if p.GetPermission() != tc.legacy || p.GetUser().GetLogin() != user || p.GetUser().GetRoleName() != tc.role {
				t.Errorf("permission = %q, user = %+v", p.GetPermission(), p.GetUser())
			}
			up := p.GetUser().Permissions
			got := perms{up["pull"], up["triage"], up["push"], up["maintain"], up["admin"]}
			if got != tc.perms {
				t.Errorf("user.permissions = %+v, want %+v", got, tc.perms)
			}
			// go-github v60 has no field for the top-level role_name; read it raw.
			req, _ := gh.NewRequest("GET", "repos/acme/api/collaborators/"+user+"/permission", nil)
			var raw map[string]json.RawMessage
			if _, err := gh.Do(ctx, req, &raw); err != nil {
				t.Fatal(err)
			}
			if string(raw["role_name"]) != `"`+tc.role+`"` {
				t.Errorf("role_name = %s", raw["role_name"])
			}
		})
	}
	if _, resp, _ := gh.Repositories.GetPermissionLevel(ctx, "acme", "api", "stranger"); statusOf(resp) != 404 {
		t.Errorf("non-collaborator: %d, want 404", statusOf(resp))
	}
	s.SetPermission(testRepo, "user-admin", "")
	if _, resp, _ := gh.Repositories.GetPermissionLevel(ctx, "acme", "api", "user-admin"); statusOf(resp) != 404 {
		t.Errorf("removed collaborator: %d, want 404", statusOf(resp))
	}
}

func TestTeamMembership(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	s.SetTeamMember("acme", "release-managers", "carol", "maintainer")
	gh := client(t, s, 1)
	m, _, err := gh.Teams.GetTeamMembershipBySlug(ctx, "acme", "release-managers", "carol")
	if err != nil {
		t.Fatal(err)
	}
	if m.GetRole() != "maintainer" || m.GetState() != "active" {
		t.Errorf("membership = %+v", m)
	}
	if _, resp, _ := gh.Teams.GetTeamMembershipBySlug(ctx, "acme", "release-managers", "dave"); statusOf(resp) != 404 {
		t.Errorf("non-member: %d", statusOf(resp))
	}
}
