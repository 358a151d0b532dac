package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/wavegate/wavegate/store"
)

// leasedQueue is the SQL the inbox and the outbox share, written once. Both
// tables have seq, state (pending, processing, done, dead), attempts,
// next_attempt_at, lease_until, last_error and a column recording when a row
// finished. Every field is a constant of this package, never input, so
// building statements from them is safe.
type leasedQueue struct {
	table string
	// returning is what a claim returns of each row, for the table's scanner.
	returning string
	// finishedAt is the column set when a row is done or dead.
	finishedAt string
	// candidates is FROM and WHERE (ending in AND) of the rows a claim may
	// take, alias i: the inbox narrows them to each repository's head.
	candidates string
}

var (
	inboxQueue = leasedQueue{
		table:      "inbox",
		returning:  deliveryColumns,
		finishedAt: "processed_at",
		candidates: "inbox_heads h JOIN inbox i ON i.seq = h.seq WHERE",
	}
	// The state filter lets the outbox's claim index skip finished rows.
	outboxQueue = leasedQueue{
		table:      "outbox",
		returning:  effectColumns,
		finishedAt: "done_at",
		candidates: "outbox i WHERE i.state IN ('pending', 'processing') AND",
	}
)

// claimQuery claims, in seq order, up to a limit of the candidates that are
// due: pending and due, or processing with an expired lease. Each claim
// counts as an attempt. Arguments: lease end, now, now, limit.
//
// Postgres can share it with FOR UPDATE SKIP LOCKED on the inner SELECT: a
// row locked by another claimer is skipped.
func (q leasedQueue) claimQuery() string {
	return `UPDATE ` + q.table + `
SET state = 'processing', attempts = attempts + 1, lease_until = ?
WHERE seq IN (
	SELECT i.seq FROM ` + q.candidates + `
	    ((i.state = 'pending' AND i.next_attempt_at <= ?)
	  OR (i.state = 'processing' AND i.lease_until <= ?))
	ORDER BY i.seq
	LIMIT ?)
RETURNING ` + q.returning
}

// claim runs claimQuery in tx; the caller scans (and closes) the rows, which
// come in no particular order.
func (q leasedQueue) claim(ctx context.Context, tx *sql.Tx, now time.Time, limit int, lease time.Duration) (*sql.Rows, error) {
	n := toNanos(now)
	return tx.QueryContext(ctx, q.claimQuery(), toNanos(now.Add(lease)), n, n, limit)
}

// complete marks claimed row seq done at now; also (", col = ?") and its
// arguments record more in the same statement.
func (q leasedQueue) complete(ctx context.Context, tx *sql.Tx, seq int64, now time.Time, also string, args ...any) error {
	return q.updateClaimed(ctx, tx, seq,
		"state = 'done', lease_until = NULL, "+q.finishedAt+" = ?"+also,
		append([]any{toNanos(now)}, args...)...)
}

// retry hands claimed row seq back as pending, due at next.
func (q leasedQueue) retry(ctx context.Context, tx *sql.Tx, seq int64, next time.Time, errMsg string) error {
	return q.updateClaimed(ctx, tx, seq,
		"state = 'pending', lease_until = NULL, next_attempt_at = ?, last_error = ?",
		toNanos(next), errMsg)
}

// kill marks claimed row seq dead at now.
func (q leasedQueue) kill(ctx context.Context, tx *sql.Tx, seq int64, now time.Time, errMsg string) error {
	return q.updateClaimed(ctx, tx, seq,
		"state = 'dead', lease_until = NULL, "+q.finishedAt+" = ?, last_error = ?",
		toNanos(now), errMsg)
}

// updateClaimed applies set to row seq if it is processing and, when that
// changes nothing, tells a missing row (ErrNotFound) from one that is not
// claimed (ErrNotClaimed).
func (q leasedQueue) updateClaimed(ctx context.Context, tx *sql.Tx, seq int64, set string, args ...any) error {
	res, err := tx.ExecContext(ctx, `UPDATE `+q.table+` SET `+set+`
		WHERE seq = ? AND state = 'processing'`, append(args, seq)...)
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
	err = tx.QueryRowContext(ctx, `SELECT state FROM `+q.table+` WHERE seq = ?`, seq).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("state is %s: %w", state, store.ErrNotClaimed)
}

// release hands every processing row back as pending, due at now. Attempts
// stay counted: a row that crashes the process is not retried for ever.
func (q leasedQueue) release(ctx context.Context, s *Store, now time.Time) (int, error) {
	var n int64
	err := s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE `+q.table+`
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

// pruneChunk bounds how long one prune transaction keeps intake waiting.
const pruneChunk = 1000

// prune deletes done and dead rows finished before cutoff, a chunk per
// transaction so that a large backlog does not hold up writes.
func (q leasedQueue) prune(ctx context.Context, s *Store, cutoff time.Time) (int, error) {
	query := `DELETE FROM ` + q.table + ` WHERE seq IN (
		SELECT seq FROM ` + q.table + `
		WHERE state IN ('done', 'dead') AND ` + q.finishedAt + ` < ?
		LIMIT ?)`
	total := 0
	for {
		var n int64
		err := s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, query, toNanos(cutoff), pruneChunk)
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
