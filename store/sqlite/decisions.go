package sqlite

import (
	"context"
	"fmt"

	"github.com/wavegate/wavegate/store"
)

var _ store.Decisions = (*Store)(nil)

const insertDecision = `INSERT INTO release_decisions
	(repository, pipeline, release_id, stage, target, what, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// insertDecisions records events in tx, the transaction of the engine
// state that took them, through the connection's cached statement.
func insertDecisions(ctx context.Context, tx writeTx, events []store.DecisionEvent) error {
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, insertDecision, repoKey(e.Repository), e.Pipeline, e.ReleaseID, e.Stage, e.Target, e.What, e.Reason, toNanos(e.At)); err != nil {
			return fmt.Errorf("record decision %q of release %d of %s/%s: %w", e.What, e.ReleaseID, e.Repository, e.Pipeline, err)
		}
	}
	return nil
}

// ReleaseDecisions lists the last limit decisions about a release, oldest
// first.
func (s *Store) ReleaseDecisions(ctx context.Context, repository, pipeline string, releaseID int64, limit int) ([]store.DecisionEvent, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.read.QueryContext(ctx, `SELECT repository, pipeline, release_id, stage, target, what, reason, at FROM (
		SELECT * FROM release_decisions WHERE repository = ? AND pipeline = ? AND release_id = ?
		ORDER BY id DESC LIMIT ?) ORDER BY id`, repoKey(repository), pipeline, releaseID, limit)
	if err != nil {
		return nil, fmt.Errorf("decisions of release %d of %s/%s: %w", releaseID, repository, pipeline, err)
	}
	defer rows.Close()
	var out []store.DecisionEvent
	for rows.Next() {
		var e store.DecisionEvent
		var at int64
		if err := rows.Scan(&e.Repository, &e.Pipeline, &e.ReleaseID, &e.Stage, &e.Target, &e.What, &e.Reason, &at); err != nil {
			return nil, fmt.Errorf("decisions of release %d of %s/%s: %w", releaseID, repository, pipeline, err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("decisions of release %d of %s/%s: %w", releaseID, repository, pipeline, err)
	}
	return out, nil
}
