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
	// take, alias i.
	candidates string
	// settled is what settling a row returns: the inbox's repository, to
	// move its head on.
	settled string
}

var (
	// The inbox claims runs (inbox.go); its settlements return the
	// repository whose head they move.
	inboxQueue = leasedQueue{
		table:      "inbox",
		finishedAt: "processed_at",
		settled:    "repository",
	}
	// The state filter lets the outbox's claim index skip finished rows.
	outboxQueue = leasedQueue{
		table:      "outbox",
		returning:  effectColumns,
		finishedAt: "done_at",
		candidates: "outbox i WHERE i.state IN ('pending', 'processing') AND",
		settled:    "seq",
	}
)

// claimQuery claims, in seq order, up to a limit of the candidates that are
// due: pending and due, or processing with an expired lease. Each claim
// counts as an attempt. Arguments: lease end, now, now, limit (+?: see
// statementCacheSize).
//
// Postgres can share it with FOR UPDATE SKIP LOCKED on the inner SELECT (a
// row locked by another claimer is skipped) and a plain LIMIT.
func (q leasedQueue) claimQuery() string {
	return `UPDATE ` + q.table + `
SET state = 'processing', attempts = attempts + 1, lease_until = ?
WHERE seq IN (
	SELECT i.seq FROM ` + q.candidates + `
	    ((i.state = 'pending' AND i.next_attempt_at <= ?)
	  OR (i.state = 'processing' AND i.lease_until <= ?))
	ORDER BY i.seq
	LIMIT +?)
RETURNING ` + q.returning
}

// claim runs claimQuery in tx; the caller scans (and closes) the rows, which
// come in no particular order.
func (q leasedQueue) claim(ctx context.Context, tx writeTx, now time.Time, limit int, lease time.Duration) (*sql.Rows, error) {
	n := toNanos(now)
	return tx.QueryContext(ctx, q.claimQuery(), toNanos(now.Add(lease)), n, n, limit)
}

// settle applies st to its claimed row and returns the row's q.settled
// column. An effect's result is recorded only by q's with a result column
// (withResult).
func (q leasedQueue) settle(ctx context.Context, tx writeTx, st store.Settlement, withResult bool) (string, error) {
	var (
		set  string
		args []any
	)
	switch st.Settles {
	case store.SettleDone:
		set, args = "state = 'done', lease_until = NULL, "+q.finishedAt+" = ?", []any{toNanos(st.At)}
		if withResult {
			set, args = set+", result = ?", append(args, st.Result)
		}
	case store.SettleRetry:
		set, args = "state = 'pending', lease_until = NULL, next_attempt_at = ?, last_error = ?", []any{toNanos(st.At), st.Error}
	case store.SettleDead:
		set, args = "state = 'dead', lease_until = NULL, "+q.finishedAt+" = ?, last_error = ?", []any{toNanos(st.At), st.Error}
	case store.SettleUnworked:
		// As before the claim: the claim's attempt is taken back.
		set = "state = 'pending', lease_until = NULL, attempts = MAX(attempts - 1, 0)"
	default:
		return "", fmt.Errorf("unknown settlement %d", st.Settles)
	}
	var out string
	err := tx.QueryRowContext(ctx, `UPDATE `+q.table+` SET `+set+`
		WHERE seq = ? AND state = 'processing' RETURNING `+q.settled, append(args, st.Seq)...).Scan(&out)
	if errors.Is(err, sql.ErrNoRows) {
		return "", q.notClaimed(ctx, tx, st.Seq)
	}
	return out, err
}

// updateClaimed applies set to row seq if it is processing and, when that
// changes nothing, tells a missing row (ErrNotFound) from one that is not
// claimed (ErrNotClaimed).
func (q leasedQueue) updateClaimed(ctx context.Context, tx writeTx, seq int64, set string, args ...any) error {
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
	return q.notClaimed(ctx, tx, seq)
}

// notClaimed tells why row seq could not be settled: it is missing
// (ErrNotFound) or not processing (ErrNotClaimed).
func (q leasedQueue) notClaimed(ctx context.Context, tx writeTx, seq int64) error {
	var state string
	err := tx.QueryRowContext(ctx, `SELECT state FROM `+q.table+` WHERE seq = ?`, seq).Scan(&state)
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
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
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
		err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
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
