package githubfake

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

func newKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// TestInstallationTransport drives the fake the way Wavegate will: App JWT ->
// installation token -> authenticated calls, with ghinstallation and go-github.
func TestInstallationTransport(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	key, pemBytes := newKey(t)
	s.SetAppPublicKey(&key.PublicKey)

	itr, err := ghinstallation.New(http.DefaultTransport, 1, DefaultInstallationID, pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	itr.BaseURL = strings.TrimSuffix(s.URL(), "/")
	gh := clientWithTransport(t, s, itr)

	for range 3 {
		repo, _, err := gh.Repositories.Get(ctx, "acme", "api")
		if err != nil {
			t.Fatal(err)
		}
		if repo.GetDefaultBranch() != "main" || repo.GetFullName() != "acme/api" || repo.GetOwner().GetLogin() != "acme" {
			t.Fatalf("repo = %+v", repo)
		}
	}
	if n := s.Count("POST", TokenTemplate); n != 1 {
		t.Errorf("tokens minted = %d, want 1 (the token is cached)", n)
	}
	if n := s.CountExcept(TokenTemplate); n != 3 {
		t.Errorf("API calls = %d, want 3", n)
	}
	if n := s.Calls(); n != 4 {
		t.Errorf("Calls = %d, want 4", n)
	}
}

func TestAppEndpoints(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	s.AddInstallation(7, "other-org")
	key, pemBytes := newKey(t)
	s.SetAppPublicKey(&key.PublicKey)
	atr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, 1, pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	atr.BaseURL = strings.TrimSuffix(s.URL(), "/")
	app := clientWithTransport(t, s, atr)

	a, _, err := app.Apps.Get(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.GetID() != 1 || a.GetSlug() != "wavegate" {
		t.Errorf("app = %+v", a)
	}
	list, _, err := app.Apps.ListInstallations(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].GetID() != 1 || list[1].GetAccount().GetLogin() != "other-org" {
		t.Errorf("installations = %v", list)
	}
	in, _, err := app.Apps.GetInstallation(ctx, 7)
	if err != nil || in.GetAppID() != 1 {
		t.Fatalf("installation 7 = %v, %v", in, err)
	}
	if _, resp, err := app.Apps.GetInstallation(ctx, 99); statusOf(resp) != http.StatusNotFound {
		t.Errorf("unknown installation: %v, %v", statusOf(resp), err)
	}

	tok, _, err := app.Apps.CreateInstallationToken(ctx, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.GetToken(), "ghs_") {
		t.Errorf("token = %q", tok.GetToken())
	}
	if d := time.Until(tok.GetExpiresAt().Time); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("token expires in %v, want an hour", d)
	}
	// The token is tied to installation 7: acme/api belongs to installation 1.
	if _, resp, _ := clientWithToken(t, s, tok.GetToken()).Repositories.Get(ctx, "acme", "api"); statusOf(resp) != http.StatusNotFound {
		t.Errorf("other installation's repo: status %d, want 404", statusOf(resp))
	}
}

func TestJWTVerification(t *testing.T) {
	s := newFake(t)
	key, _ := newKey(t)
	other, _ := newKey(t)
	now := time.Now()
	sign := func(k *rsa.PrivateKey, claims string) string {
		return "Bearer " + signJWT(t, k, claims)
	}
	claims := func(iss string, iat, exp time.Time) string {
		return `{"iss":` + iss + `,"iat":` + itoa(int(iat.Unix())) + `,"exp":` + itoa(int(exp.Unix())) + `}`
	}
	good := claims("1", now.Add(-30*time.Second), now.Add(9*time.Minute))

	// Without a key any three-part token passes, so tests need no key at all.
	if resp, body := do(t, s, "GET", "/app", "Bearer a.b.c", "", nil); resp.StatusCode != 200 {
		t.Fatalf("unverified JWT: %d %s", resp.StatusCode, body)
	}
	s.SetAppPublicKey(&key.PublicKey)
	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"good", sign(key, good), 200},
		{"issuer as a number", sign(key, claims(`1`, now, now.Add(5*time.Minute))), 200},
		{"issuer as the client id", sign(key, claims(`"Iv1.fakeclientid"`, now, now.Add(5*time.Minute))), 200},
		{"other key", sign(other, good), 401},
		{"other app", sign(key, claims(`"2"`, now, now.Add(5*time.Minute))), 401},
		{"expired", sign(key, claims(`"1"`, now.Add(-20*time.Minute), now.Add(-10*time.Minute))), 401},
		{"too long", sign(key, claims(`"1"`, now, now.Add(time.Hour))), 401},
		{"not a JWT", "Bearer a.b.c", 401},
		{"installation token", "token " + s.Token(1), 401},
		{"none", "", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if resp, body := do(t, s, "GET", "/app", tc.auth, "", nil); resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
		})
	}
}

