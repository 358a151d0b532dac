package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const insertDelivery = `INSERT INTO inbox
	(delivery_id, event, action, installation_id, repository, received_at,
	 state, attempts, next_attempt_at, last_error, payload)
VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, '', ?)
ON CONFLICT (delivery_id) DO NOTHING`

// Enqueue stores d durably as pending, due at d.ReceivedAt, and returns once
// the transaction holding it is committed; concurrent calls share a commit
// (writer.go). A caller whose ctx ends before its delivery is taken into a
// batch gets ctx's error and nothing is stored; once taken, Enqueue waits
// for the commit (milliseconds) and reports it. A duplicate is told by the
// insert changing no row, also when the first of the pair is in the same
// batch.
func (s *SQLite) Enqueue(ctx context.Context, d Delivery) (bool, error) {
	switch {
	case d.ID == "":
		return false, errors.New("enqueue delivery: empty delivery id")
	case d.ReceivedAt.IsZero():
		return false, fmt.Errorf("enqueue delivery %q: zero received time", d.ID)
	}
	payload := d.Payload
	if payload == nil {
		payload = []byte{}
	}
	var duplicate bool
	// The row, its index entries and WAL frame headers: about 1 KiB beyond
	// the payload.
	err := s.submit(ctx, int64(len(payload))+1<<10, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insertDelivery, d.ID, d.Event, d.Action, d.InstallationID,
			d.Repository, toNanos(d.ReceivedAt), toNanos(d.ReceivedAt), payload)
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		duplicate = n == 0
		if duplicate {
			return nil
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		// The repository's first unfinished delivery stays its head.
		if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_heads (repository, seq) VALUES (?, ?)
			ON CONFLICT (repository) DO NOTHING`, d.Repository, seq); err != nil {
			return fmt.Errorf("record repository head: %w", err)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("enqueue delivery %q: %w", d.ID, err)
	}
	return duplicate, nil
}
