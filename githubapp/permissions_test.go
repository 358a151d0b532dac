package githubapp

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/internal/githubfake"
)

func TestPermissionsReadRolesAndRemember(t *testing.T) {
	fake, client, clk := acmeInstallation(t)
	roles := map[string]checks.Permission{
		"ada": checks.PermissionAdmin, "max": checks.PermissionMaintain, "wes": checks.PermissionWrite,
		"tia": checks.PermissionTriage, "rea": checks.PermissionRead,
	}
	for login, perm := range roles {
		fake.SetPermission("acme/api", login, perm.String())
	}
	perms := NewPermissions(clk, time.Minute, 0)
	ctx := context.Background()
	const route = "/repos/{owner}/{repo}/collaborators/{username}/permission"
	roles["stranger"] = checks.PermissionNone // not a collaborator: 404 from GitHub
	for login, want := range roles {
		got, err := perms.Permission(ctx, client, "acme", "api", login)
		if err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v (maintain and triage must not fold into write and read)", login, got, err, want)
		}
	}
	asked := fake.Count(http.MethodGet, route)
	if asked != len(roles) {
		t.Fatalf("asked %d times for %d people", asked, len(roles))
	}
	// Within the TTL: remembered, no call, whatever the case of the login.
	if got, _ := perms.Permission(ctx, client, "ACME", "api", "Wes"); got != checks.PermissionWrite {
		t.Fatalf("remembered permission %v", got)
	}
	if n := fake.Count(http.MethodGet, route); n != asked {
		t.Fatalf("a remembered answer cost %d calls", n-asked)
	}
	// After the TTL GitHub is asked again.
	clk.Advance(time.Minute)
	fake.SetPermission("acme/api", "wes", "read")
	if got, _ := perms.Permission(ctx, client, "acme", "api", "wes"); got != checks.PermissionRead {
		t.Fatalf("after the TTL: %v, want the new role", got)
	}
	perms.Forget("acme", "api")
	if got, _ := perms.Permission(ctx, client, "acme", "api", "ada"); got != checks.PermissionAdmin {
		t.Fatal(got)
	}
	if n := fake.Count(http.MethodGet, route); n != asked+2 {
		t.Fatalf("calls after expiry and Forget: %d, want %d", n, asked+2)
	}
}

func TestPermissionErrorsAreNotRemembered(t *testing.T) {
	fake, client, clk := acmeInstallation(t)
	fake.SetPermission("acme/api", "wes", "write")
	fake.FailNext(http.MethodGet, "/repos/{owner}/{repo}/collaborators/{username}/permission", githubfake.Fault{Status: 502, Times: 1})
	perms := NewPermissions(clk, 0, 0)
	if _, err := perms.Permission(context.Background(), client, "acme", "api", "wes"); err == nil || !IsTransient(err) {
		t.Fatalf("a 502 gave %v, want a transient error", err)
	}
	if got, err := perms.Permission(context.Background(), client, "acme", "api", "wes"); err != nil || got != checks.PermissionWrite {
		t.Fatalf("after the 502: %v %v", got, err)
	}
}
