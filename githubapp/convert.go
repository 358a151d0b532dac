package githubapp

import (
	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/checks"
)

// PullRequestOf is the review gate's view of a pull request.
func PullRequestOf(pr *github.PullRequest) checks.PullRequest {
	return checks.PullRequest{
		Number: pr.GetNumber(), Author: pr.GetUser().GetLogin(), HeadSHA: pr.GetHead().GetSHA(),
		Body: pr.GetBody(), Draft: pr.GetDraft(),
	}
}

// ReviewOf is the review gate's view of a review. A deleted account's
// review has no reviewer (GitHub reports user: null); it never counts.
func ReviewOf(r *github.PullRequestReview) checks.Review {
	return checks.Review{
		ID: r.GetID(), Reviewer: r.GetUser().GetLogin(), State: checks.ReviewState(r.GetState()),
		CommitID: r.GetCommitID(), SubmittedAt: r.GetSubmittedAt().Time,
	}
}
