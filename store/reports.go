package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

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

var _ Reports = (*SQLite)(nil)

// ReportComment returns the recorded comment.
func (s *SQLite) ReportComment(ctx context.Context, repository string, pull int, releaseKey string) (ReportComment, error) {
	c := ReportComment{Repository: repository, PullNumber: pull, ReleaseKey: releaseKey}
	err := s.read.QueryRowContext(ctx, `SELECT comment_id, body_hash FROM report_comments
		WHERE repository = ? AND pull_number = ? AND release_key = ?`, repoKey(repository), pull, releaseKey).Scan(&c.CommentID, &c.BodyHash)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return ReportComment{}, fmt.Errorf("report comment of %s on %s#%d: %w", releaseKey, repository, pull, err)
	}
	return c, nil
}

// SaveReportComment records the comment.
func (s *SQLite) SaveReportComment(ctx context.Context, c ReportComment) error {
	err := s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO report_comments (repository, pull_number, release_key, comment_id, body_hash)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (repository, pull_number, release_key) DO UPDATE SET
				comment_id = excluded.comment_id, body_hash = excluded.body_hash`,
			repoKey(c.Repository), c.PullNumber, c.ReleaseKey, c.CommentID, c.BodyHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("save report comment of %s on %s#%d: %w", c.ReleaseKey, c.Repository, c.PullNumber, err)
	}
	return nil
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

// SlackMessage returns the recorded message (ErrNotFound when none).
func (s *SQLite) SlackMessage(ctx context.Context, repository, releaseKey string) (SlackMessage, error) {
	m := SlackMessage{Repository: repository, ReleaseKey: releaseKey}
	err := s.read.QueryRowContext(ctx, `SELECT channel_id, ts, body_hash, seen FROM slack_messages
		WHERE repository = ? AND release_key = ?`, repoKey(repository), releaseKey).Scan(&m.ChannelID, &m.TS, &m.BodyHash, &m.Seen)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return SlackMessage{}, fmt.Errorf("slack message of %s in %s: %w", releaseKey, repository, err)
	}
	return m, nil
}

// SaveSlackMessage records (or replaces) it.
func (s *SQLite) SaveSlackMessage(ctx context.Context, m SlackMessage) error {
	if m.Seen == nil {
		m.Seen = []byte{}
	}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO slack_messages (repository, release_key, channel_id, ts, body_hash, seen)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (repository, release_key) DO UPDATE SET
				channel_id = excluded.channel_id, ts = excluded.ts, body_hash = excluded.body_hash, seen = excluded.seen`,
			repoKey(m.Repository), m.ReleaseKey, m.ChannelID, m.TS, m.BodyHash, m.Seen)
		return err
	})
	if err != nil {
		return fmt.Errorf("save slack message of %s in %s: %w", m.ReleaseKey, m.Repository, err)
	}
	return nil
}
