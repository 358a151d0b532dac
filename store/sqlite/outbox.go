package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wavegate/wavegate/store"
)

const effectColumns = `seq, idempotency_key, kind, state, attempts, next_attempt_at,
	last_error, created_at, payload, result`

// AddEffects stores effects as pending, in one transaction, in argument
// order. Each is due at its NextAttemptAt, or at CreatedAt when that is zero;
// CreatedAt is required. An effect whose Key is already stored is skipped and
// left unchanged.
func (s *Store) AddEffects(ctx context.Context, effects ...store.Effect) error {
	if len(effects) == 0 {
		return nil
	}
	if err := validEffects(effects); err != nil {
		return err
	}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		return insertEffects(ctx, tx, effects)
	})
	if err != nil {
		return fmt.Errorf("add %d effects: %w", len(effects), err)
	}
	return nil
}

func validEffects(effects []store.Effect) error {
	for _, e := range effects {
		switch {
		case e.Key == "":
			return fmt.Errorf("add effect of kind %q: empty idempotency key", e.Kind)
		case e.CreatedAt.IsZero():
			return fmt.Errorf("add effect %q: zero created time", e.Key)
		}
	}
	return nil
}

// insertEffect adds an effect unless its key is already there.
const insertEffect = `INSERT INTO outbox
	(idempotency_key, kind, state, attempts, next_attempt_at, last_error, created_at, payload)
	VALUES (?, ?, 'pending', 0, ?, '', ?, ?)
	ON CONFLICT (idempotency_key) DO NOTHING`

// insertEffects adds effects inside tx, skipping keys already there: the
// same decision replayed names the same effect. The statement comes from
// the connection's cache (see statementCacheSize), prepared once; an
// explicit Prepare would bypass the cache and prepare it at every call.
func insertEffects(ctx context.Context, tx writeTx, effects []store.Effect) error {
	for _, e := range effects {
		next := e.NextAttemptAt
		if next.IsZero() {
			next = e.CreatedAt
		}
		payload := e.Payload
		if payload == nil {
			payload = []byte{}
		}
		if _, err := tx.ExecContext(ctx, insertEffect, e.Key, e.Kind, toNanos(next), toNanos(e.CreatedAt), payload); err != nil {
			return fmt.Errorf("insert effect %q: %w", e.Key, err)
		}
	}
	return nil
}

// ClaimEffects takes up to limit due effects in seq order (pending and due,
// or processing with an expired lease) and leases them until now+lease.
func (s *Store) ClaimEffects(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Effect, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("claim outbox rows: limit %d and lease %v must be positive", limit, lease)
	}
	var out []store.Effect
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		rows, err := outboxQueue.claim(ctx, tx, now, limit, lease)
		if err != nil {
			return err
		}
		out, err = scanEffects(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox rows: %w", err)
	}
	slices.SortFunc(out, func(a, b store.Effect) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// CompleteEffect marks a processing effect done, recording result.
func (s *Store) CompleteEffect(ctx context.Context, seq int64, now time.Time, result []byte) error {
	err := s.settleEffect(ctx, store.Settlement{Seq: seq, Settles: store.SettleDone, At: now, Result: result})
	if err != nil {
		return fmt.Errorf("complete effect seq %d: %w", seq, err)
	}
	return nil
}

// SetEffectResult records what performing a claimed effect produced,
// leaving it processing: the result survives a crash before the effect's
// consequences are applied, so a retry applies it instead of performing the
// effect again.
func (s *Store) SetEffectResult(ctx context.Context, seq int64, result []byte) error {
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		return outboxQueue.updateClaimed(ctx, tx, seq, "result = ?", result)
	})
	if err != nil {
		return fmt.Errorf("record result of effect seq %d: %w", seq, err)
	}
	return nil
}

// ReleaseEffects hands every processing effect back as pending, due at now:
// at start, after a crash. Results already recorded stay.
func (s *Store) ReleaseEffects(ctx context.Context, now time.Time) (int, error) {
	n, err := outboxQueue.release(ctx, s, now)
	if err != nil {
		return 0, fmt.Errorf("release processing effects: %w", err)
	}
	return n, nil
}

