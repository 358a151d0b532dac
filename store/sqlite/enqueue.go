package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wavegate/wavegate/store"
)

const insertDelivery = `INSERT INTO inbox
	(delivery_id, event, action, installation_id, repository, received_at,
	 state, attempts, next_attempt_at, last_error)
VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, '')
ON CONFLICT (delivery_id) DO NOTHING`

// insertPayload stores a new row's payload beside it (migration 00008).
const insertPayload = `INSERT INTO inbox_payloads (seq, payload) VALUES (?, ?)`

// reinsertDelivery stores a dead delivery again (requeue), keeping its last
// error.
const reinsertDelivery = `INSERT INTO inbox
	(delivery_id, event, action, installation_id, repository, received_at,
	 state, attempts, next_attempt_at, last_error)
VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`

// Enqueue stores d durably as pending, due at d.ReceivedAt, and returns once
// the transaction holding it is committed; concurrent calls share a commit
// (writer.go). A caller whose ctx ends before its delivery is taken into a
// batch gets ctx's error and nothing is stored; once taken, Enqueue waits
// for the commit (milliseconds) and reports it. A duplicate is told by the
// insert changing no row, also when the first of the pair is in the same
// batch.
//
// GitHub's Redeliver reuses the delivery id, so a duplicate of a dead
// delivery is how a person asks for it to be processed again: it replaces
// the dead row (payload and all, since it was verified like any other) by a
// pending one with no attempts, keeping the dead row's last error.
func (s *Store) Enqueue(ctx context.Context, d store.Delivery) (store.Enqueued, error) {
	return s.enqueue(ctx, d, time.Time{})
}

// EnqueueClaim implements store.Inbox.
func (s *Store) EnqueueClaim(ctx context.Context, d store.Delivery, leaseUntil time.Time) (store.Enqueued, error) {
	if leaseUntil.IsZero() {
		return store.Enqueued{}, fmt.Errorf("enqueue and claim delivery %q: zero lease end", d.ID)
	}
	return s.enqueue(ctx, d, leaseUntil)
}

// enqueue stores d and, unless leaseUntil is zero, claims it when it is
// its repository's head.
func (s *Store) enqueue(ctx context.Context, d store.Delivery, leaseUntil time.Time) (store.Enqueued, error) {
	switch {
	case d.ID == "":
		return store.Enqueued{}, errors.New("enqueue delivery: empty delivery id")
	case d.ReceivedAt.IsZero():
		return store.Enqueued{}, fmt.Errorf("enqueue delivery %q: zero received time", d.ID)
	}
	if d.Payload == nil {
		d.Payload = []byte{}
	}
	var out store.Enqueued
	// The row, its index entries and WAL frame headers: about 1 KiB beyond
	// the payload.
	err := s.submitArrival(ctx, int64(len(d.Payload))+1<<10, func(ctx context.Context, tx writeTx) error {
		res, err := tx.ExecContext(ctx, insertDelivery, d.ID, d.Event, d.Action, d.InstallationID,
			d.Repository, toNanos(d.ReceivedAt), toNanos(d.ReceivedAt))
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if n == 1 {
			seq, err := res.LastInsertId()
			if err != nil {
				return fmt.Errorf("insert: %w", err)
			}
			if _, err := tx.ExecContext(ctx, insertPayload, seq, d.Payload); err != nil {
				return fmt.Errorf("insert payload: %w", err)
			}
			return placeArrival(ctx, tx, &out, d, seq, leaseUntil)
		}
		prev, err := storedDelivery(ctx, tx, d.ID, false)
		if err != nil {
			return err
		}
		if prev.State != store.DeliveryDead {
			out.Duplicate = true
			return nil
		}
		seq, err := requeue(ctx, tx, prev, d, d.ReceivedAt)
		if err != nil {
			return err
		}
		out.Redelivered, out.Previous = true, prev
		return placeArrival(ctx, tx, &out, d, seq, leaseUntil)
	})
	if err != nil {
		return store.Enqueued{}, fmt.Errorf("enqueue delivery %q: %w", d.ID, err)
	}
	return out, nil
}

// RetryDead implements store.Inbox.
func (s *Store) RetryDead(ctx context.Context, id string, now time.Time) (store.Delivery, error) {
	var prev store.Delivery
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		d, err := storedDelivery(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if d.State != store.DeliveryDead {
			return fmt.Errorf("state is %s: %w", d.State, store.ErrNotDead)
		}
		prev = d
		prev.Payload = nil
		seq, err := requeue(ctx, tx, prev, d, now)
		if err != nil {
			return err
		}
		_, err = recordHead(ctx, tx, d.Repository, seq)
		return err
	})
	if err != nil {
		return store.Delivery{}, fmt.Errorf("retry dead delivery %q: %w", id, err)
	}
	return prev, nil
}