func TestUnauthorized(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	for _, tc := range []struct{ name, auth, msg string }{
		{"no credentials", "", "Requires authentication"},
		{"unknown token", "token ghs_nope", "Bad credentials"},
		{"bearer unknown token", "Bearer ghs_nope", "Bad credentials"},
		{"JWT on a repository", "Bearer a.b.c", "Bad credentials"},
		{"basic", "Basic dXNlcjpwYXNz", "Bad credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, s, "GET", "/repos/acme/api", tc.auth, "", nil)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"message":"`+tc.msg+`"`) {
				t.Errorf("got %d %s", resp.StatusCode, body)
			}
		})
	}

	tok := s.Token(1)
	for _, auth := range []string{"token " + tok, "Bearer " + tok} {
		if resp, body := do(t, s, "GET", "/repos/acme/api", auth, "", nil); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", auth[:6], resp.StatusCode, body)
		}
	}
	s.RevokeTokens()
	_, _, err := clientWithToken(t, s, tok).Repositories.Get(ctx, "acme", "api")
	var ghErr *github.ErrorResponse
	if !errors.As(err, &ghErr) || ghErr.Response.StatusCode != 401 || ghErr.Message != "Bad credentials" {
		t.Errorf("revoked token: %v", err)
	}
	if _, resp, _ := client(t, s, 1).Repositories.Get(ctx, "acme", "nope"); statusOf(resp) != 404 {
		t.Errorf("unknown repo: %d", statusOf(resp))
	}
}

func TestManifestConversion(t *testing.T) {
	ctx := context.Background()
	s := New(t)
	s.AddManifestCode("abc", AppConversion{
		ID: 42, Slug: "wavegate-acme", Name: "Wavegate (acme)", WebhookSecret: "whsec", PEM: "-----BEGIN RSA PRIVATE KEY-----\n...",
		ClientID: "Iv1.x", ClientSecret: "shh", Owner: "acme",
	})
	gh := clientWithToken(t, s, "")
	cfg, _, err := gh.Apps.CompleteAppManifest(ctx, "abc")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GetID() != 42 || cfg.GetSlug() != "wavegate-acme" || cfg.GetWebhookSecret() != "whsec" || cfg.GetPEM() == "" ||
		cfg.GetClientID() != "Iv1.x" || cfg.GetClientSecret() != "shh" || cfg.GetOwner().GetLogin() != "acme" ||
		cfg.GetHTMLURL() != "https://github.com/apps/wavegate-acme" || cfg.GetName() != "Wavegate (acme)" {
		t.Errorf("conversion = %+v", cfg)
	}
	if _, resp, _ := gh.Apps.CompleteAppManifest(ctx, "abc"); statusOf(resp) != 404 {
		t.Errorf("second conversion: %d, want 404 (codes are single-use)", statusOf(resp))
	}
	if _, resp, _ := gh.Apps.CompleteAppManifest(ctx, "unknown"); statusOf(resp) != 404 {
		t.Errorf("unknown code: %d", statusOf(resp))
	}
}
