package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

const deliveryColumns = `seq, delivery_id, event, action, installation_id, repository,
	received_at, state, attempts, next_attempt_at, last_error, processed_at, payload`

// listColumns are deliveryColumns with an empty payload, for reads that
// show rows and need not carry payloads of up to 25 MiB.
const listColumns = `seq, delivery_id, event, action, installation_id, repository,
	received_at, state, attempts, next_attempt_at, last_error, processed_at, x''`

// claimDeliveries claims, in arrival order, the heads (each repository's
// first unfinished row) that are due: pending and due, or processing with an
// expired lease. A row behind its repository's head is never claimed, so a
// repository's rows never overtake each other and one Claim gets at most one
// row per repository.
//
// Postgres can share it with FOR UPDATE SKIP LOCKED on the inner SELECT: a
// head locked by another claimer is skipped, and the rows behind it wait.
const claimDeliveries = `UPDATE inbox
SET state = 'processing', attempts = attempts + 1, lease_until = ?
WHERE seq IN (
	SELECT i.seq FROM inbox_heads h JOIN inbox i ON i.seq = h.seq
	WHERE (i.state = 'pending' AND i.next_attempt_at <= ?)
	   OR (i.state = 'processing' AND i.lease_until <= ?)
	ORDER BY i.seq
	LIMIT ?)
RETURNING ` + deliveryColumns

// Claim takes up to limit due deliveries, at most one per repository and
// never ahead of an unfinished earlier delivery of the same repository, and
// leases them until now+lease. Each claim counts as an attempt.
func (s *SQLite) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Delivery, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("claim inbox rows: limit %d and lease %v must be positive", limit, lease)
	}
	var out []Delivery
	err := s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n := toNanos(now)
		rows, err := tx.QueryContext(ctx, claimDeliveries, toNanos(now.Add(lease)), n, n, limit)
		if err != nil {
			return err
		}
		out, err = scanDeliveries(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim inbox rows: %w", err)
	}
	// RETURNING gives no order.
	slices.SortFunc(out, func(a, b Delivery) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// Complete marks a processing delivery done at now.
func (s *SQLite) Complete(ctx context.Context, seq int64, now time.Time) error {
	err := s.finishDelivery(ctx, seq, `UPDATE inbox
		SET state = 'done', lease_until = NULL, processed_at = ?
		WHERE seq = ? AND state = 'processing'`, toNanos(now), seq)
	if err != nil {
		return fmt.Errorf("complete delivery seq %d: %w", seq, err)
	}
	return nil
}

// Retry hands a processing delivery back as pending, due at next.
func (s *SQLite) Retry(ctx context.Context, seq int64, next time.Time, errMsg string) error {
	err := s.finishDelivery(ctx, seq, `UPDATE inbox
		SET state = 'pending', lease_until = NULL, next_attempt_at = ?, last_error = ?
		WHERE seq = ? AND state = 'processing'`, toNanos(next), errMsg, seq)
	if err != nil {
		return fmt.Errorf("retry delivery seq %d: %w", seq, err)
	}
	return nil
}

// Kill marks a processing delivery dead at now.
func (s *SQLite) Kill(ctx context.Context, seq int64, now time.Time, errMsg string) error {
	err := s.finishDelivery(ctx, seq, `UPDATE inbox
		SET state = 'dead', lease_until = NULL, processed_at = ?, last_error = ?
		WHERE seq = ? AND state = 'processing'`, toNanos(now), errMsg, seq)
	if err != nil {
		return fmt.Errorf("kill delivery seq %d: %w", seq, err)
	}
	return nil
}

// finishDelivery runs an update guarded by state = 'processing' and, when it
// changes nothing, tells a missing row from one that is not claimed.
func (s *SQLite) finishDelivery(ctx context.Context, seq int64, query string, args ...any) error {
	return s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := updateClaimed(ctx, tx, "inbox", seq, query, args...); err != nil {
			return err
		}
		return advanceHead(ctx, tx, seq)
	})
}

