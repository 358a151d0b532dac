package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/handlers"
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
	// setupToken admits whoever registers the App; empty once an App is
	// configured at start.
	setupToken string
}

// checkFiles refuses, before anything is written to the data directory,
// secrets that others could read or replace; the data directory is created
// 0700 when missing.
func checkFiles(cfg Config) error {
	if err := appcreds.PrepareDir(cfg.DataDir); err != nil {
		return err
	}
	if cfg.GitHubPrivateKeyPath != "" {
		if err := appcreds.CheckPrivateKeyFile(cfg.GitHubPrivateKeyPath); err != nil {
			return fmt.Errorf("--github-private-key-path: %w", err)
		}
	}
	return nil
}

// loadCredentials merges the setup flow's files in the data directory with
// flags and environment, which win field by field. Without a complete App
// it makes sure a setup token exists; with one, it deletes the token.
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
	if h.current().complete() {
		// A token left over (setup done by a process that crashed
		// before deleting it, or credentials given by flag since) is void.
		if err := appcreds.RemoveSetupToken(cfg.DataDir); err != nil {
			return nil, err
		}
		return h, nil
	}
	if h.setupToken, _, err = appcreds.SetupToken(cfg.DataDir); err != nil {
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
func (h *credentials) configured() (handlers.ConfiguredApp, bool) {
	c := h.current()
	if !c.complete() {
		return handlers.ConfiguredApp{}, false
	}
	return handlers.ConfiguredApp{ID: c.AppID, Slug: c.Slug}, true
}

// slugLookupTimeout bounds the one GitHub call made while starting.
const slugLookupTimeout = 10 * time.Second

// fillSlug asks GitHub for the App's slug when only its id and key were
// given (flags, no github-app.json): pages link to the App by slug. A
// failure is logged and leaves the pages without that link.
func (a *App) fillSlug(ctx context.Context) {
	c := a.creds.current()
	if c.Slug != "" || c.clients == nil || !c.complete() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, slugLookupTimeout)
	defer cancel()
	app, _, err := c.clients.App().Apps.Get(ctx, "")
	if err == nil && app.GetSlug() == "" {
		err = errors.New("GitHub's answer has no slug")
	}
	if err != nil {
		a.opts.Logger.Warn("could not look up the GitHub App's slug (GET /app); the web page will not link to the App's install page",
			"app_id", c.AppID, "error", err)
		return
	}
	next := *c
	next.Slug = app.GetSlug()
	if next.Name == "" {
		next.Name = app.GetName()
	}
	if next.HTMLURL == "" {
		next.HTMLURL = app.GetHTMLURL()
	}
	// Only if nothing replaced c meanwhile; the clients stay as they are.
	if a.creds.live.CompareAndSwap(c, &next) {
		a.opts.Logger.Info("GitHub App slug looked up on GitHub", "app_id", c.AppID, "slug", next.Slug)
	}
}

// logSetupURL prints where to open the setup flow, token included, once at
// start. It is the one secret Wavegate logs on purpose: whoever starts a
// fresh instance must get it somewhere, and the log is where they look. It
// grants nothing once an App is registered.
func (a *App) logSetupURL(addr net.Addr) {
	if a.creds.setupToken == "" {
		return
	}
	if _, ok := a.creds.configured(); ok {
		return
	}
	base := strings.TrimRight(a.cfg.PublicURL, "/")
	if base == "" {
		base = "http://" + localAddress(addr)
	}
	a.opts.Logger.Warn("GitHub App not configured: to set it up, open this URL (it holds the one-time setup token, also in "+
		filepath.Join(a.cfg.DataDir, appcreds.SetupTokenFile)+")",
		"url", base+"/?token="+url.QueryEscape(a.creds.setupToken))
}

// localAddress is how a browser on this machine reaches addr.
func localAddress(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
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
	// The setup page refuses the token from now on; the file goes too.
	if err := appcreds.RemoveSetupToken(a.cfg.DataDir); err != nil {
		a.opts.Logger.Warn("setup done, but the setup token file stays; delete it", "error", err)
	}
	return true, nil
}
