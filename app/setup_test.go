package app

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/appcreds"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/internal/testlog"
)

func logTo(b *testlog.Buffer) Options {
	return Options{Logger: slog.New(slog.NewTextHandler(b, nil))}
}

// readToken returns the setup token file's content, checking its mode.
func readToken(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, appcreds.SetupTokenFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("setup token file: %v", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func TestFreshAppLogsSetupTokenAndWritesFile(t *testing.T) {
	for _, public := range []string{"", "https://wavegate.example.com/"} {
		t.Run("public-url="+public, func(t *testing.T) {
			fake := newFake(t)
			cfg := newConfig(t, fake, false)
			cfg.PublicURL = public
			logs := &testlog.Buffer{}
			r := startWith(t, cfg, fake, clock.NewFake(time.Now()), logTo(logs))
			token := readToken(t, cfg.DataDir)
			if len(token) < 26 {
				t.Fatalf("token %q is too short to hold 128 random bits", token)
			}
			r.get("/healthz") // served, so the start-up lines are written
			base := r.url
			if public != "" {
				base = strings.TrimRight(public, "/")
			}
			if want := base + "/?token=" + token; !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, logs.String())
			}
			if n := strings.Count(logs.String(), token); n != 1 {
				t.Errorf("the token is logged %d times, want once", n)
			}

			// A restart before setup reuses the token the operator has.
			r.stop()
			again := &testlog.Buffer{}
			r2 := startWith(t, cfg, fake, clock.NewFake(time.Now()), logTo(again))
			r2.get("/healthz")
			if got := readToken(t, cfg.DataDir); got != token {
				t.Errorf("restart changed the token")
			}
			if !strings.Contains(again.String(), "?token="+token) {
				t.Errorf("restart does not log the token:\n%s", again.String())
			}
		})
	}
}

func TestConfiguredAppHasNoSetupToken(t *testing.T) {
	fake := newFake(t)
	cfg := newConfig(t, fake, true)
	// Left over from an earlier, unconfigured start.
	if _, _, err := appcreds.SetupToken(cfg.DataDir); err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	r := startWith(t, cfg, fake, clock.NewFake(time.Now()), logTo(logs))
	r.get("/healthz")
	if _, err := os.Stat(filepath.Join(cfg.DataDir, appcreds.SetupTokenFile)); !os.IsNotExist(err) {
		t.Errorf("a configured Wavegate kept its setup token: %v", err)
	}
	if strings.Contains(logs.String(), "?token=") {
		t.Errorf("a configured Wavegate logs a setup URL:\n%s", logs.String())
	}
}

// browser is an HTTP client with cookies, as a person setting up has.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func fetch(t *testing.T, c *http.Client, target string) (int, string, *url.URL) {
	t.Helper()
	resp, err := c.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Request.URL
}

var formToGitHub = regexp.MustCompile(`<form method="post" action="(http[^"]*/settings/apps/new[^"]*)">`)

func TestSetupFlowPutsCredentialsInForce(t *testing.T) {
	fake := newFake(t)
	cfg := newConfig(t, fake, false)
	r := start(t, cfg, fake, clock.NewFake(time.Now()), nil)
	token := readToken(t, cfg.DataDir)
	if code := r.deliver("push", "early", pushPayload); code != http.StatusServiceUnavailable {
		t.Fatalf("webhook before setup: %d, want 503", code)
	}

	// Strangers get no registration form, with or without a guess.
	if _, page := r.get("/"); formToGitHub.MatchString(page) || !strings.Contains(page, appcreds.SetupTokenFile) {
		t.Fatalf("anonymous / offers registration or hides where the token is:\n%s", page)
	}
	if code, page := r.get("/?token=" + strings.Repeat("A", len(token))); code != http.StatusForbidden || formToGitHub.MatchString(page) {
		t.Fatalf("wrong token: %d\n%s", code, page)
	}

	owner := browser(t)
	code, page, landed := fetch(t, owner, r.url+"/?token="+url.QueryEscape(token))
	if code != http.StatusOK || landed.RawQuery != "" {
		t.Fatalf("token link: %d at %s, want the setup page at / without the token in the address", code, landed)
	}
	m := formToGitHub.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no setup form for the token holder:\n%s", page)
	}
	action, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	if action.Path != "/settings/apps/new" {
		t.Fatalf("form posts to %s", action)
	}
	// Later anonymous loads must not push the owner's state out.
	for range 100 {
		r.get("/")
	}

	fake.AddManifestCode("c0de", githubfake.AppConversion{
		ID: 1, Slug: "wavegate-acme", Name: "Wavegate", WebhookSecret: testSecret,
		PEM: string(githubfake.AppKeyPEM(t)), ClientID: "Iv1.x", ClientSecret: "cs", HTMLURL: "https://github.com/apps/wavegate-acme",
	})
	// GitHub returns the browser to the callback; the state proves the rest.
	code, done := r.get(fmt.Sprintf("/setup/callback?code=c0de&state=%s", url.QueryEscape(action.Query().Get("state"))))
	if code != 200 || !strings.Contains(done, "wavegate-acme") {
		t.Fatalf("callback %d: %s", code, done)
	}
	for _, name := range []string{appcreds.JSONFile, appcreds.PEMFile} {
		st, err := os.Stat(filepath.Join(cfg.DataDir, name))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v mode %v, want 0600", name, err, st.Mode().Perm())
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, appcreds.SetupTokenFile)); !os.IsNotExist(err) {
		t.Errorf("setup token file outlived setup: %v", err)
	}
	if code := r.deliver("push", "after", pushPayload); code != http.StatusAccepted {
		t.Fatalf("webhook after setup: %d, want 202 without a restart", code)
	}
	if _, err := r.app.GitHub(); err != nil {
		t.Fatalf("GitHub clients after setup: %v", err)
	}
	// The token is void now.
	if _, page, _ := fetch(t, browser(t), r.url+"/?token="+url.QueryEscape(token)); formToGitHub.MatchString(page) ||
		!strings.Contains(page, "Wavegate is running") {
		t.Errorf("used token still opens setup:\n%s", page)
	}
}

func TestDataDirPermissionsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	tests := []struct {
		name    string
		prepare func(t *testing.T, cfg *Config)
		want    string // {dir}: the data directory; {key}: the key file
	}{
		{"world-writable data directory", func(t *testing.T, cfg *Config) { chmod(t, cfg.DataDir, 0o777) }, "chmod 700 {dir}"},
		{"group-writable data directory", func(t *testing.T, cfg *Config) { chmod(t, cfg.DataDir, 0o770) }, "chmod 700 {dir}"},
		{"readable private key", func(t *testing.T, cfg *Config) {
			write(t, filepath.Join(cfg.DataDir, appcreds.PEMFile), 0o644)
		}, "chmod 600 {dir}/github-app.pem"},
		{"readable webhook secret", func(t *testing.T, cfg *Config) {
			write(t, filepath.Join(cfg.DataDir, appcreds.JSONFile), 0o640)
		}, "chmod 600 {dir}/github-app.json"},
		{"readable setup token", func(t *testing.T, cfg *Config) {
			write(t, filepath.Join(cfg.DataDir, appcreds.SetupTokenFile), 0o604)
		}, "chmod 600 {dir}/setup-token"},
		{"world-readable --github-private-key-path", func(t *testing.T, cfg *Config) {
			path := filepath.Join(t.TempDir(), "key.pem")
			write(t, path, 0o644)
			cfg.GitHubPrivateKey, cfg.GitHubPrivateKeyPath = "", path
		}, "chmod 600 {key}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			cfg := newConfig(t, fake, true)
			tt.prepare(t, &cfg)
			t.Cleanup(func() { chmod(t, cfg.DataDir, 0o700) })
			_, err := New(context.Background(), cfg, Options{})
			want := strings.NewReplacer("{dir}", cfg.DataDir, "{key}", cfg.GitHubPrivateKeyPath).Replace(tt.want)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("New: %v, want an error saying %q", err, want)
			}
			if _, err := os.Stat(filepath.Join(cfg.DataDir, DatabaseFile)); !os.IsNotExist(err) {
				t.Errorf("the database was created in a refused data directory: %v", err)
			}
		})
	}
}

func TestDataDirCreatedPrivate(t *testing.T) {
	fake := newFake(t)
	cfg := newConfig(t, fake, true)
	cfg.DataDir = filepath.Join(cfg.DataDir, "var", "wavegate")
	start(t, cfg, fake, clock.NewFake(time.Now()), nil)
	st, err := os.Stat(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o700 {
		t.Fatalf("data directory created %v, want 0700", st.Mode().Perm())
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, githubfake.AppKeyPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, mode)
}

func TestSlugFromGitHub(t *testing.T) {
	fake := newFake(t)
	logs := &testlog.Buffer{}
	r := startWith(t, newConfig(t, fake, true), fake, clock.NewFake(time.Now()), logTo(logs))
	_, page := r.get("/")
	if !strings.Contains(page, "<strong>wavegate</strong>") || !strings.Contains(page, "/apps/wavegate/installations/new") {
		t.Errorf("page does not show the slug GitHub gave:\n%s", page)
	}
	if n := fake.Count(http.MethodGet, "/app"); n != 1 {
		t.Errorf("GET /app called %d times, want 1", n)
	}
}

func TestSlugLookupFails(t *testing.T) {
	fake := newFake(t)
	fake.FailNext(http.MethodGet, "/app", githubfake.Fault{Status: http.StatusInternalServerError})
	logs := &testlog.Buffer{}
	r := startWith(t, newConfig(t, fake, true), fake, clock.NewFake(time.Now()), logTo(logs))
	_, page := r.get("/")
	if !strings.Contains(page, "with id 1") {
		t.Errorf("page does not name the App by id:\n%s", page)
	}
	if strings.Contains(page, "/installations/new") {
		t.Errorf("page links to an install page without the slug:\n%s", page)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "slug") {
		t.Errorf("no warning about the failed lookup:\n%s", logs.String())
	}
}
