package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/wavegate/wavegate/store"
)

var _ store.Engine = (*Store)(nil)

// LoadEngineState returns the stored state of key.
func (s *Store) LoadEngineState(ctx context.Context, key store.EngineKey) (store.EngineState, error) {
	st := store.EngineState{EngineKey: key}
	var wake sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT version, state, wake_at FROM engine_states
		WHERE repository = ? AND pipeline = ?`, repoKey(key.Repository), key.Pipeline).Scan(&st.Version, &st.State, &wake)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return store.EngineState{}, fmt.Errorf("load engine state of %s/%s: %w", key.Repository, key.Pipeline, err)
	}
	if wake.Valid {
		st.WakeAt = fromNanos(wake.Int64)
	}
	return st, nil
}

// SaveEngineState stores st and its effects in one transaction.
func (s *Store) SaveEngineState(ctx context.Context, st store.EngineState, effects []store.Effect, now time.Time) (int64, error) {
	if err := validEffects(effects); err != nil {
		return 0, err
	}
	next := st.Version + 1
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		var res sql.Result
		var err error
		if st.Version == 0 {
			res, err = tx.ExecContext(ctx, `INSERT INTO engine_states (repository, pipeline, version, state, wake_at, updated_at)
				VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (repository, pipeline) DO NOTHING`,
				repoKey(st.Repository), st.Pipeline, st.State, toNullNanos(st.WakeAt), toNanos(now))
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE engine_states SET version = ?, state = ?, wake_at = ?, updated_at = ?
				WHERE repository = ? AND pipeline = ? AND version = ?`,
				next, st.State, toNullNanos(st.WakeAt), toNanos(now), repoKey(st.Repository), st.Pipeline, st.Version)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return store.ErrConflict
		}
		if err := insertEffects(ctx, tx, effects); err != nil {
			return err
		}
		if err := insertHistory(ctx, tx, st.History); err != nil {
			return err
		}
		return insertDecisions(ctx, tx, st.Decisions)
	})
	if err != nil {
		return 0, fmt.Errorf("save engine state of %s/%s at version %d: %w", st.Repository, st.Pipeline, st.Version, err)
	}
	return next, nil
}

// DueEngineStates lists pipelines whose wake time has come, earliest first.
func (s *Store) DueEngineStates(ctx context.Context, now time.Time, limit int) ([]store.EngineKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT repository, pipeline FROM engine_states
		WHERE wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at LIMIT ?`, toNanos(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due engine states: %w", err)
	}
	defer rows.Close()
	var out []store.EngineKey
	for rows.Next() {
		var k store.EngineKey
		if err := rows.Scan(&k.Repository, &k.Pipeline); err != nil {
			return nil, fmt.Errorf("due engine states: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// NextEngineWake is the earliest stored wake time.
func (s *Store) NextEngineWake(ctx context.Context) (time.Time, bool, error) {
	var wake sql.NullInt64
	if err := s.read.QueryRowContext(ctx, `SELECT MIN(wake_at) FROM engine_states WHERE wake_at IS NOT NULL`).Scan(&wake); err != nil {
		return time.Time{}, false, fmt.Errorf("next engine wake: %w", err)
	}
	if !wake.Valid {
		return time.Time{}, false, nil
	}
	return fromNanos(wake.Int64), true, nil
}

// NextReleaseID allocates the next release id of repository.
func (s *Store) NextReleaseID(ctx context.Context, repository string) (int64, error) {
	var id int64
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO release_ids (repository, last_id) VALUES (?, 1)
			ON CONFLICT (repository) DO UPDATE SET last_id = last_id + 1
			RETURNING last_id`, repoKey(repository)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("next release id of %s: %w", repository, err)
	}
	return id, nil
}
