package appcreds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/wavegate/wavegate/githubapp"
)

// InForce are the App's credentials in force and the clients built from
// them.
type InForce struct {
	Credentials
	// Clients is nil until the App id and key are known.
	Clients *githubapp.Clients
}

// Complete says whether an App is configured: id, key and webhook secret.
func (c *InForce) Complete() bool {
	return c.AppID > 0 && len(c.PrivateKeyPEM) > 0 && c.WebhookSecret != ""
}

// Missing names the settings an incomplete App lacks, as flags.
func (c *InForce) Missing() []string {
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

// Overrides are the credentials given by flag or environment; each set
// field wins over the setup flow's files.
type Overrides struct {
	AppID          int64
	WebhookSecret  string
	PrivateKey     string // the PEM itself
	PrivateKeyPath string // read when PrivateKey is empty
}

// Live holds the credentials in force. The setup flow replaces them while
// the server runs, so readers take a snapshot (Current) each time.
type Live struct {
	dir  string
	base githubapp.Config
	cur  atomic.Pointer[InForce]
	// setupToken admits whoever registers the App; empty when an App was
	// configured at start.
	setupToken string
}

// LoadLive merges the setup flow's files in dir with the overrides, which
// win field by field, and builds GitHub clients on base. Without a
// complete App it makes sure a setup token exists; with one, it deletes
// the token.
func LoadLive(dir string, o Overrides, base githubapp.Config) (*Live, error) {
	c, _, err := Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load GitHub App credentials: %w", err)
	}
	if o.AppID != 0 {
		c.AppID = o.AppID
	}
	if o.WebhookSecret != "" {
		c.WebhookSecret = o.WebhookSecret
	}
	switch {
	case o.PrivateKey != "":
		c.PrivateKeyPEM = []byte(o.PrivateKey)
	case o.PrivateKeyPath != "":
		pem, err := os.ReadFile(o.PrivateKeyPath)
		if err != nil {
			return nil, fmt.Errorf("read --github-private-key-path: %w", err)
		}
		c.PrivateKeyPEM = pem
	}
	l := &Live{dir: dir, base: base}
	if err := l.set(c); err != nil {
		return nil, err
	}
	if l.Current().Complete() {
		// A token left over (setup done by a process that crashed
		// before deleting it, or credentials given by flag since) is void.
		if err := RemoveSetupToken(dir); err != nil {
			return nil, err
		}
		return l, nil
	}
	if l.setupToken, _, err = SetupToken(dir); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Live) set(c Credentials) error {
	in := &InForce{Credentials: c}
	if c.AppID > 0 && len(c.PrivateKeyPEM) > 0 {
		cfg := l.base
		cfg.AppID, cfg.PrivateKey = c.AppID, c.PrivateKeyPEM
		clients, err := githubapp.New(cfg)
		if err != nil {
			return fmt.Errorf("GitHub App %d: %w", c.AppID, err)
		}
		in.Clients = clients
	}
	l.cur.Store(in)
	return nil
}

// Current is the credentials in force now.
func (l *Live) Current() *InForce { return l.cur.Load() }

// SetupToken is the token that admits whoever sets the App up; "" when an
// App was configured at start.
func (l *Live) SetupToken() string { return l.setupToken }

// WebhookSecret is read on every delivery.
func (l *Live) WebhookSecret() []byte { return []byte(l.Current().WebhookSecret) }

// ErrNotConfigured is returned to what needs GitHub before setup.
var ErrNotConfigured = errors.New("the GitHub App is not configured yet: finish setup at /")

// GitHub returns the clients in force.
func (l *Live) GitHub() (*githubapp.Clients, error) {
	if c := l.Current().Clients; c != nil {
		return c, nil
	}
	return nil, ErrNotConfigured
}

// Register saves what the setup flow got from GitHub and puts it in force
// at once: the webhook secret and clients are read per use, so no restart.
// The setup token is void from now on, and its file goes.
func (l *Live) Register(c Credentials, log *slog.Logger) error {
	if err := Save(l.dir, c); err != nil {
		return fmt.Errorf("save the new App's credentials: %w", err)
	}
	if err := l.set(c); err != nil {
		return err
	}
	log.Info("GitHub App registered and in force", "app_id", c.AppID, "slug", c.Slug)
	if err := RemoveSetupToken(l.dir); err != nil {
		log.Warn("setup done, but the setup token file stays; delete it", "error", err)
	}
	return nil
}

// slugLookupTimeout bounds the one GitHub call made while starting.
const slugLookupTimeout = 10 * time.Second

// FillSlug asks GitHub for the App's slug when only its id and key were
// given (flags, no github-app.json): pages link to the App by slug. A
// failure is logged and leaves the pages without that link.
func (l *Live) FillSlug(ctx context.Context, log *slog.Logger) {
	c := l.Current()
	if c.Slug != "" || c.Clients == nil || !c.Complete() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, slugLookupTimeout)
	defer cancel()
	app, _, err := c.Clients.App().Apps.Get(ctx, "")
	if err == nil && app.GetSlug() == "" {
		err = errors.New("GitHub's answer has no slug")
	}
	if err != nil {
		log.Warn("could not look up the GitHub App's slug (GET /app); the web page will not link to the App's install page",
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
	if l.cur.CompareAndSwap(c, &next) {
		log.Info("GitHub App slug looked up on GitHub", "app_id", c.AppID, "slug", next.Slug)
	}
}
