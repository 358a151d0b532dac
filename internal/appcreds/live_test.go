package appcreds

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wavegate/wavegate/githubapp"
)

func testKeyPEM(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

func tokenExists(t *testing.T, dir string) bool {
	t.Helper()
	_, err := os.Stat(filepath.Join(dir, SetupTokenFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// Without an App, nothing is in force but a setup token, and GitHub is
// refused with a reason.
func TestLiveWithoutAnAppHasASetupToken(t *testing.T) {
	dir := t.TempDir()
	l, err := LoadLive(dir, Overrides{}, githubapp.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if l.SetupToken() == "" || !tokenExists(t, dir) {
		t.Error("no setup token for an unconfigured App")
	}
	if want := []string{"github-app-id", "github-private-key", "github-webhook-secret"}; !slices.Equal(l.Current().Missing(), want) {
		t.Errorf("missing %v, want %v", l.Current().Missing(), want)
	}
	if _, err := l.GitHub(); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("GitHub() err %v, want ErrNotConfigured", err)
	}
}

// Flags and environment win field by field over the setup flow's files,
// and a complete App voids a setup token left over.
func TestLiveOverridesWinFieldByField(t *testing.T) {
	dir := t.TempDir()
	if err := Save(dir, Credentials{AppID: 1, Slug: "wavegate", WebhookSecret: "from-file", PrivateKeyPEM: testKeyPEM(t)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := SetupToken(dir); err != nil {
		t.Fatal(err)
	}
	l, err := LoadLive(dir, Overrides{AppID: 7, WebhookSecret: "from-flag"}, githubapp.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := l.Current()
	if c.AppID != 7 || c.WebhookSecret != "from-flag" || c.Slug != "wavegate" || !c.Complete() {
		t.Errorf("in force: app %d, secret %q, slug %q, complete %v; want the flags' id and secret, the file's slug",
			c.AppID, c.WebhookSecret, c.Slug, c.Complete())
	}
	if string(l.WebhookSecret()) != "from-flag" {
		t.Errorf("webhook secret %q, want the flag's", l.WebhookSecret())
	}
	if _, err := l.GitHub(); err != nil {
		t.Errorf("GitHub(): %v, want clients", err)
	}
	if l.SetupToken() != "" || tokenExists(t, dir) {
		t.Error("a setup token still admits with an App configured")
	}
}

// Registering puts the App in force at once, saves it, and voids the
// setup token.
func TestLiveRegisterPutsTheAppInForce(t *testing.T) {
	dir := t.TempDir()
	l, err := LoadLive(dir, Overrides{}, githubapp.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := Credentials{AppID: 9, Slug: "wavegate", WebhookSecret: "s", PrivateKeyPEM: testKeyPEM(t)}
	if err := l.Register(c, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if !l.Current().Complete() || l.Current().AppID != 9 {
		t.Errorf("in force %+v, want App 9", l.Current().Credentials)
	}
	if _, err := l.GitHub(); err != nil {
		t.Errorf("GitHub(): %v, want clients", err)
	}
	if tokenExists(t, dir) {
		t.Error("the setup token file stays after registration")
	}
	saved, ok, err := Load(dir)
	if err != nil || !ok || saved.AppID != 9 {
		t.Errorf("saved %+v, %v, %v; want App 9 on disk", saved, ok, err)
	}
}
