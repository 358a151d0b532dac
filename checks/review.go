package checks

import "time"

// PullRequest is what the review gate needs to know about a pull request.
type PullRequest struct {
	Number int
	// Author is the login of the user who opened the pull request.
	Author string
	// HeadSHA is the commit the check run is for; with StaleDismiss only
	// approvals of this commit count.
	HeadSHA string
	// Body is the description, in which the checklist is ticked.
	Body  string
	Draft bool
}

// ReviewState is a pull request review's state as GitHub's REST API spells it.
type ReviewState string

// The review states GitHub reports.
const (
	ReviewApproved         ReviewState = "APPROVED"
	ReviewChangesRequested ReviewState = "CHANGES_REQUESTED"
	ReviewCommented        ReviewState = "COMMENTED"
	ReviewDismissed        ReviewState = "DISMISSED"
	// ReviewPending is a review its author has started but not submitted;
	// GitHub shows it only to that author.
	ReviewPending ReviewState = "PENDING"
)

// Review is one submitted (or pending) pull request review.
type Review struct {
	ID int64
	// Reviewer is the reviewer's login, "" when the account was deleted
	// (GitHub reports user: null).
	Reviewer string
	State    ReviewState
	// CommitID is the head commit the review was given on.
	CommitID    string
	SubmittedAt time.Time
}
