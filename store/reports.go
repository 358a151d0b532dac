package store

import "context"

// ReportComment is the PR comment that reports a release on a pull request.
type ReportComment struct {
	Repository string
	PullNumber int
	ReleaseKey string
	CommentID  int64
	BodyHash   string
}

// Reports keeps where reports were posted.
type Reports interface {
	// ReportComment returns the comment of a release on a pull request
	// (ErrNotFound when none is recorded).
	ReportComment(ctx context.Context, repository string, pull int, releaseKey string) (ReportComment, error)
	// SaveReportComment records (or replaces) it.
	SaveReportComment(ctx context.Context, c ReportComment) error
	// SlackMessage returns the Slack message of a release (ErrNotFound
	// when none is recorded).
	SlackMessage(ctx context.Context, repository, releaseKey string) (SlackMessage, error)
	// SaveSlackMessage records (or replaces) it.
	SaveSlackMessage(ctx context.Context, m SlackMessage) error
}

// SlackMessage is the Slack message that reports a release.
type SlackMessage struct {
	Repository string
	ReleaseKey string
	ChannelID  string
	TS         string
	BodyHash   string
	// Seen is what the message's thread has already told, as its owner
	// encodes it.
	Seen []byte
}
