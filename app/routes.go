package app

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	wavegate "github.com/wavegate/wavegate"
	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/handlers"
	"github.com/wavegate/wavegate/internal/appcreds"
)

func (a *App) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	webhook, err := handlers.NewWebhook(handlers.WebhookConfig{
		Secret: a.creds.WebhookSecret, Inbox: a.inbox,
		Clock: a.opts.Clock, Logger: a.opts.Logger, Registerer: a.registry,
	})
	if err != nil {
		return nil, err
	}
	budget, err := handlers.NewBodyBudget(handlers.BodyBudgetConfig{Logger: a.opts.Logger, Registerer: a.registry})
	if err != nil {
		return nil, err
	}
	mux.Handle("/webhooks/github", budget.Limit(handlers.MaxWebhookBody, webhook))
	a.slackRoutes(mux, budget)
	a.alertmanagerRoutes(mux, budget)

	setup, err := handlers.NewSetup(handlers.SetupConfig{
		Manifest:   wavegate.Manifest(),
		PublicURL:  a.cfg.PublicURL,
		WebURL:     githubapp.WebURL(a.cfg.GitHubAPIURL),
		Org:        a.cfg.GitHubOrg,
		Exchange:   a.exchangeManifestCode,
		Registered: a.registered,
		Configured: a.configured,
		Token:      a.creds.SetupToken(),
		TokenFile:  filepath.Join(a.cfg.DataDir, appcreds.SetupTokenFile),
		Clock:      a.opts.Clock,
		Logger:     a.opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("build the setup flow: %w", err)
	}
	setup.Routes(mux)
	if err := a.uiRoutes(mux); err != nil {
		return nil, err
	}

	mux.HandleFunc("GET /healthz", handlers.Healthz)
	mux.Handle("GET /readyz", handlers.Readyz(a.store, func() bool { _, ok := a.configured(); return ok }))
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}))
	if a.opts.Routes != nil {
		a.opts.Routes(mux)
	}
	return mux, nil
}

// exchangeManifestCode completes the App-manifest flow through the same
// transport stack as every other GitHub call (metrics, rate limits).
func (a *App) exchangeManifestCode(ctx context.Context, code string) (appcreds.Credentials, error) {
	return handlers.ExchangeManifestCode(ctx, githubapp.NewAnonymous(a.githubConfig()), code)
}
