package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/wavegate/wavegate/store"
)

const deliveryColumns = `seq, delivery_id, event, action, installation_id, repository,
	received_at, state, attempts, next_attempt_at, last_error, processed_at, payload`

// listColumns are deliveryColumns with an empty payload, for reads that
// show rows and need not carry payloads of up to 25 MiB.
const listColumns = `seq, delivery_id, event, action, installation_id, repository,
	received_at, state, attempts, next_attempt_at, last_error, processed_at, x''`

// Claim takes up to limit due deliveries, at most one per repository and
// never ahead of an unfinished earlier delivery of the same repository, and
// leases them until now+lease. Each claim counts as an attempt.
func (s *Store) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Delivery, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("claim inbox rows: limit %d and lease %v must be positive", limit, lease)
	}
	var out []store.Delivery
	err := s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := inboxQueue.claim(ctx, tx, now, limit, lease)
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
	slices.SortFunc(out, func(a, b store.Delivery) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// Complete marks a processing delivery done at now.
func (s *Store) Complete(ctx context.Context, seq int64, now time.Time) error {
	err := s.finishDelivery(ctx, seq, func(ctx context.Context, tx *sql.Tx) error {
		return inboxQueue.complete(ctx, tx, seq, now, "")
	})
	if err != nil {
		return fmt.Errorf("complete delivery seq %d: %w", seq, err)
	}
	return nil
}

// Retry hands a processing delivery back as pending, due at next.
func (s *Store) Retry(ctx context.Context, seq int64, next time.Time, errMsg string) error {
	err := s.finishDelivery(ctx, seq, func(ctx context.Context, tx *sql.Tx) error {
		return inboxQueue.retry(ctx, tx, seq, next, errMsg)
	})
	if err != nil {
		return fmt.Errorf("retry delivery seq %d: %w", seq, err)
	}
	return nil
}

// Kill marks a processing delivery dead at now.
func (s *Store) Kill(ctx context.Context, seq int64, now time.Time, errMsg string) error {
	err := s.finishDelivery(ctx, seq, func(ctx context.Context, tx *sql.Tx) error {
		return inboxQueue.kill(ctx, tx, seq, now, errMsg)
	})
	if err != nil {
		return fmt.Errorf("kill delivery seq %d: %w", seq, err)
	}
	return nil
}

// finishDelivery runs finish (a leased-queue operation on row seq) and moves
// its repository's head on, in one transaction.
func (s *Store) finishDelivery(ctx context.Context, seq int64, finish func(context.Context, *sql.Tx) error) error {
	return s.inWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := finish(ctx, tx); err != nil {
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

// ReleaseAll hands every processing delivery back as pending, due at now.
// Their attempts stay counted: a delivery that crashes the process should
// not be retried forever.
func (s *Store) ReleaseAll(ctx context.Context, now time.Time) (int, error) {
	n, err := inboxQueue.release(ctx, s, now)
	if err != nil {
		return 0, fmt.Errorf("release processing deliveries: %w", err)
	}
	return n, nil
}

// NextDue returns when Claim could next return a delivery (see Inbox).
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
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
func (s *Store) Depth(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM inbox WHERE state IN ('pending', 'processing')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count unfinished deliveries: %w", err)
	}
	return n, nil
}

// Prune deletes done and dead deliveries processed before cutoff, a chunk per
// transaction so that a large backlog does not hold up Enqueue.
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := inboxQueue.prune(ctx, s, cutoff)
	if err != nil {
		return n, fmt.Errorf("prune deliveries processed before %s: %w", cutoff.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

// Delivery returns the delivery with the given X-GitHub-Delivery id.
func (s *Store) Delivery(ctx context.Context, id string) (store.Delivery, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+deliveryColumns+` FROM inbox WHERE delivery_id = ?`, id)
	if err != nil {
		return store.Delivery{}, fmt.Errorf("get delivery %q: %w", id, err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return store.Delivery{}, fmt.Errorf("get delivery %q: %w", id, err)
	}
	if len(ds) == 0 {
		return store.Delivery{}, fmt.Errorf("get delivery %q: %w", id, store.ErrNotFound)
	}
	return ds[0], nil
}

// ListDeliveries implements store.Inbox.
func (s *Store) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, error) {
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
func scanDeliveries(rows *sql.Rows) ([]store.Delivery, error) {
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		var (
			d                         store.Delivery
			state                     string
			received, next, processed sql.NullInt64
		)
		err := rows.Scan(&d.Seq, &d.ID, &d.Event, &d.Action, &d.InstallationID, &d.Repository,
			&received, &state, &d.Attempts, &next, &d.LastError, &processed, &d.Payload)
		if err != nil {
			return nil, err
		}
		d.State = store.DeliveryState(state)
		d.ReceivedAt = fromNullNanos(received)
		d.NextAttemptAt = fromNullNanos(next)
		d.ProcessedAt = fromNullNanos(processed)
		out = append(out, d)
	}
	return out, rows.Err()
}
