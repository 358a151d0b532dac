package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/internal/appcreds"
)

// liveCredentials are the App's credentials in force and the clients built
// from them.
type liveCredentials struct {
	appcreds.Credentials
	clients *githubapp.Clients // nil until the App id and key are known
}

func (c *liveCredentials) complete() bool {
	return c.AppID > 0 && len(c.PrivateKeyPEM) > 0 && c.WebhookSecret != ""
}

func (c *liveCredentials) missing() []string {
	var m []string
	if c.AppID <= 0 {
		m = append(m, "github-app-id")
	}
	if len(c.PrivateKeyPEM) == 0 {
		m = append(m, "github-private-key")
	}
	if c.WebhookSecret == "" {
		m = append(m, "github-webhook-secret")
	}
	return m
}

// credentials holds what is in force; the setup flow swaps it while the
// server runs, so readers take a snapshot each time.
type credentials struct {
	base githubapp.Config
	live atomic.Pointer[liveCredentials]
}

// loadCredentials merges the setup flow's files in the data directory with
// flags and environment, which win field by field.
func loadCredentials(cfg Config, base githubapp.Config) (*credentials, error) {
	c, _, err := appcreds.Load(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("load GitHub App credentials: %w", err)
	}
	if cfg.GitHubAppID != 0 {
		c.AppID = cfg.GitHubAppID
	}
	if cfg.GitHubWebhookSecret != "" {
		c.WebhookSecret = cfg.GitHubWebhookSecret
	}
	switch {
	case cfg.GitHubPrivateKey != "":
		c.PrivateKeyPEM = []byte(cfg.GitHubPrivateKey)
	case cfg.GitHubPrivateKeyPath != "":
		pem, err := os.ReadFile(cfg.GitHubPrivateKeyPath)
		if err != nil {
			return nil, fmt.Errorf("read --github-private-key-path: %w", err)
		}
		c.PrivateKeyPEM = pem
	}
	h := &credentials{base: base}
	if err := h.set(c); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *credentials) set(c appcreds.Credentials) error {
	live := &liveCredentials{Credentials: c}
	if c.AppID > 0 && len(c.PrivateKeyPEM) > 0 {
		cfg := h.base
		cfg.AppID, cfg.PrivateKey = c.AppID, c.PrivateKeyPEM
		clients, err := githubapp.New(cfg)
		if err != nil {
			return fmt.Errorf("GitHub App %d: %w", c.AppID, err)
		}
		live.clients = clients
	}
	h.live.Store(live)
	return nil
}

func (h *credentials) current() *liveCredentials { return h.live.Load() }

// webhookSecret is read on every delivery.
func (h *credentials) webhookSecret() []byte { return []byte(h.current().WebhookSecret) }

// errNotConfigured is returned to handlers that need GitHub before setup.
var errNotConfigured = errors.New("the GitHub App is not configured yet: finish setup at /")

// github returns the clients in force.
func (h *credentials) github() (*githubapp.Clients, error) {
	if c := h.current().clients; c != nil {
		return c, nil
	}
	return nil, errNotConfigured
}

// configured tells the setup page whether an App is in force.
func (h *credentials) configured() (string, bool) {
	c := h.current()
	if !c.complete() {
		return "", false
	}
	if c.Slug != "" {
		return c.Slug, true
	}
	return "app " + strconv.FormatInt(c.AppID, 10), true
}

// registered saves what the setup flow got from GitHub and puts it in force
// at once: the webhook secret and clients are read per use, so no restart.
func (a *App) registered(_ context.Context, c appcreds.Credentials) (bool, error) {
	if err := appcreds.Save(a.cfg.DataDir, c); err != nil {
		return false, fmt.Errorf("save the new App's credentials: %w", err)
	}
	if err := a.creds.set(c); err != nil {
		return false, err
	}
	a.opts.Logger.Info("GitHub App registered and in force", "app_id", c.AppID, "slug", c.Slug)
	return true, nil
}
