package githubapp

import (
	"strconv"
	"strings"
	"sync"
	"testing"
)

func newTestClients(t *testing.T, f *fakeGitHub, pemKey []byte, mod func(*Config)) *Clients {
	t.Helper()
	cfg := Config{AppID: testAppID, PrivateKey: pemKey, BaseURL: f.baseURL(), Clock: newFakeClock()}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestInstallationClientIsCachedAndReusesItsToken(t *testing.T) {
	for _, prefix := range []string{"", "/api/v3"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			key, pemKey := newKey(t)
			f := newFakeGitHub(t, key, prefix)
			c := newTestClients(t, f, pemKey, nil)

			first, err := c.Installation(42)
			if err != nil {
				t.Fatal(err)
			}
			again, err := c.Installation(42)
			if err != nil {
				t.Fatal(err)
			}
			if first != again {
				t.Fatal("Installation(42) twice returned different clients")
			}
			other, err := c.Installation(43)
			if err != nil {
				t.Fatal(err)
			}
			if other == first {
				t.Fatal("Installation(43) returned installation 42's client")
			}

			for i := range 3 {
				if _, _, err := first.Repositories.Get(t.Context(), "octo", "repo"+strconv.Itoa(i)); err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			if n := len(f.requests("POST /app/installations/42/access_tokens")); n != 1 {
				t.Errorf("token requests for installation 42 = %d, want 1", n)
			}
			api := f.requests("GET /repos/octo/repo2")
			if len(api) != 1 {
				t.Fatalf("GET /repos/octo/repo2 seen %d times, want 1", len(api))
			}
			if got := api[0].header.Get("Authorization"); got != "token "+testToken {
				t.Errorf("API call Authorization = %q, want the installation token", got)
			}
			if got := api[0].header.Get("User-Agent"); got != defaultUserAgent {
				t.Errorf("User-Agent = %q, want %q", got, defaultUserAgent)
			}
			if n := callsOf(c.Calls(), "POST", "/app/installations/{installation_id}/access_tokens", "201"); n != 1 {
				t.Errorf("counted token requests = %d, want 1 (calls: %+v)", n, c.Calls())
			}
			if n := callsOf(c.Calls(), "GET", "/repos/{owner}/{repo}", "200"); n != 3 {
				t.Errorf("counted GETs = %d, want 3 (calls: %+v)", n, c.Calls())
			}
		})
	}
}

func TestInstallationConcurrentCallsShareOneClient(t *testing.T) {
	key, pemKey := newKey(t)
	f := newFakeGitHub(t, key, "")
	c := newTestClients(t, f, pemKey, nil)

	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	clients := make(chan any, n)
	for range n {
		wg.Go(func() {
			gh, err := c.Installation(7)
			if err != nil {
				errs <- err
				return
			}
			clients <- gh
			if _, _, err := gh.Repositories.Get(t.Context(), "o", "r"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	close(clients)
	for err := range errs {
		t.Error(err)
	}
	var first any
	for gh := range clients {
		if first == nil {
			first = gh
		} else if gh != first {
			t.Fatal("concurrent Installation(7) calls returned different clients")
		}
	}
	if got := len(f.requests("POST /app/installations/7/access_tokens")); got != 1 {
		t.Errorf("token requests = %d, want 1 for %d concurrent callers", got, n)
	}
}

func TestAppClientSendsVerifiableJWT(t *testing.T) {
	key, pemKey := newKey(t)
	f := newFakeGitHub(t, key, "")
	c := newTestClients(t, f, pemKey, nil)

	if _, _, err := c.App().Apps.Get(t.Context(), ""); err != nil {
		t.Fatalf("GET /app: %v", err)
	}
	got := f.requests("GET /app")
	if len(got) != 1 {
		t.Fatalf("GET /app seen %d times, want 1", len(got))
	}
	raw, ok := strings.CutPrefix(got[0].header.Get("Authorization"), "Bearer ")
	if !ok {
		t.Fatalf("Authorization = %q, want a Bearer JWT", got[0].header.Get("Authorization"))
	}
	claims, err := f.verifyJWT(raw)
	if err != nil {
		t.Fatalf("JWT does not verify with the App's public key: %v", err)
	}
	if claims.Issuer != strconv.Itoa(testAppID) {
		t.Errorf("JWT issuer = %q, want the App id %d", claims.Issuer, testAppID)
	}

	// And a JWT from another key must not verify, or the check above proves nothing.
	otherKey, _ := newKey(t)
	f2 := newFakeGitHub(t, otherKey, "")
	c2 := newTestClients(t, f2, pemKey, nil)
	if _, _, err := c2.App().Apps.Get(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	raw2, _ := strings.CutPrefix(f2.requests("GET /app")[0].header.Get("Authorization"), "Bearer ")
	if _, err := f2.verifyJWT(raw2); err == nil {
		t.Error("a JWT signed with the wrong key verified")
	}
}
