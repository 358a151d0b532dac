package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wavegate/wavegate/store"
)

var _ store.Reports = (*Store)(nil)

// ReportComment returns the recorded comment.
func (s *Store) ReportComment(ctx context.Context, repository string, pull int, releaseKey string) (store.ReportComment, error) {
	c := store.ReportComment{Repository: repository, PullNumber: pull, ReleaseKey: releaseKey}
	err := s.read.QueryRowContext(ctx, `SELECT comment_id, body_hash FROM report_comments
		WHERE repository = ? AND pull_number = ? AND release_key = ?`, repoKey(repository), pull, releaseKey).Scan(&c.CommentID, &c.BodyHash)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.ReportComment{}, fmt.Errorf("report comment of %s on %s#%d: %w", releaseKey, repository, pull, err)
	}
	return c, nil
}

// SaveReportComment records the comment.
func (s *Store) SaveReportComment(ctx context.Context, c store.ReportComment) error {
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
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

// SlackMessage returns the recorded message (ErrNotFound when none).
func (s *Store) SlackMessage(ctx context.Context, repository, releaseKey string) (store.SlackMessage, error) {
	m := store.SlackMessage{Repository: repository, ReleaseKey: releaseKey}
	err := s.read.QueryRowContext(ctx, `SELECT channel_id, ts, body_hash, seen FROM slack_messages
		WHERE repository = ? AND release_key = ?`, repoKey(repository), releaseKey).Scan(&m.ChannelID, &m.TS, &m.BodyHash, &m.Seen)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.SlackMessage{}, fmt.Errorf("slack message of %s in %s: %w", releaseKey, repository, err)
	}
	return m, nil
}

// SaveSlackMessage records (or replaces) it.
func (s *Store) SaveSlackMessage(ctx context.Context, m store.SlackMessage) error {
	if m.Seen == nil {
		m.Seen = []byte{}
	}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
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
