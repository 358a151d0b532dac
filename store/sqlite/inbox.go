package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/wavegate/wavegate/store"
)

// deliveryColumns are a delivery's row without its payload, which lives
// in inbox_payloads (migration 00008); payloadJoin adds it, as column p.payload.
const (
	deliveryColumns = `seq, delivery_id, event, action, installation_id, repository,
	received_at, state, attempts, next_attempt_at, last_error, processed_at`
	deliveryColumnsI = `i.seq, i.delivery_id, i.event, i.action, i.installation_id, i.repository,
	i.received_at, i.state, i.attempts, i.next_attempt_at, i.last_error, i.processed_at`
	payloadJoin = `inbox i JOIN inbox_payloads p ON p.seq = i.seq`
)

// Claim takes up to limit due deliveries, at most one per repository and
// never ahead of an unfinished earlier delivery of the same repository, and
// leases them until now+lease. Each claim counts as an attempt.
func (s *Store) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Delivery, error) {
	runs, err := s.ClaimRuns(ctx, now, limit, 1, lease)
	if err != nil {
		return nil, err
	}
	out := make([]store.Delivery, 0, len(runs))
	for _, run := range runs {
		out = append(out, run...)
	}
	return out, nil
}

// Complete marks a processing delivery done at now.
func (s *Store) Complete(ctx context.Context, seq int64, now time.Time) error {
	if err := s.settleOne(ctx, store.Settlement{Seq: seq, Settles: store.SettleDone, At: now}); err != nil {
		return fmt.Errorf("complete delivery seq %d: %w", seq, err)
	}
	return nil
}

// Retry hands a processing delivery back as pending, due at next.
func (s *Store) Retry(ctx context.Context, seq int64, next time.Time, errMsg string) error {
	if err := s.settleOne(ctx, store.Settlement{Seq: seq, Settles: store.SettleRetry, At: next, Error: errMsg}); err != nil {
		return fmt.Errorf("retry delivery seq %d: %w", seq, err)
	}
	return nil
}

// Kill marks a processing delivery dead at now.
func (s *Store) Kill(ctx context.Context, seq int64, now time.Time, errMsg string) error {
	if err := s.settleOne(ctx, store.Settlement{Seq: seq, Settles: store.SettleDead, At: now, Error: errMsg}); err != nil {
		return fmt.Errorf("kill delivery seq %d: %w", seq, err)
	}
	return nil
}

func (s *Store) settleOne(ctx context.Context, st store.Settlement) error {
	return s.inRelaxedTx(ctx, func(ctx context.Context, tx writeTx) error {
		return settleDeliveries(ctx, tx, []store.Settlement{st})
	})
}

// Settle implements store.InboxRuns.
func (s *Store) Settle(ctx context.Context, settlements []store.Settlement) error {
	if len(settlements) == 0 {
		return nil
	}
	err := s.inRelaxedTx(ctx, func(ctx context.Context, tx writeTx) error {
		return settleDeliveries(ctx, tx, settlements)
	})
	if err != nil {
		return fmt.Errorf("settle %d deliveries: %w", len(settlements), err)
	}
	return nil
}

// settleDeliveries applies settlements in order, then moves the head of
// each repository they touched on, once.
func settleDeliveries(ctx context.Context, tx writeTx, settlements []store.Settlement) error {
	var repos []string
	for _, st := range settlements {
		repo, err := inboxQueue.settle(ctx, tx, st, false)
		if err != nil {
			if len(settlements) > 1 {
				err = fmt.Errorf("seq %d: %w", st.Seq, err)
			}
			return err
		}
		if !slices.Contains(repos, repo) {
			repos = append(repos, repo)
		}
	}
	for _, repo := range repos {
		if err := advanceHead(ctx, tx, repo); err != nil {
			return err
		}
	}
	return nil
}

// advanceHead moves repo's head to its first unfinished row, or removes it
// when there is none. (+?: see statementCacheSize.)
func advanceHead(ctx context.Context, tx writeTx, repo string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM inbox_heads WHERE repository = ?`, repo); err != nil {
		return fmt.Errorf("advance head of %q: %w", repo, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_heads (repository, seq)
		SELECT repository, MIN(seq) FROM inbox
		WHERE repository = +? AND state IN ('pending', 'processing')
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
		`SELECT `+deliveryColumnsI+`, p.payload FROM `+payloadJoin+` WHERE i.delivery_id = ?`, id)
	if err != nil {
		return store.Delivery{}, fmt.Errorf("get delivery %q: %w", id, err)
	}
	ds, err := scanDeliveries(rows, true)
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
	rows, err := s.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM inbox
		WHERE ? = '' OR state = ?
		ORDER BY seq DESC
		LIMIT ?`, string(f.State), string(f.State), limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries (state %q): %w", f.State, err)
	}
	ds, err := scanDeliveries(rows, false)
	if err != nil {
		return nil, fmt.Errorf("list deliveries (state %q): %w", f.State, err)
	}
	return ds, nil
}

// scanDeliveries reads rows of deliveryColumns, and a payload after them
// when withPayload, and closes them.
func scanDeliveries(rows *sql.Rows, withPayload bool) ([]store.Delivery, error) {
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		var (
			d                         store.Delivery
			state                     string
			received, next, processed sql.NullInt64
		)
		dest := []any{&d.Seq, &d.ID, &d.Event, &d.Action, &d.InstallationID, &d.Repository,
			&received, &state, &d.Attempts, &next, &d.LastError, &processed}
		if withPayload {
			dest = append(dest, &d.Payload)
		}
		if err := rows.Scan(dest...); err != nil {
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
