package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/deploy"
	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// Engine is the part of the runner the release handlers use.
type Engine interface {
	Apply(ctx context.Context, key pipeline.Key, op func(p pipeline.Pipeline, st *pipeline.State) error) (pipeline.Result, error)
	ApplyWith(ctx context.Context, key pipeline.Key, p pipeline.Pipeline, op func(p pipeline.Pipeline, st *pipeline.State) error) (pipeline.Result, error)
	Reconfigure(ctx context.Context, key pipeline.Key, change func(p pipeline.Pipeline) pipeline.Pipeline) (pipeline.Result, error)
}

// ReleaseStore is what the release handlers read and allocate.
type ReleaseStore interface {
	NextReleaseID(ctx context.Context, repository string) (int64, error)
	Verdict(ctx context.Context, repository, sha string) (store.CommitVerdict, error)
}

// Releases turns pushes into releases and deployment statuses into deploy
// results.
type Releases struct {
	GitHub func(installationID int64) (*github.Client, error)
	Engine Engine
	Store  ReleaseStore
	Clock  clock.Clock
	Logger *slog.Logger
	// Deployers are the names of the command deployers the server defines:
	// a pipeline naming another starts no release.
	Deployers []string
	// Index lists the pipelines a change of the organization's file is
	// re-applied to; nil: none is.
	Index store.EngineIndex
}

func (h *Releases) onPush(ctx context.Context, ev Event) error {
	e := ev.Payload.(*github.PushEvent)
	branch, isBranch := strings.CutPrefix(e.GetRef(), "refs/heads/")
	if !isBranch || e.GetDeleted() || e.GetAfter() == "" {
		return nil
	}
	repo := e.GetRepo()
	owner, name := repo.GetOwner().GetLogin(), repo.GetName()
	if owner == "" {
		owner = repo.GetOwner().GetName()
	}
	full := owner + "/" + name
	client, err := h.GitHub(e.GetInstallation().GetID())
	if err != nil {
		return err
	}
	log := h.Logger.With(deliveryAttrs(ev.Delivery)...)
	if changesOrgConfig(e, branch) {
		if err := h.refreshOrg(ctx, client, owner, log); err != nil {
			return err
		}
	}
	pipelines, err := h.pipelinesAt(ctx, client, owner, name, e.GetAfter(), log)
	if err != nil || len(pipelines) == 0 {
		return err
	}
	files := pushedFiles(e)
	for _, p := range pipelines {
		if p.Branch == "" {
			// The file left it out: the release travels with the branch it
			// came from, which Matches compares against.
			p.Branch = repo.GetDefaultBranch()
		}
		if !p.Matches(branch, files) {
			continue
		}
		if err := h.release(ctx, e, full, p, log); err != nil {
			return err
		}
	}
	return nil
}

// pipelinesAt reads the pipelines as of the pushed commit, with the
// organization's windows and alarms merged in. A file with errors (the organization's
// included) starts no release: the configuration already in force stays, and
// the errors are logged (and annotated on the pull request that made them).
func (h *Releases) pipelinesAt(ctx context.Context, client *github.Client, owner, name, sha string, log *slog.Logger) ([]pipeline.Pipeline, error) {
	data, err := githubapp.FetchFile(ctx, client, owner, name, githubapp.RepoConfigPath, sha)
	if err != nil || data == nil {
		return nil, err
	}
	f, diags := config.Parse(githubapp.RepoConfigPath, data)
	if diags.HasErrors() || f.Pipelines == nil {
		if diags.HasErrors() {
			log.Error("configuration has errors; no release started", "sha", sha, "errors", diags.Error())
		}
		return nil, nil
	}
	ps, diags := pipeline.Parse(githubapp.RepoConfigPath, f.Pipelines)
	if diags.HasErrors() {
		log.Error("pipelines have errors; no release started", "sha", sha, "errors", diags.Error())
		return nil, nil
	}
	if diags := pipeline.CheckDeployers(githubapp.RepoConfigPath, ps, h.Deployers); diags.HasErrors() {
		log.Error("pipelines name deployers the server does not define; no release started", "sha", sha, "errors", diags.Error())
		return nil, nil
	}
	org, err := readOrgPolicy(ctx, client, owner)
	if errors.Is(err, errOrgConfigInvalid) {
		log.Error("organization configuration has errors; no release started", "sha", sha, "errors", err)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range ps {
		ps[i] = org.apply(ps[i])
	}
	return ps, nil
}

func (h *Releases) release(ctx context.Context, e *github.PushEvent, repo string, p pipeline.Pipeline, log *slog.Logger) error {
	id, err := h.Store.NextReleaseID(ctx, repo)
	if err != nil {
		return err
	}
	r := pipeline.Release{ID: id, SHA: e.GetAfter(), CreatedAt: h.Clock.Now(), Commits: releaseCommits(e)}
	for _, c := range e.Commits {
		if login := c.GetAuthor().GetLogin(); login != "" && !slices.Contains(r.Authors, login) {
			r.Authors = append(r.Authors, login)
		}
		v, err := h.Store.Verdict(ctx, repo, c.GetID())
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Verdicts are decided for the default branch; other branches
			// are not gated yet.
		case err != nil:
			return err
		case !v.Reviewed:
			r.Unreviewed = append(r.Unreviewed, fmt.Sprintf("%s %s", short(c.GetID()), v.Reason))
		default:
			if v.PullNumber != 0 && !slices.Contains(r.Pulls, v.PullNumber) {
				r.Pulls = append(r.Pulls, v.PullNumber)
			}
		}
	}
	key := pipeline.Key{Repository: repo, Pipeline: p.Name}
	// The release travels with the pipeline as of its own commit, which is
	// also the one in force for the pipeline from now on.
	if _, err := h.Engine.ApplyWith(ctx, key, p, func(_ pipeline.Pipeline, st *pipeline.State) error {
		return pipeline.AddReleaseWithConfig(st, r, p)
	}); err != nil {
		return fmt.Errorf("start release %d of %s in pipeline %s: %w", id, repo, p.Name, err)
	}
	log.Info("release started", "release", id, "pipeline", p.Name, "sha", r.SHA, "unreviewed", len(r.Unreviewed))
	return nil
}

