package app

import (
	"maps"
	"os"
	"slices"

	"github.com/wavegate/wavegate/deploy"
)

// buildDeployers makes the commands of the configured deployers; New fails
// when one cannot run safely.
func (a *App) buildDeployers() error {
	cmds, warnings, err := deploy.Prepare(a.cfg.Deployers, a.opts.WorkDir, os.Geteuid())
	if err != nil {
		return err
	}
	for _, w := range warnings {
		a.opts.Logger.Warn(w)
	}
	secrets := a.secrets()
	for name, c := range cmds {
		c.Clock, c.Secrets = a.opts.Clock, secrets
		cmds[name] = c
	}
	a.deployers = cmds
	return nil
}

// secrets are Wavegate's secret values known at start, which no deploy's
// inherited environment may carry, whatever the variable's name.
func (a *App) secrets() []string {
	c := a.creds.Current()
	var out []string
	for _, s := range []string{a.cfg.GitHubWebhookSecret, a.cfg.GitHubPrivateKey, a.cfg.SlackBotToken,
		c.WebhookSecret, c.ClientSecret, string(c.PrivateKeyPEM)} {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// deployerNames are the names a pipeline may give to {command: NAME}.
func (a *App) deployerNames() []string { return slices.Sorted(maps.Keys(a.deployers)) }
