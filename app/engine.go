package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/deploy"
	"github.com/wavegate/wavegate/engine"
	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/internal/outbox"
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/slackbot"
	"github.com/wavegate/wavegate/store"
)

// buildEngine wires the deployment engine: the runner over the store, and
// the outbox worker that performs its deploys and notices.
func (a *App) buildEngine() error {
	es := &engineStore{db: a.store, onSaved: a.opts.OnEngineSaved}
	a.engine = es
	var err error
	if a.renderer, err = notify.NewRenderer(); err != nil {
		return err
	}
	if a.cfg.SlackBotToken != "" {
		if a.slack, err = slackbot.New(slackbot.Options{Token: a.cfg.SlackBotToken, APIURL: a.cfg.SlackAPIURL,
			Clock: a.opts.Clock, OnWait: a.opts.OnSlackWait}); err != nil {
			return fmt.Errorf("slack client: %w", err)
		}
		es.slack = true
	}
	a.runner = &engine.Runner{Store: es, Clock: a.opts.Clock, Logger: a.opts.Logger}
	w, err := outbox.New(outbox.Options{
		Store: a.store, Clock: a.opts.Clock, Logger: a.opts.Logger,
		Performers: map[string]outbox.Performer{
			effectDeploy: a.performDeploy, effectNotice: a.performNotice, effectReport: a.performReport,
			effectSlack: a.performSlack, effectDeploymentStatus: a.performDeploymentStatus,
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
	es.saved = w.Notify
	return nil
}

// commandResult is what the outbox keeps of a command deploy: enough to
// apply it again after a crash without running the command twice.
type commandResult struct {
	Outcome deploy.Outcome `json:"outcome"`
	Reason  string         `json:"reason"`
	Output  string         `json:"output"`
}

// performDeploy performs one deploy step. A command's result is recorded
// on the effect before it is applied to the engine, so a crash in between
// applies it on retry instead of running the command again; a GitHub
// deployment is found again by its idempotency key.
func (a *App) performDeploy(ctx context.Context, e store.Effect) ([]byte, error) {
	var p deployPayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, fmt.Errorf("decode deploy effect %s: %w", e.Key, err)
	}
	d := p.Effect
	req := deploy.Request{
		Key: e.Key, Repository: p.Repository, Release: strconv.FormatInt(d.ReleaseID, 10), Pipeline: d.Pipeline,
		Stage: d.Stage, Target: d.Target, Action: deploy.Action(d.Step.Action), Variant: deploy.Variant(d.Step.Variant),
		SHA: d.Step.SHA, PreviousSHA: d.Step.PreviousSHA, Timeout: d.Timeout,
	}
	switch p.Deployer.Kind {
	case pipeline.DeployerCommand:
		result := e.Result
		if len(result) == 0 {
			res := a.runCommand(ctx, p.Deployer, req)
			if res.Outcome == deploy.Interrupted {
				// Shutting down: handed back to run again after the restart.
				return nil, fmt.Errorf("deploy %s: %s: %w", e.Key, res.Reason, context.Canceled)
			}
			var err error
			if result, err = json.Marshal(commandResult{Outcome: res.Outcome, Reason: res.Reason, Output: res.Output}); err != nil {
				return nil, err
			}
			if err := a.store.SetEffectResult(context.WithoutCancel(ctx), e.Seq, result); err != nil {
				return nil, err
			}
		}
		var res commandResult
		if err := json.Unmarshal(result, &res); err != nil {
			return nil, fmt.Errorf("decode the result of %s: %w", e.Key, err)
		}
		return result, a.recordOutcome(ctx, p, res.Outcome, res.Reason)
	case pipeline.DeployerGitHub, "":
		if len(e.Result) > 0 {
			return e.Result, nil
		}
		client, err := a.repositoryClient(ctx, p.Repository)
		if err != nil {
			return nil, err
		}
		id, err := deploy.GitHubDeployments{}.Create(ctx, client, req, d.Production, e.Attempts > 1)
		if err != nil {
			return nil, err
		}
		if err := a.markInProgress(ctx, client, p, id); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]int64{"deployment": id})
	default:
		// The workflow deployer is reserved: fail the step, with the reason,
		// rather than leave the release waiting for a result that never comes.
		return nil, a.recordOutcome(ctx, p, deploy.Failed, fmt.Sprintf("the %q deployer is not available yet", p.Deployer.Kind))
	}
}

func (a *App) recordOutcome(ctx context.Context, p deployPayload, outcome deploy.Outcome, reason string) error {
	key := pipeline.Key{Repository: p.Repository, Pipeline: p.Effect.Pipeline}
	o := pipeline.OutcomeFailed
	if outcome == deploy.Succeeded {
		o = pipeline.OutcomeSuccess
	}
	_, err := a.runner.Apply(ctx, key, func(_ pipeline.Pipeline, st *pipeline.State) error {
		_, err := pipeline.RecordOutcome(st, p.Effect.Step.Key, o, reason, a.opts.Clock.Now())
		return err
	})
	if errors.Is(err, pipeline.ErrNotFound) {
		return nil // the engine no longer tracks the release
	}
	return err
}

// performNotice tells people what they must act on or know at once: in
// the log, and as a new comment on each pull request the release brings
// (the release's own comment is edited quietly; this one notifies).
func (a *App) performNotice(ctx context.Context, e store.Effect) ([]byte, error) {
	var p noticePayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, fmt.Errorf("decode notice %s: %w", e.Key, err)
	}
	n := p.Notice
	a.opts.Logger.Warn("deployment notice", "repository", p.Repository, "pipeline", p.Pipeline,
		"kind", n.Kind, "release", n.ReleaseID, "stage", n.Stage, "target", n.Target, "text", n.Text)
	_, st, _, err := a.engine.LoadWithPipeline(ctx, pipeline.Key{Repository: p.Repository, Pipeline: p.Pipeline})
	if err != nil {
		return nil, err
	}
	r := st.Release(n.ReleaseID)
	if r == nil || len(r.Pulls) == 0 {
		return nil, nil
	}
	body, err := a.renderer.Notice(notify.NoticeView{Key: e.Key, Kind: string(n.Kind), Pipeline: p.Pipeline,
		ReleaseID: n.ReleaseID, Stage: n.Stage, Text: n.Text, Authors: r.Authors})
	if err != nil {
		return nil, err
	}
	client, err := a.repositoryClient(ctx, p.Repository)
	if err != nil {
		return nil, err
	}
	owner, name, _ := strings.Cut(p.Repository, "/")
	marker := body[:strings.Index(body, "\n")]
	for _, pull := range r.Pulls {
		// A retry after a crash may find the comment already posted.
		if e.Attempts > 1 {
			if id, err := findComment(ctx, client, owner, name, pull, marker); err != nil {
				return nil, err
			} else if id != 0 {
				continue
			}
		}
		if _, _, err := client.Issues.CreateComment(ctx, owner, name, pull, &github.IssueComment{Body: &body}); err != nil {
			return nil, fmt.Errorf("post notice on %s#%d: %w", p.Repository, pull, err)
		}
	}
	return nil, nil
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
