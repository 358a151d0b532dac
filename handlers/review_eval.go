package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// maxAnnotationsPerRequest is GitHub's cap; more go in further updates.
const maxAnnotationsPerRequest = 50

// evaluate runs the review gate for one pull request and reports it. In
// steady state (configuration and permissions remembered) it costs four
// calls: create the check run, list reviews, list files, complete the run.
func (g *ReviewGate) evaluate(ctx context.Context, client *github.Client, ref repoRef, pr *github.PullRequest) error {
	head := pr.GetHead().GetSHA()
	runID, err := g.checkRun(ctx, client, ref, head)
	if err != nil {
		return err
	}
	loaded, err := g.Config.Load(ctx, client, ref.owner, ref.name, ref.defaultBranch)
	if err != nil {
		return err
	}
	files, err := listFiles(ctx, client, ref, pr.GetNumber())
	if err != nil {
		return err
	}
	// A pull request that changes the configuration gets it validated; the
	// default branch's file stays in force until it is merged.
	var proposed config.Diagnostics
	if slices.Contains(files, githubapp.RepoConfigPath) {
		if proposed, err = g.validateProposed(ctx, client, ref, head); err != nil {
			return err
		}
	}
	if loaded.Err != nil {
		return g.reportConfigError(ctx, client, ref, pr, runID, loaded.Diagnostics, proposed)
	}
	reviews, err := listReviews(ctx, client, ref, pr.GetNumber())
	if err != nil {
		return err
	}
	policy := loaded.Config.Review
	perms, err := g.reviewerPermissions(ctx, client, ref, pr.GetUser().GetLogin(), reviews)
	if err != nil {
		return err
	}
	res := checks.Evaluate(githubapp.PullRequestOf(pr), reviews, files, perms, policy)
	title, summary, err := g.Renderer.ReviewCheck(res, policy)
	if err != nil {
		return err
	}
	conclusion := string(res.Conclusion)
	if proposed.HasErrors() {
		// A broken configuration must not merge: it would fail every pull
		// request after it.
		conclusion = string(checks.ConclusionFailure)
		title = "The proposed " + githubapp.RepoConfigPath + " has errors · " + title
	}
	if err := g.complete(ctx, client, ref, runID, conclusion, title, summary, annotations(proposed)); err != nil {
		return err
	}
	return g.Store.SaveReviewResult(ctx, store.ReviewResult{
		Repository: ref.fullName(), PullNumber: pr.GetNumber(), HeadSHA: head,
		Conclusion: conclusion, Title: title, EvaluatedAt: g.Clock.Now(),
	})
}

// checkRun returns the head's review check run, creating it in progress
// the first time the head is seen.
func (g *ReviewGate) checkRun(ctx context.Context, client *github.Client, ref repoRef, head string) (int64, error) {
	id, err := g.Store.CheckRun(ctx, ref.fullName(), head, ReviewCheckName)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	run, _, err := client.Checks.CreateCheckRun(ctx, ref.owner, ref.name, github.CreateCheckRunOptions{
		Name: ReviewCheckName, HeadSHA: head, Status: github.String("in_progress"),
		StartedAt: &github.Timestamp{Time: g.Clock.Now()},
	})
	if err != nil {
		return 0, fmt.Errorf("create %s check run on %s@%s: %w", ReviewCheckName, ref.fullName(), head, err)
	}
	if err := g.Store.SaveCheckRun(ctx, ref.fullName(), head, ReviewCheckName, run.GetID(), g.Clock.Now()); err != nil {
		return 0, err
	}
	return run.GetID(), nil
}

// complete finishes the check run; annotations beyond GitHub's 50 per
// request follow in further updates, which GitHub appends.
func (g *ReviewGate) complete(ctx context.Context, client *github.Client, ref repoRef, runID int64,
	conclusion, title, summary string, anns []*github.CheckRunAnnotation) error {
	first := anns[:min(len(anns), maxAnnotationsPerRequest)]
	_, _, err := client.Checks.UpdateCheckRun(ctx, ref.owner, ref.name, runID, github.UpdateCheckRunOptions{
		Name: ReviewCheckName, Status: github.String("completed"), Conclusion: github.String(conclusion),
		CompletedAt: &github.Timestamp{Time: g.Clock.Now()},
		Output:      &github.CheckRunOutput{Title: github.String(title), Summary: github.String(summary), Annotations: first},
	})
	if err != nil {
		return fmt.Errorf("complete %s check run %d on %s: %w", ReviewCheckName, runID, ref.fullName(), err)
	}
	for rest := anns[len(first):]; len(rest) > 0; {
		batch := rest[:min(len(rest), maxAnnotationsPerRequest)]
		rest = rest[len(batch):]
		if _, _, err := client.Checks.UpdateCheckRun(ctx, ref.owner, ref.name, runID, github.UpdateCheckRunOptions{
			Name:   ReviewCheckName,
			Output: &github.CheckRunOutput{Title: github.String(title), Summary: github.String(summary), Annotations: batch},
		}); err != nil {
			return fmt.Errorf("annotate %s check run %d on %s: %w", ReviewCheckName, runID, ref.fullName(), err)
		}
	}
	return nil
}

