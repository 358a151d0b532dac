package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/store"
)

// maxPushCommits is how many commits GitHub lists in a push event at most;
// a push of more must be read through the compare API.
const maxPushCommits = 2048

const zeroSHA = "0000000000000000000000000000000000000000"

// decideVerdicts records, for each commit a push brought to the deployment
// branch, whether it was reviewed. Until pipelines name their branches, the
// deployment branch is the default branch.
func (g *ReviewGate) decideVerdicts(ctx context.Context, client *github.Client, ref repoRef, e *github.PushEvent, log *slog.Logger) error {
	shas, err := pushedCommits(ctx, client, ref, e)
	if err != nil {
		return err
	}
	verdicts := make([]store.CommitVerdict, 0, len(shas))
	for _, sha := range shas {
		v, err := g.verdict(ctx, client, ref, sha)
		if err != nil {
			return err
		}
		verdicts = append(verdicts, v)
		if !v.Reviewed {
			log.Warn("unreviewed commit reached the deployment branch", "sha", sha, "reason", v.Reason)
		}
	}
	return g.Store.SaveVerdicts(ctx, verdicts...)
}

// pushedCommits lists the commits a push brought. A forced push's list is
// not the commits new to the branch, and a large push's list is capped, so
// both are read through the compare API instead.
func pushedCommits(ctx context.Context, client *github.Client, ref repoRef, e *github.PushEvent) ([]string, error) {
	before, after := e.GetBefore(), e.GetAfter()
	if (e.GetForced() || len(e.Commits) >= maxPushCommits) && before != "" && before != zeroSHA {
		var shas []string
		opts := &github.ListOptions{PerPage: 100}
		for {
			cmp, resp, err := client.Repositories.CompareCommits(ctx, ref.owner, ref.name, before, after, opts)
			if err != nil {
				return nil, fmt.Errorf("compare %s...%s in %s: %w", short(before), short(after), ref.fullName(), err)
			}
			for _, c := range cmp.Commits {
				shas = append(shas, c.GetSHA())
			}
			if resp.NextPage == 0 {
				return shas, nil
			}
			opts.Page = resp.NextPage
		}
	}
	shas := make([]string, 0, len(e.Commits))
	for _, c := range e.Commits {
		shas = append(shas, c.GetID())
	}
	return shas, nil
}

// verdict decides one commit: reviewed when it came through a pull request
// merged into the branch whose last head passed the review gate.
func (g *ReviewGate) verdict(ctx context.Context, client *github.Client, ref repoRef, sha string) (store.CommitVerdict, error) {
	v := store.CommitVerdict{Repository: ref.fullName(), SHA: sha, DecidedAt: g.Clock.Now()}
	pulls, _, err := client.PullRequests.ListPullRequestsWithCommit(ctx, ref.owner, ref.name, sha, &github.ListOptions{PerPage: 100})
	if err != nil {
		return v, fmt.Errorf("pull requests of %s@%s: %w", ref.fullName(), short(sha), err)
	}
	pr := mergedInto(pulls, ref.defaultBranch, sha)
	if pr == nil {
		v.Reason = fmt.Sprintf("reached %s without a merged pull request", ref.defaultBranch)
		return v, nil
	}
	v.PullNumber = pr.GetNumber()
	head := pr.GetHead().GetSHA()
	result, err := g.Store.ReviewResultFor(ctx, ref.fullName(), pr.GetNumber(), head)
	if errors.Is(err, store.ErrNotFound) {
		// Wavegate never saw the pull request's last head (it was installed
		// later, or was down): evaluate it now, as it stands.
		if err := g.evaluate(ctx, client, ref, pr); err != nil {
			return v, err
		}
		result, err = g.Store.ReviewResultFor(ctx, ref.fullName(), pr.GetNumber(), head)
	}
	if err != nil {
		return v, err
	}
	if result.Conclusion == string(checks.ConclusionSuccess) {
		v.Reviewed = true
		return v, nil
	}
	v.Reason = fmt.Sprintf("pull request #%d did not pass the review gate at its last head %s: %s",
		pr.GetNumber(), short(head), result.Title)
	return v, nil
}

// mergedInto picks the pull request that brought sha into branch: the one
// whose merge commit it is, else any merged into that branch (a rebase merge
// brings commits that are not the merge commit).
func mergedInto(pulls []*github.PullRequest, branch, sha string) *github.PullRequest {
	var found *github.PullRequest
	for _, p := range pulls {
		if p.MergedAt == nil || p.GetBase().GetRef() != branch {
			continue
		}
		if strings.EqualFold(p.GetMergeCommitSHA(), sha) {
			return p
		}
		if found == nil {
			found = p
		}
	}
	return found
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
