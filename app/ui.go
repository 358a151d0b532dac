package app

import (
	"fmt"
	"net/http"

	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/web"
)

// uiRoutes serves the read-only pages under /ui/: with --ui-public the
// pages, without it a 404 saying how to turn them on.
func (a *App) uiRoutes(mux *http.ServeMux) error {
	pages, err := web.New(web.Config{
		Public: a.cfg.UIPublic, Index: a.store, Engine: a.engine,
		Clock: a.opts.Clock, Logger: a.opts.Logger, WebURL: githubapp.WebURL(a.cfg.GitHubAPIURL),
		Audit: a.store, History: a.store, Live: a.liveUpdates(), // uilive.go
	})
	if err != nil {
		return fmt.Errorf("build the web pages: %w", err)
	}
	pages.Routes(mux)
	if a.cfg.UIPublic {
		a.opts.Logger.Warn("serving the read-only web pages at /ui/ without sign-in (--ui-public): keep this server on a trusted network")
	}
	return nil
}
