package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/store"
)

// ReviewCheckName is the check run branch protection requires.
const ReviewCheckName = "wavegate/review"

// ReviewGate evaluates pull requests against the repository's review policy
// and reports each result as the wavegate/review check run on the head
// commit; it also decides, for each commit pushed to the deployment branch,
// whether it was reviewed.
type ReviewGate struct {
	// GitHub returns the client of an installation.
	GitHub      func(installationID int64) (*github.Client, error)
	Config      *githubapp.ConfigSource
	Permissions *githubapp.Permissions
	Store       store.ReviewGate
	Renderer    *notify.Renderer
	Clock       clock.Clock
	Logger      *slog.Logger
}

// repoRef names a repository and how to reach it.
type repoRef struct {
	owner, name, defaultBranch string
	installation               int64
}

func (r repoRef) fullName() string { return r.owner + "/" + r.name }

func refOf(repo *github.Repository, inst *github.Installation) repoRef {
	return repoRef{
		owner: repo.GetOwner().GetLogin(), name: repo.GetName(),
		defaultBranch: repo.GetDefaultBranch(), installation: inst.GetID(),
	}
}

func (g *ReviewGate) client(ref repoRef) (*github.Client, error) {
	c, err := g.GitHub(ref.installation)
	if err != nil {
		return nil, fmt.Errorf("GitHub client for %s (installation %d): %w", ref.fullName(), ref.installation, err)
	}
	return c, nil
}

func (g *ReviewGate) onPullRequest(ctx context.Context, ev Event) error {
	e := ev.Payload.(*github.PullRequestEvent)
	pr := e.GetPullRequest()
	if pr.GetState() == "closed" {
		return nil
	}
	// An edit of the title (or anything but the description or base) cannot
	// change the result: it costs no call.
	if e.GetAction() == "edited" && e.GetChanges().GetBody() == nil && e.GetChanges().GetBase() == nil {
		return nil
	}
	ref := refOf(e.GetRepo(), e.GetInstallation())
	client, err := g.client(ref)
	if err != nil {
		return err
	}
	return g.evaluate(ctx, client, ref, pr)
}

func (g *ReviewGate) onReview(ctx context.Context, ev Event) error {
	e := ev.Payload.(*github.PullRequestReviewEvent)
	// A comment-only review, or an edit of a review's text, cannot change
	// anyone's stance: it costs no call.
	state := strings.ToLower(e.GetReview().GetState())
	if e.GetAction() == "edited" || (e.GetAction() == "submitted" && state == "commented") {
		return nil
	}
	if e.GetPullRequest().GetState() == "closed" {
		return nil
	}
	ref := refOf(e.GetRepo(), e.GetInstallation())
	client, err := g.client(ref)
	if err != nil {
		return err
	}
	return g.evaluate(ctx, client, ref, e.GetPullRequest())
}

func (g *ReviewGate) onCheckRun(ctx context.Context, ev Event) error {
	e := ev.Payload.(*github.CheckRunEvent)
	if e.GetCheckRun().GetName() != ReviewCheckName {
		return nil
	}
	return g.evaluateNumbers(ctx, refOf(e.GetRepo(), e.GetInstallation()), e.GetCheckRun().PullRequests, false)
}

func (g *ReviewGate) onCheckSuite(ctx context.Context, ev Event) error {
	e := ev.Payload.(*github.CheckSuiteEvent)
	// "requested" arrives on every push, beside the pull request's own
	// synchronize: a head that already has its check run needs nothing more.
	return g.evaluateNumbers(ctx, refOf(e.GetRepo(), e.GetInstallation()), e.GetCheckSuite().PullRequests,
		e.GetAction() == "requested")
}

// evaluateNumbers evaluates the pull requests a check event names, fetching
// each (the event carries only number and head).
func (g *ReviewGate) evaluateNumbers(ctx context.Context, ref repoRef, prs []*github.PullRequest, skipIfChecked bool) error {
	if len(prs) == 0 {
		return nil
	}
	var client *github.Client
	for _, p := range prs {
		if skipIfChecked {
			if _, err := g.Store.CheckRun(ctx, ref.fullName(), p.GetHead().GetSHA(), ReviewCheckName); err == nil {
				continue
			}
		}
		if client == nil {
			var err error
			if client, err = g.client(ref); err != nil {
				return err
			}
		}
		full, _, err := client.PullRequests.Get(ctx, ref.owner, ref.name, p.GetNumber())
		if err != nil {
			return fmt.Errorf("get %s#%d: %w", ref.fullName(), p.GetNumber(), err)
		}
		if full.GetState() == "closed" {
			continue
		}
		if err := g.evaluate(ctx, client, ref, full); err != nil {
			return err
		}
	}
	return nil
}

func (g *ReviewGate) onPush(ctx context.Context, ev Event) error {
	e := ev.Payload.(*github.PushEvent)
	repo := e.GetRepo()
	ref := repoRef{
		owner: repo.GetOwner().GetLogin(), name: repo.GetName(),
		defaultBranch: repo.GetDefaultBranch(), installation: e.GetInstallation().GetID(),
	}
	if ref.owner == "" {
		ref.owner = repo.GetOwner().GetName()
	}
	branch, isBranch := strings.CutPrefix(e.GetRef(), "refs/heads/")
	if !isBranch || branch != ref.defaultBranch || e.GetDeleted() {
		return nil
	}
	client, err := g.client(ref)
	if err != nil {
		return err
	}
	if strings.EqualFold(ref.name, githubapp.OrgConfigRepo) {
		if touches(e, githubapp.OrgConfigPath) {
			g.Config.Invalidate(ref.owner, ref.name)
		}
	} else if touches(e, githubapp.RepoConfigPath) {
		g.Config.Invalidate(ref.owner, ref.name)
		if err := g.reevaluateOpen(ctx, client, ref); err != nil {
			return err
		}
	}
	return g.decideVerdicts(ctx, client, ref, e, g.Logger.With(deliveryAttrs(ev.Delivery)...))
}

// touches reports whether a push added, changed or removed path. A push
// whose commit list GitHub capped is assumed to touch it.
func touches(e *github.PushEvent, path string) bool {
	if len(e.Commits) >= maxPushCommits {
		return true
	}
	for _, c := range e.Commits {
		if slices.Contains(c.Added, path) || slices.Contains(c.Modified, path) || slices.Contains(c.Removed, path) {
			return true
		}
	}
	return false
}

// reevaluateOpen evaluates every open pull request again after the
// configuration changed.
func (g *ReviewGate) reevaluateOpen(ctx context.Context, client *github.Client, ref repoRef) error {
	opts := &github.PullRequestListOptions{State: "open", ListOptions: github.ListOptions{PerPage: 100}}
	for {
		prs, resp, err := client.PullRequests.List(ctx, ref.owner, ref.name, opts)
		if err != nil {
			return fmt.Errorf("list open pull requests of %s: %w", ref.fullName(), err)
		}
		for _, pr := range prs {
			if err := g.evaluate(ctx, client, ref, pr); err != nil {
				return err
			}
		}
		if resp.NextPage == 0 {
			return nil
		}
		opts.Page = resp.NextPage
	}
}