// releaseCommits are the commits a push brought besides its head, the
// newest pipeline.MaxReleaseCommits of them: where /deploy block looks for a
// commit. GitHub lists them oldest first.
func releaseCommits(e *github.PushEvent) []string {
	var out []string
	for _, c := range e.Commits {
		if id := c.GetID(); id != "" && id != e.GetAfter() {
			out = append(out, id)
		}
	}
	if over := len(out) - pipeline.MaxReleaseCommits; over > 0 {
		out = out[over:]
	}
	return out
}

// pushedFiles lists the files a push touched; empty when GitHub capped the
// list, which makes every pipeline of the branch match.
func pushedFiles(e *github.PushEvent) []string {
	if len(e.Commits) >= maxPushCommits {
		return nil
	}
	var files []string
	for _, c := range e.Commits {
		files = append(files, c.Added...)
		files = append(files, c.Modified...)
		files = append(files, c.Removed...)
	}
	return files
}

func (h *Releases) onDeploymentStatus(ctx context.Context, ev Event) error {
	e := ev.Payload.(*github.DeploymentStatusEvent)
	p, ours := deploy.PayloadOf(e.GetDeployment())
	if !ours {
		h.Logger.Info("deployment status for a deployment Wavegate did not create; ignored",
			append(deliveryAttrs(ev.Delivery), "deployment", e.GetDeployment().GetID())...)
		return nil
	}
	outcome, done := deploy.StatusOutcome(e.GetDeploymentStatus().GetState())
	if !done {
		return nil
	}
	releaseID, err := strconv.ParseInt(p.Release, 10, 64)
	if err != nil {
		return fmt.Errorf("deployment %d: release %q in its payload: %w", e.GetDeployment().GetID(), p.Release, err)
	}
	stepKey := pipeline.StepKey(releaseID, p.Stage, p.Target, string(p.Variant), string(p.Action))
	key := pipeline.Key{Repository: e.GetRepo().GetFullName(), Pipeline: p.Pipeline}
	reason := e.GetDeploymentStatus().GetDescription()
	_, err = h.Engine.Apply(ctx, key, func(_ pipeline.Pipeline, st *pipeline.State) error {
		_, err := pipeline.RecordOutcome(st, stepKey, engineOutcome(outcome), reason, h.Clock.Now())
		return err
	})
	if errors.Is(err, pipeline.ErrNotFound) {
		// A release the engine no longer tracks: nothing to move.
		h.Logger.Info("deployment status for a step the engine does not track; ignored",
			append(deliveryAttrs(ev.Delivery), "step", stepKey)...)
		return nil
	}
	return err
}

func engineOutcome(o deploy.Outcome) string {
	if o == deploy.Succeeded {
		return pipeline.OutcomeSuccess
	}
	return pipeline.OutcomeFailed
}
