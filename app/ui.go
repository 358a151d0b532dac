package app

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/web"
)

// uiRoutes serves the pages under /ui/: read-only for anyone with
// --ui-public; otherwise to users signed in with GitHub through the App's
// OAuth client, with the release actions; a 404 saying why while neither
// is possible.
func (a *App) uiRoutes(mux *http.ServeMux) error {
	cfg := web.Config{
		Public: a.cfg.UIPublic, Index: a.store, Engine: a.engine,
		Clock: a.opts.Clock, Logger: a.opts.Logger, WebURL: githubapp.WebURL(a.cfg.GitHubAPIURL),
		Audit: a.store, History: a.store, Decisions: a.store, Live: a.liveUpdates(), // uilive.go
		SessionClock: a.opts.WebClock,
		StepOutput: func(ctx context.Context, key pipeline.Key, step pipeline.Step) (string, error) {
			return effects.StepOutput(ctx, a.store, key, step)
		},
		ReleaseLinks: a.links.Release, // the reports' links (engine.go)
	}
	if a.slackThreads != nil {
		cfg.SlackThread = a.slackThreads.ThreadLink
	}
	if !a.cfg.UIPublic {
		key, err := web.LoadSessionKey(a.cfg.DataDir)
		if err != nil {
			return err
		}
		cfg.SessionKey, cfg.APIURL, cfg.PublicURL, cfg.Commands = key, a.cfg.GitHubAPIURL, a.cfg.PublicURL, a.commands
		cfg.HTTPClient = &http.Client{Transport: a.opts.GitHubTransport, Timeout: 15 * time.Second}
		// Flags win over what the setup flow stored, field by field, as
		// for the App's other credentials; read at each sign-in, since
		// the setup flow may register the App while Wavegate runs.
		cfg.OAuth = func() (string, string) {
			c := a.creds.Current()
			return cmp.Or(a.cfg.GitHubClientID, c.ClientID), cmp.Or(a.cfg.GitHubClientSecret, c.ClientSecret)
		}
	}
	pages, err := web.New(cfg)
	if err != nil {
		return fmt.Errorf("build the web pages: %w", err)
	}
	pages.Routes(mux)
	if cfg.OAuth != nil {
		if id, secret := cfg.OAuth(); id == "" || secret == "" {
			a.opts.Logger.Info("the web pages at /ui/ wait for sign-in: they need the GitHub App's OAuth client id and secret, which the setup flow keeps, or --github-client-id and --github-client-secret-file")
		}
	}
	if a.cfg.UIPublic {
		a.opts.Logger.Warn("serving the read-only web pages at /ui/ without sign-in (--ui-public): keep this server on a trusted network")
	}
	return nil
}
