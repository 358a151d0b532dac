package githubapp

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
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

// An action is authorized on GitHub's answer of the moment, at the cost of a
// 304 while the role is unchanged.
func TestAuthorizeRevalidatesWithConditionalRequests(t *testing.T) {
	fake, client, clk := acmeInstallation(t)
	fake.SetPermission("acme/api", "alice", "admin")
	perms := NewPermissions(clk, time.Hour, 0)
	ctx := context.Background()
	const route = "/repos/{owner}/{repo}/collaborators/{username}/permission"
	asked := func() []githubfake.Request {
		var out []githubfake.Request
		for _, r := range fake.Requests() {
			if r.Template == route {
				out = append(out, r)
			}
		}
		return out
	}
	for i := range 2 {
		if err := perms.Authorize(ctx, client, "acme", "api", "alice", checks.PermissionAdmin); err != nil {
			t.Fatalf("authorization %d of an admin: %v", i+1, err)
		}
	}
	got := asked()
	if len(got) != 2 || got[0].Status != http.StatusOK || got[1].Status != http.StatusNotModified {
		t.Fatalf("two authorizations sent %d requests %v; want a 200, then a 304 (each asks GitHub, the second conditionally)", len(got), statuses(got))
	}
	if got[1].Header.Get("If-None-Match") == "" {
		t.Fatal("the second authorization was not a conditional request")
	}

	// Demoted on GitHub, no event: the next authorization sees it, although
	// the remembered answer has an hour to live.
	fake.SetPermission("acme/api", "alice", "read")
	err := perms.Authorize(ctx, client, "acme", "api", "alice", checks.PermissionAdmin)
	var refused *RoleError
	if !errors.As(err, &refused) || refused.Have != checks.PermissionRead || refused.Need != checks.PermissionAdmin {
		t.Fatalf("a demoted admin: %v, want a RoleError (has read, needs admin)", err)
	}
	if want := "pressing Resume needs the admin role on acme/api; @alice has read"; refused.Explain("pressing Resume") != want {
		t.Errorf("Explain = %q, want %q", refused.Explain("pressing Resume"), want)
	}
	if got := asked(); len(got) != 3 || got[2].Status != http.StatusOK {
		t.Fatalf("the demotion's revalidation: %v, want a third request answered 200", statuses(got))
	}
	// The fresh answer is remembered for the TTL path too.
	if p, err := perms.Permission(ctx, client, "acme", "api", "alice"); err != nil || p != checks.PermissionRead {
		t.Fatalf("remembered after Authorize: %v %v", p, err)
	}
	if n := len(asked()); n != 3 {
		t.Fatalf("Permission after Authorize asked GitHub again (%d requests)", n)
	}
	fake.SetPermission("acme/api", "alice", "")
	if err := perms.Authorize(ctx, client, "acme", "api", "alice", checks.PermissionRead); !errors.As(err, &refused) ||
		refused.Explain("x") != "x needs the read role on acme/api; @alice has no role there" {
		t.Fatalf("a removed collaborator: %v", err)
	}
}

func statuses(rs []githubfake.Request) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Status
	}
	return out
}

func TestForgetRolesScopes(t *testing.T) {
	type ask struct{ repo, login string }
	everyone := []ask{{"api", "ada"}, {"api", "wes"}, {"web", "ada"}, {"web", "wes"}}
	tests := []struct {
		name               string
		owner, repo, login string
		forgotten          []ask
	}{
		{"one login on one repository", "acme", "api", "Ada", []ask{{"api", "ada"}}},
		{"one repository", "ACME", "api", "", []ask{{"api", "ada"}, {"api", "wes"}}},
		{"one login everywhere in the org", "acme", "", "ada", []ask{{"api", "ada"}, {"web", "ada"}}},
		{"the whole org", "acme", "", "", everyone},
		{"another org", "other", "", "", nil},
		{"an org whose name only starts the same", "acm", "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, client, clk := acmeInstallation(t)
			fake.AddRepo("acme", "web", githubfake.RepoOpts{InstallationID: 1, DefaultBranch: "main"})
			perms := NewPermissions(clk, time.Hour, 0)
			ctx := context.Background()
			for _, a := range everyone {
				fake.SetPermission("acme/"+a.repo, a.login, "admin")
				if _, err := perms.Permission(ctx, client, "acme", a.repo, a.login); err != nil {
					t.Fatal(err)
				}
			}
			perms.ForgetRoles(tc.owner, tc.repo, tc.login)
			for _, a := range everyone {
				fake.SetPermission("acme/"+a.repo, a.login, "read")
				p, err := perms.Permission(ctx, client, "acme", a.repo, a.login)
				if err != nil {
					t.Fatal(err)
				}
				want := checks.PermissionAdmin
				if slices.Contains(tc.forgotten, a) {
					want = checks.PermissionRead
				}
				if p != want {
					t.Errorf("%s on acme/%s after ForgetRoles(%q, %q, %q): %v, want %v", a.login, a.repo, tc.owner, tc.repo, tc.login, p, want)
				}
			}
		})
	}
}

// gate holds the first permission answer, once received, until the test
// lets it go on to the caller.
type gate struct {
	next     http.RoundTripper
	held     atomic.Bool
	received chan struct{}
	release  chan struct{}
}

func (g *gate) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.next.RoundTrip(req)
	if strings.HasSuffix(req.URL.Path, "/permission") && g.held.CompareAndSwap(false, true) {
		close(g.received)
		<-g.release
	}
	return resp, err
}

// A role asked for before a member event and answered after it may be the
// role the event took away: it must not be remembered past the event.
func TestForgetDuringAQuestionWins(t *testing.T) {
	fake := githubfake.New(t)
	fake.AddInstallation(1, "acme")
	fake.AddRepo("acme", "api", githubfake.RepoOpts{InstallationID: 1, DefaultBranch: "main"})
	fake.SetPermission("acme/api", "alice", "admin")
	_, keyPEM := newKey(t)
	clk := newFakeClock()
	g := &gate{next: http.DefaultTransport, received: make(chan struct{}), release: make(chan struct{})}
	clients, err := New(Config{AppID: 1, PrivateKey: keyPEM, BaseURL: fake.URL(), Clock: clk, Base: g})
	if err != nil {
		t.Fatal(err)
	}
	client, err := clients.Installation(1)
	if err != nil {
		t.Fatal(err)
	}
	perms := NewPermissions(clk, time.Hour, 0)
	ctx := context.Background()
	answered := make(chan checks.Permission)
	go func() {
		p, err := perms.Permission(ctx, client, "acme", "api", "alice")
		if err != nil {
			t.Error(err)
		}
		answered <- p
	}()
	<-g.received
	// The admin answer is on its way; the demotion and its event land now.
	fake.SetPermission("acme/api", "alice", "read")
	perms.ForgetRoles("acme", "api", "alice")
	close(g.release)
	if p := <-answered; p != checks.PermissionAdmin {
		t.Fatalf("the question in flight answered %v; the fake said admin when asked", p)
	}
	if p, err := perms.Permission(ctx, client, "acme", "api", "alice"); err != nil || p != checks.PermissionRead {
		t.Fatalf("after the forget: %v %v; the answer from before it was remembered", p, err)
	}
}