// advanceHead moves the head of finished row seq's repository to its next
// unfinished row, or removes it when there is none.
func advanceHead(ctx context.Context, tx *sql.Tx, seq int64) error {
	var repo string
	if err := tx.QueryRowContext(ctx, `SELECT repository FROM inbox WHERE seq = ?`, seq).Scan(&repo); err != nil {
		return fmt.Errorf("find repository of seq %d: %w", seq, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM inbox_heads WHERE repository = ?`, repo); err != nil {
		return fmt.Errorf("advance head of %q: %w", repo, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_heads (repository, seq)
		SELECT repository, MIN(seq) FROM inbox
		WHERE repository = ? AND state IN ('pending', 'processing')
		GROUP BY repository`, repo); err != nil {
		return fmt.Errorf("advance head of %q: %w", repo, err)
	}
	return nil
}

// updateClaimed is shared by the inbox and the outbox; table is a constant.
func updateClaimed(ctx context.Context, tx *sql.Tx, table string, seq int64, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	var state string
	err = tx.QueryRowContext(ctx, `SELECT state FROM `+table+` WHERE seq = ?`, seq).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("state is %s: %w", state, ErrNotClaimed)
}

// ReleaseAll hands every processing delivery back as pending, due at now.
// Their attempts stay counted: a delivery that crashes the process should
// not be retried forever.
func (s *SQLite) ReleaseAll(ctx context.Context, now time.Time) (int, error) {
	n, err := s.releaseProcessing(ctx, "inbox", now)
	if err != nil {
		return 0, fmt.Errorf("release processing deliveries: %w", err)
	}
	return n, nil
}

// releaseProcessing hands every processing row of table (inbox or outbox,
// a constant) back as pending, due at now.
func (s *SQLite) releaseProcessing(ctx context.Context, table string, now time.Time) (int, error) {
	var n int64
	err := s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE `+table+`
			SET state = 'pending', lease_until = NULL, next_attempt_at = ?
			WHERE state = 'processing'`, toNanos(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// NextDue returns when Claim could next return a delivery (see Inbox).
func (s *SQLite) NextDue(ctx context.Context) (time.Time, bool, error) {
	var due sql.NullInt64
	err := s.read.QueryRowContext(ctx, nextDueDelivery).Scan(&due)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due delivery: %w", err)
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return fromNanos(due.Int64), true, nil
}

// nextDueDelivery considers only the rows Claim could take: the heads. A row waiting behind another is not
// due by itself, and counting it would wake the workers for nothing.
const nextDueDelivery = `SELECT MIN(CASE WHEN i.state = 'pending' THEN i.next_attempt_at ELSE i.lease_until END)
FROM inbox_heads h JOIN inbox i ON i.seq = h.seq`

// Depth counts pending and processing deliveries.
func (s *SQLite) Depth(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM inbox WHERE state IN ('pending', 'processing')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count unfinished deliveries: %w", err)
	}
	return n, nil
}

// pruneChunk bounds how long one Prune transaction keeps intake waiting.
const pruneChunk = 1000

// Prune deletes done and dead deliveries processed before cutoff, a chunk per
// transaction so that a large backlog does not hold up Enqueue.
func (s *SQLite) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := s.pruneChunks(ctx, `DELETE FROM inbox WHERE seq IN (
		SELECT seq FROM inbox
		WHERE state IN ('done', 'dead') AND processed_at < ?
		LIMIT ?)`, toNanos(cutoff))
	if err != nil {
		return n, fmt.Errorf("prune deliveries processed before %s: %w", cutoff.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

// pruneChunks repeats a DELETE taking (cutoff, limit) until it deletes less
// than a full chunk.
func (s *SQLite) pruneChunks(ctx context.Context, query string, cutoff int64) (int, error) {
	total := 0
	for {
		var n int64
		err := s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, query, cutoff, pruneChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += int(n)
		if n < pruneChunk {
			return total, nil
		}
	}
}

// Delivery returns the delivery with the given X-GitHub-Delivery id.
func (s *SQLite) Delivery(ctx context.Context, id string) (Delivery, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+deliveryColumns+` FROM inbox WHERE delivery_id = ?`, id)
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery %q: %w", id, err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery %q: %w", id, err)
	}
	if len(ds) == 0 {
		return Delivery{}, fmt.Errorf("get delivery %q: %w", id, ErrNotFound)
	}
	return ds[0], nil
}

// DeliveryFilter selects deliveries for ListDeliveries.
type DeliveryFilter struct {
	// State, when set, keeps only deliveries in that state.
	State DeliveryState
	// Limit caps how many are returned (newest first); 0 means no cap.
	Limit int
}

// ListDeliveries returns stored deliveries, newest arrival first, without
// their payloads: what an operator looks at to find a dead one. A delivery
// stored again (redelivered or retried) counts as arriving then.
func (s *SQLite) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+listColumns+` FROM inbox
		WHERE ? = '' OR state = ?
		ORDER BY seq DESC
		LIMIT ?`, string(f.State), string(f.State), limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries (state %q): %w", f.State, err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("list deliveries (state %q): %w", f.State, err)
	}
	return ds, nil
}

// scanDeliveries reads rows of deliveryColumns and closes them.
func scanDeliveries(rows *sql.Rows) ([]Delivery, error) {
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var (
			d                         Delivery
			state                     string
			received, next, processed sql.NullInt64
		)
		err := rows.Scan(&d.Seq, &d.ID, &d.Event, &d.Action, &d.InstallationID, &d.Repository,
			&received, &state, &d.Attempts, &next, &d.LastError, &processed, &d.Payload)
		if err != nil {
			return nil, err
		}
		d.State = DeliveryState(state)
		d.ReceivedAt = fromNullNanos(received)
		d.NextAttemptAt = fromNullNanos(next)
		d.ProcessedAt = fromNullNanos(processed)
		out = append(out, d)
	}
	return out, rows.Err()
}
