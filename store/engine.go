package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrConflict is returned when a state was changed by someone else since it
// was loaded.
var ErrConflict = errors.New("changed since it was loaded")

// EngineKey names one pipeline of one repository.
type EngineKey struct {
	Repository string
	Pipeline   string
}

// EngineState is a pipeline's serialized engine state.
type EngineState struct {
	EngineKey
	// Version is 0 for a state never saved.
	Version int64
	State   []byte
	// WakeAt is when the engine must look again; zero for never.
	WakeAt time.Time
}

// Engine persists the deployment engine's state.
type Engine interface {
	// LoadEngineState returns the stored state, or Version 0 and no State
	// when none is stored.
	LoadEngineState(ctx context.Context, key EngineKey) (EngineState, error)
	// SaveEngineState stores st if the stored version is still st.Version
	// (ErrConflict otherwise) and adds effects to the outbox, in one
	// transaction: a decision and the side effects it needs are kept
	// together or not at all. It returns the new version.
	SaveEngineState(ctx context.Context, st EngineState, effects []Effect, now time.Time) (int64, error)
	// DueEngineStates lists up to limit pipelines whose wake time has come.
	DueEngineStates(ctx context.Context, now time.Time, limit int) ([]EngineKey, error)
	// NextEngineWake is the earliest wake time stored; ok is false when none.
	NextEngineWake(ctx context.Context) (time.Time, bool, error)
	// NextReleaseID allocates the next release id of a repository.
	NextReleaseID(ctx context.Context, repository string) (int64, error)
}

var _ Engine = (*SQLite)(nil)

// LoadEngineState returns the stored state of key.
func (s *SQLite) LoadEngineState(ctx context.Context, key EngineKey) (EngineState, error) {
	st := EngineState{EngineKey: key}
	var wake sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT version, state, wake_at FROM engine_states
		WHERE repository = ? AND pipeline = ?`, repoKey(key.Repository), key.Pipeline).Scan(&st.Version, &st.State, &wake)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return EngineState{}, fmt.Errorf("load engine state of %s/%s: %w", key.Repository, key.Pipeline, err)
	}
	if wake.Valid {
		st.WakeAt = fromNanos(wake.Int64)
	}
	return st, nil
}

// SaveEngineState stores st and its effects in one transaction.
func (s *SQLite) SaveEngineState(ctx context.Context, st EngineState, effects []Effect, now time.Time) (int64, error) {
	if err := validEffects(effects); err != nil {
		return 0, err
	}
	next := st.Version + 1
	err := s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
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
			return ErrConflict
		}
		return insertEffects(ctx, tx, effects)
	})
	if err != nil {
		return 0, fmt.Errorf("save engine state of %s/%s at version %d: %w", st.Repository, st.Pipeline, st.Version, err)
	}
	return next, nil
}

// DueEngineStates lists pipelines whose wake time has come, earliest first.
func (s *SQLite) DueEngineStates(ctx context.Context, now time.Time, limit int) ([]EngineKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT repository, pipeline FROM engine_states
		WHERE wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at LIMIT ?`, toNanos(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due engine states: %w", err)
	}
	defer rows.Close()
	var out []EngineKey
	for rows.Next() {
		var k EngineKey
		if err := rows.Scan(&k.Repository, &k.Pipeline); err != nil {
			return nil, fmt.Errorf("due engine states: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// NextEngineWake is the earliest stored wake time.
func (s *SQLite) NextEngineWake(ctx context.Context) (time.Time, bool, error) {
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
func (s *SQLite) NextReleaseID(ctx context.Context, repository string) (int64, error) {
	var id int64
	err := s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO release_ids (repository, last_id) VALUES (?, 1)
			ON CONFLICT (repository) DO UPDATE SET last_id = last_id + 1
			RETURNING last_id`, repoKey(repository)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("next release id of %s: %w", repository, err)
	}
	return id, nil
}
