package app

import (
	"context"
	"fmt"

	"github.com/wavegate/wavegate/handlers"
	"github.com/wavegate/wavegate/internal/appcreds"
)

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

// loadCredentials puts in force the setup flow's files, with the flags and
// environment winning field by field.
func (a *App) loadCredentials() (err error) {
	a.creds, err = appcreds.LoadLive(a.cfg.DataDir, appcreds.Overrides{
		AppID: a.cfg.GitHubAppID, WebhookSecret: a.cfg.GitHubWebhookSecret,
		PrivateKey: a.cfg.GitHubPrivateKey, PrivateKeyPath: a.cfg.GitHubPrivateKeyPath,
	}, a.githubConfig())
	return err
}

// configured tells the setup page whether an App is in force.
func (a *App) configured() (handlers.ConfiguredApp, bool) {
	c := a.creds.Current()
	if !c.Complete() {
		return handlers.ConfiguredApp{}, false
	}
	return handlers.ConfiguredApp{ID: c.AppID, Slug: c.Slug}, true
}

// registered puts in force what the setup flow got from GitHub.
func (a *App) registered(_ context.Context, c appcreds.Credentials) (bool, error) {
	if err := a.creds.Register(c, a.opts.Logger); err != nil {
		return false, err
	}
	return true, nil
}
