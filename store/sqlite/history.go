package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/wavegate/wavegate/store"
)

var _ store.History = (*Store)(nil)

// insertHistory records events in tx, the transaction of the engine state
// that decided them.
func insertHistory(ctx context.Context, tx writeTx, events []store.HistoryEvent) error {
	for _, e := range events {
		repo := repoKey(e.Repository)
		var err error
		switch e.Kind {
		case store.HistoryReleased, store.HistoryFailed:
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO release_history
				(repository, pipeline, release_id, sha, stage, kind, at, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				repo, e.Pipeline, e.ReleaseID, e.SHA, e.Stage, string(e.Kind), toNanos(e.At), toNanos(e.StartedAt))
		case store.HistoryRestored:
			// Restored only when the stage failed since it was last restored;
			// the outage began at the first of those failures.
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO release_history
				(repository, pipeline, release_id, sha, stage, kind, at, started_at)
				SELECT ?, ?, ?, ?, ?, 'restored', ?, MIN(f.at) FROM release_history f
				WHERE f.repository = ? AND f.pipeline = ? AND f.stage = ? AND f.kind = 'failed'
				  AND f.id > COALESCE((SELECT MAX(r.id) FROM release_history r
				      WHERE r.repository = ? AND r.pipeline = ? AND r.stage = ? AND r.kind = 'restored'), 0)
				HAVING COUNT(*) > 0`,
				repo, e.Pipeline, e.ReleaseID, e.SHA, e.Stage, toNanos(e.At),
				repo, e.Pipeline, e.Stage, repo, e.Pipeline, e.Stage)
		default:
			return fmt.Errorf("release history of %s/%s release %d: unknown kind %q", e.Repository, e.Pipeline, e.ReleaseID, e.Kind)
		}
		if err != nil {
			return fmt.Errorf("record %s of release %d of %s/%s: %w", e.Kind, e.ReleaseID, e.Repository, e.Pipeline, err)
		}
	}
	return nil
}

// ReleaseHistory lists the history rows at or after since, oldest first.
// Repositories are in lower case, as every repository key is stored.
func (s *Store) ReleaseHistory(ctx context.Context, since time.Time) ([]store.HistoryEvent, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT repository, pipeline, release_id, sha, stage, kind, at, started_at
		FROM release_history WHERE at >= ? ORDER BY at, id`, toNanos(since))
	if err != nil {
		return nil, fmt.Errorf("release history since %s: %w", since.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var out []store.HistoryEvent
	for rows.Next() {
		var e store.HistoryEvent
		var kind string
		var at, started int64
		if err := rows.Scan(&e.Repository, &e.Pipeline, &e.ReleaseID, &e.SHA, &e.Stage, &kind, &at, &started); err != nil {
			return nil, fmt.Errorf("release history since %s: %w", since.Format(time.RFC3339), err)
		}
		e.Kind, e.At, e.StartedAt = store.HistoryKind(kind), fromNanos(at), fromNanos(started)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("release history since %s: %w", since.Format(time.RFC3339), err)
	}
	return out, nil
}