// reportConfigError fails the check: a configuration that does not parse
// never falls back to a passing one.
func (g *ReviewGate) reportConfigError(ctx context.Context, client *github.Client, ref repoRef, pr *github.PullRequest,
	runID int64, inForce, proposed config.Diagnostics) error {
	title := "Wavegate's configuration has errors"
	summary := fmt.Sprintf("The configuration in force for %s, from `%s` on `%s` (and the organization's defaults), "+
		"has errors, so this pull request cannot be evaluated. Fix them on the default branch; the annotations show where.\n\n```\n%s\n```",
		ref.fullName(), githubapp.RepoConfigPath, ref.defaultBranch, inForce.Error())
	anns := append(annotations(inForce), annotations(proposed)...)
	if err := g.complete(ctx, client, ref, runID, string(checks.ConclusionFailure), title, summary, anns); err != nil {
		return err
	}
	return g.Store.SaveReviewResult(ctx, store.ReviewResult{
		Repository: ref.fullName(), PullNumber: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA(),
		Conclusion: string(checks.ConclusionFailure), Title: title, EvaluatedAt: g.Clock.Now(),
	})
}

// validateProposed parses the pull request's own configuration file; it
// reports on it and never puts it in force.
func (g *ReviewGate) validateProposed(ctx context.Context, client *github.Client, ref repoRef, head string) (config.Diagnostics, error) {
	data, err := githubapp.FetchFile(ctx, client, ref.owner, ref.name, githubapp.RepoConfigPath, head)
	if err != nil || data == nil {
		return nil, err
	}
	file, diags := config.Parse(githubapp.RepoConfigPath, data)
	if file != nil && file.Pipelines != nil {
		_, pipelineDiags := pipeline.Parse(githubapp.RepoConfigPath, file.Pipelines)
		diags = append(diags, pipelineDiags...)
	}
	return diags, nil
}

// annotations turns diagnostics about files in the repository into check
// run annotations at their lines; the organization's file is not in it.
func annotations(ds config.Diagnostics) []*github.CheckRunAnnotation {
	var out []*github.CheckRunAnnotation
	for _, d := range ds {
		if d.File != githubapp.RepoConfigPath {
			continue
		}
		level := "failure"
		if d.Severity == config.SeverityWarning {
			level = "warning"
		}
		line := max(d.Line, 1)
		out = append(out, &github.CheckRunAnnotation{
			Path: github.String(d.File), StartLine: github.Int(line), EndLine: github.Int(line),
			AnnotationLevel: github.String(level), Message: github.String(d.Message),
			Title: github.String("wavegate.yml " + d.Severity.String()),
		})
	}
	return out
}

func (g *ReviewGate) reviewerPermissions(ctx context.Context, client *github.Client, ref repoRef,
	author string, reviews []checks.Review) (map[string]checks.Permission, error) {
	perms := map[string]checks.Permission{}
	for _, r := range reviews {
		// The author's own and deleted accounts' reviews never count: no need to ask.
		if _, done := perms[r.Reviewer]; done || r.Reviewer == "" || r.Reviewer == author {
			continue
		}
		p, err := g.Permissions.Permission(ctx, client, ref.owner, ref.name, r.Reviewer)
		if err != nil {
			return nil, err
		}
		perms[r.Reviewer] = p
	}
	return perms, nil
}

func listReviews(ctx context.Context, client *github.Client, ref repoRef, number int) ([]checks.Review, error) {
	var out []checks.Review
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := client.PullRequests.ListReviews(ctx, ref.owner, ref.name, number, opts)
		if err != nil {
			return nil, fmt.Errorf("list reviews of %s#%d: %w", ref.fullName(), number, err)
		}
		for _, r := range page {
			out = append(out, githubapp.ReviewOf(r))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

func listFiles(ctx context.Context, client *github.Client, ref repoRef, number int) ([]string, error) {
	var out []string
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := client.PullRequests.ListFiles(ctx, ref.owner, ref.name, number, opts)
		if err != nil {
			return nil, fmt.Errorf("list files of %s#%d: %w", ref.fullName(), number, err)
		}
		for _, f := range page {
			out = append(out, f.GetFilename())
			// A rename touches the old path too: moving a file out of
			// docs/ is not a docs-only change.
			if prev := f.GetPreviousFilename(); prev != "" {
				out = append(out, prev)
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}
