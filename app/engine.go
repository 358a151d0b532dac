package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/engine"
	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/internal/outbox"
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/slackbot"
)

// buildEngine wires the deployment engine: the runner over the store, and
// the outbox worker that performs its deploys and reports.
func (a *App) buildEngine() error {
	metrics, err := effects.NewDeliveryMetrics(a.registry)
	if err != nil {
		return err
	}
	if err := a.registry.Register(effects.NewDeliveryCollector(a.store, a.opts.Clock)); err != nil {
		return fmt.Errorf("register the delivery gauges: %w", err)
	}
	es := &effects.EngineStore{DB: a.store, OnSaved: a.opts.OnEngineSaved, Metrics: metrics}
	a.engine = es
	renderer, err := notify.NewRenderer()
	if err != nil {
		return err
	}
	slack := &effects.Slack{Store: a.store, Renderer: renderer, Buttons: a.slackCommandsOn()}
	if a.cfg.SlackBotToken != "" {
		client, err := slackbot.New(slackbot.Options{Token: a.cfg.SlackBotToken, APIURL: a.cfg.SlackAPIURL,
			Clock: a.opts.Clock, OnWait: a.opts.OnSlackWait})
		if err != nil {
			return fmt.Errorf("slack client: %w", err)
		}
		slack.Client = client
		a.slackThreads = &effects.SlackThreads{Store: a.store, Slack: client}
		es.Slack = true
	}
	a.runner = &engine.Runner{Store: es, Clock: a.opts.Clock, Logger: a.opts.Logger}
	links := effects.Links{Web: githubapp.WebURL(a.cfg.GitHubAPIURL), CheckRuns: a.store}
	a.links = links
	releases := &effects.Releases{States: es, Pending: a.store, Links: links, Clock: a.opts.Clock}
	slack.Releases = releases
	a.deploys = &effects.Deploys{GitHub: a.repositoryClient, Results: a.store, Runner: a.runner,
		Commands: a.deployers, Links: links, Clock: a.opts.Clock}
	notices := &effects.Notices{GitHub: a.repositoryClient, States: es, Renderer: renderer, Logger: a.opts.Logger}
	reports := &effects.Reports{GitHub: a.repositoryClient, Releases: releases, Store: a.store, Renderer: renderer, Clock: a.opts.Clock}
	answers := &effects.CommandAnswers{GitHub: a.repositoryClient}
	statuses := &effects.DeploymentStatuses{GitHub: a.repositoryClient, Effects: a.store, Links: links}
	w, err := outbox.New(outbox.Options{
		Store: a.store, Clock: a.opts.Clock, Logger: a.opts.Logger, Lease: a.opts.Leases,
		Performers: map[string]outbox.Performer{
			effects.KindDeploy: a.deploys.Perform, effects.KindNotice: notices.Perform, effects.KindReport: reports.Perform,
			effects.KindSlack: slack.Perform, effects.KindDeploymentStatus: statuses.Perform,
			effects.KindReaction: answers.PerformReaction, effects.KindReply: answers.PerformReply,
			effects.KindSlackReply: a.slackReplies().Perform,
		},
		IsTransient: func(err error) bool { return githubapp.IsTransient(err) || slackbot.IsTransient(err) },
		RetryAt: func(err error, now time.Time) (time.Time, bool) {
			if at, ok := slackbot.RetryAt(err); ok {
				return at, true
			}
			return githubapp.RetryAt(err, now)
		},
		OnDone: a.opts.OnEffectDone,
	})
	if err != nil {
		return err
	}
	a.effects = w
	es.Saved = w.Notify
	return nil
}

// repositoryClient is the installation client of a repository Wavegate
// is installed on.
func (a *App) repositoryClient(ctx context.Context, repo string) (*github.Client, error) {
	id, err := a.store.InstallationForRepository(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("installation of %s: %w", repo, err)
	}
	return a.installationClient(id)
}