// requeue replaces dead row prev by a pending row holding d, due at due.
//
// The new row takes a new seq, the end of the queue, as a delivery arriving
// now would: keeping the old seq would put it behind its repository's head
// (rows that arrived after it and may be processing) while being earlier
// than it, breaking the rule that a head is its repository's first
// unfinished row, and so either it would never be claimed or it would run
// beside the head. Rows that arrived after it were processed without it
// anyway; a redelivery is a new arrival.
func requeue(ctx context.Context, tx writeTx, prev, d store.Delivery, due time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM inbox WHERE seq = ? AND state = 'dead'`, prev.Seq)
	if err != nil {
		return 0, fmt.Errorf("remove dead row: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("remove dead row: %w", err)
	} else if n != 1 {
		// Read dead in this same transaction: only a bug gets here.
		return 0, fmt.Errorf("remove dead row seq %d: %d rows removed, want 1", prev.Seq, n)
	}
	res, err = tx.ExecContext(ctx, reinsertDelivery, d.ID, d.Event, d.Action, d.InstallationID, d.Repository,
		toNanos(d.ReceivedAt), toNanos(due), prev.LastError)
	if err != nil {
		return 0, fmt.Errorf("insert again: %w", err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("insert again: %w", err)
	}
	// The dead row's payload went with it (ON DELETE CASCADE).
	if _, err := tx.ExecContext(ctx, insertPayload, seq, d.Payload); err != nil {
		return 0, fmt.Errorf("insert payload again: %w", err)
	}
	return seq, nil
}

// recordHead makes seq its repository's head unless the repository has one:
// an earlier unfinished row, which stays first. It reports whether seq is
// the head.
func recordHead(ctx context.Context, tx writeTx, repository string, seq int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO inbox_heads (repository, seq) VALUES (?, ?)
		ON CONFLICT (repository) DO NOTHING`, repository, seq)
	if err != nil {
		return false, fmt.Errorf("record repository head: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record repository head: %w", err)
	}
	return n == 1, nil
}

// placeArrival makes the new row seq, holding d, its repository's head
// when it is the first unfinished one, and then claims it unless
// leaseUntil is zero.
func placeArrival(ctx context.Context, tx writeTx, out *store.Enqueued, d store.Delivery, seq int64, leaseUntil time.Time) error {
	head, err := recordHead(ctx, tx, d.Repository, seq)
	if err != nil || !head {
		return err
	}
	out.Head = true
	if leaseUntil.IsZero() {
		return nil
	}
	// A run of one, claimed as ClaimRuns claims a run.
	rows, err := tx.QueryContext(ctx, claimRunUpdate, toNanos(leaseUntil), d.Repository, seq, seq)
	if err != nil {
		return fmt.Errorf("claim on arrival: %w", err)
	}
	claimed, err := scanDeliveries(rows, false)
	if err != nil {
		return fmt.Errorf("claim on arrival: %w", err)
	}
	if len(claimed) != 1 {
		return fmt.Errorf("claim on arrival: %d rows claimed, want 1", len(claimed))
	}
	out.Claimed, out.Delivery = true, claimed[0]
	out.Delivery.Payload = d.Payload
	return nil
}

// storedDelivery reads one delivery by id inside tx, with its payload only
// when withPayload.
func storedDelivery(ctx context.Context, tx writeTx, id string, withPayload bool) (store.Delivery, error) {
	query := `SELECT ` + deliveryColumns + ` FROM inbox WHERE delivery_id = ?`
	if withPayload {
		query = `SELECT ` + deliveryColumnsI + `, p.payload FROM ` + payloadJoin + ` WHERE i.delivery_id = ?`
	}
	rows, err := tx.QueryContext(ctx, query, id)
	if err != nil {
		return store.Delivery{}, fmt.Errorf("read stored delivery: %w", err)
	}
	ds, err := scanDeliveries(rows, withPayload)
	if err != nil {
		return store.Delivery{}, fmt.Errorf("read stored delivery: %w", err)
	}
	if len(ds) == 0 {
		return store.Delivery{}, store.ErrNotFound
	}
	return ds[0], nil
}