// RetryEffect hands a processing effect back as pending, due at next.
func (s *Store) RetryEffect(ctx context.Context, seq int64, next time.Time, errMsg string) error {
	err := s.settleEffect(ctx, store.Settlement{Seq: seq, Settles: store.SettleRetry, At: next, Error: errMsg})
	if err != nil {
		return fmt.Errorf("retry effect seq %d: %w", seq, err)
	}
	return nil
}

// KillEffect marks a processing effect dead at now.
func (s *Store) KillEffect(ctx context.Context, seq int64, now time.Time, errMsg string) error {
	err := s.settleEffect(ctx, store.Settlement{Seq: seq, Settles: store.SettleDead, At: now, Error: errMsg})
	if err != nil {
		return fmt.Errorf("kill effect seq %d: %w", seq, err)
	}
	return nil
}

func (s *Store) settleEffect(ctx context.Context, st store.Settlement) error {
	return s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		_, err := outboxQueue.settle(ctx, tx, st, true)
		return err
	})
}

// SettleEffects implements store.OutboxBatches.
func (s *Store) SettleEffects(ctx context.Context, settlements []store.Settlement) error {
	if len(settlements) == 0 {
		return nil
	}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		for _, st := range settlements {
			if _, err := outboxQueue.settle(ctx, tx, st, true); err != nil {
				return fmt.Errorf("seq %d: %w", st.Seq, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("settle %d effects: %w", len(settlements), err)
	}
	return nil
}

// PruneEffects implements store.Outbox.
func (s *Store) PruneEffects(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := outboxQueue.prune(ctx, s, cutoff)
	if err != nil {
		return n, fmt.Errorf("prune effects finished before %s: %w", cutoff.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

// Effect implements store.Outbox.
func (s *Store) Effect(ctx context.Context, key string) (store.Effect, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+effectColumns+` FROM outbox WHERE idempotency_key = ?`, key)
	if err != nil {
		return store.Effect{}, fmt.Errorf("get effect %q: %w", key, err)
	}
	es, err := scanEffects(rows)
	if err != nil {
		return store.Effect{}, fmt.Errorf("get effect %q: %w", key, err)
	}
	if len(es) == 0 {
		return store.Effect{}, fmt.Errorf("get effect %q: %w", key, store.ErrNotFound)
	}
	return es[0], nil
}

// scanEffects reads rows of effectColumns and closes them.
func scanEffects(rows *sql.Rows) ([]store.Effect, error) {
	defer rows.Close()
	var out []store.Effect
	for rows.Next() {
		var (
			e             store.Effect
			state         string
			next, created sql.NullInt64
		)
		err := rows.Scan(&e.Seq, &e.Key, &e.Kind, &state, &e.Attempts, &next,
			&e.LastError, &created, &e.Payload, &e.Result)
		if err != nil {
			return nil, err
		}
		e.State = store.EffectState(state)
		e.NextAttemptAt = fromNullNanos(next)
		e.CreatedAt = fromNullNanos(created)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// NextEffectDue returns when ClaimEffects could next return an effect: the
// earliest pending retry or expiring lease.
func (s *Store) NextEffectDue(ctx context.Context) (time.Time, bool, error) {
	var pending, lease sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT
		(SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'),
		(SELECT MIN(lease_until) FROM outbox WHERE state = 'processing')`).Scan(&pending, &lease)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due effect: %w", err)
	}
	switch {
	case pending.Valid && lease.Valid:
		return fromNanos(min(pending.Int64, lease.Int64)), true, nil
	case pending.Valid:
		return fromNanos(pending.Int64), true, nil
	case lease.Valid:
		return fromNanos(lease.Int64), true, nil
	}
	return time.Time{}, false, nil
}

// NewerEffectPending implements store.Outbox.
func (s *Store) NewerEffectPending(ctx context.Context, prefix string, seq int64) (bool, error) {
	if prefix == "" {
		return false, errors.New("newer effect pending: empty key prefix")
	}
	// A key range, not LIKE: it uses the key's unique index and takes % and
	// _ in keys literally.
	upper := []byte(prefix)
	upper[len(upper)-1]++
	var one int
	err := s.read.QueryRowContext(ctx, `SELECT 1 FROM outbox
		WHERE idempotency_key >= ? AND idempotency_key < ? AND seq > ? AND state IN ('pending', 'processing')
		LIMIT 1`, prefix, string(upper), seq).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("newer effect pending under %q after seq %d: %w", prefix, seq, err)
	}
	return true, nil
}
