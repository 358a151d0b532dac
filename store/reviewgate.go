package store

import (
	"context"
	"time"
)

// ReviewResult is the review gate's conclusion for a pull request at one
// head commit.
type ReviewResult struct {
	Repository  string
	PullNumber  int
	HeadSHA     string
	Conclusion  string // success | failure | neutral
	Title       string
	EvaluatedAt time.Time
}

// CommitVerdict says whether a commit that reached a deployment branch was
// reviewed; Reason explains an unreviewed one.
type CommitVerdict struct {
	Repository string
	SHA        string
	Reviewed   bool
	Reason     string
	PullNumber int
	DecidedAt  time.Time
}

// ReviewGate keeps what the review gate needs between events.
type ReviewGate interface {
	// SaveCheckRun records the id of the check run named name on headSHA.
	SaveCheckRun(ctx context.Context, repository, headSHA, name string, id int64, now time.Time) error
	// CheckRun returns that id (ErrNotFound when none is recorded).
	CheckRun(ctx context.Context, repository, headSHA, name string) (int64, error)
	// SaveReviewResult records (or replaces) a pull request head's result.
	SaveReviewResult(ctx context.Context, r ReviewResult) error
	// ReviewResultFor returns a pull request head's result (ErrNotFound when none).
	ReviewResultFor(ctx context.Context, repository string, pull int, headSHA string) (ReviewResult, error)
	// SaveVerdicts records (or replaces) commit verdicts, all in one transaction.
	SaveVerdicts(ctx context.Context, verdicts ...CommitVerdict) error
	// Verdict returns a commit's verdict (ErrNotFound when none).
	Verdict(ctx context.Context, repository, sha string) (CommitVerdict, error)
}
