package sqlite

import (
	"cmp"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/wavegate/wavegate/store"
)

// ClaimRuns implements store.InboxRuns. The claim is one write job: the due
// heads, then per head one read of what follows it and one UPDATE of the
// run. Payloads are read after the claim commits, from the read pool: a
// payload never changes, and reading 20 KB per delivery inside the one
// writer's transaction would hold up intake.
func (s *Store) ClaimRuns(ctx context.Context, now time.Time, runs, runLen int, lease time.Duration) ([][]store.Delivery, error) {
	if runs <= 0 || runLen <= 0 || lease <= 0 {
		return nil, fmt.Errorf("claim inbox runs: runs %d, run length %d and lease %v must be positive", runs, runLen, lease)
	}
	out, err := s.settleAndClaim(ctx, nil, now, runs, runLen, lease)
	if err != nil {
		return nil, fmt.Errorf("claim inbox runs: %w", err)
	}
	return out, nil
}

// SettleAndClaim implements store.InboxRuns.
func (s *Store) SettleAndClaim(ctx context.Context, settlements []store.Settlement, now time.Time, runLen int, lease time.Duration) ([]store.Delivery, error) {
	if runLen <= 0 || lease <= 0 {
		return nil, fmt.Errorf("settle %d deliveries and claim a run: run length %d and lease %v must be positive", len(settlements), runLen, lease)
	}
	runs, err := s.settleAndClaim(ctx, settlements, now, 1, runLen, lease)
	if err != nil {
		return nil, fmt.Errorf("settle %d deliveries and claim a run: %w", len(settlements), err)
	}
	if len(runs) == 0 {
		return nil, nil
	}
	return runs[0], nil
}

// settleAndClaim settles, then claims runs, in one write job, committed
// without fsync when alone (writer.go): losing it to a power failure only
// means the deliveries are worked again.
func (s *Store) settleAndClaim(ctx context.Context, settlements []store.Settlement, now time.Time, runs, runLen int, lease time.Duration) ([][]store.Delivery, error) {
	var out [][]store.Delivery
	err := s.inRelaxedTx(ctx, func(ctx context.Context, tx writeTx) error {
		if len(settlements) > 0 {
			if err := settleDeliveries(ctx, tx, settlements); err != nil {
				return err
			}
		}
		heads, err := dueHeads(ctx, tx, now, runs)
		if err != nil {
			return err
		}
		out = make([][]store.Delivery, 0, len(heads))
		for _, h := range heads {
			run, err := claimRun(ctx, tx, h, now, runLen, lease)
			if err != nil {
				return err
			}
			if len(run) > 0 {
				out = append(out, run)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Past the commit, what is claimed is handed back when its lease
	// expires should reading its payloads fail.
	if err := s.readPayloads(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

type head struct {
	repository string
	seq        int64
}

// dueHeads returns up to limit repositories whose first unfinished delivery
// is claimable at now, in the order of those deliveries.
func dueHeads(ctx context.Context, tx writeTx, now time.Time, limit int) ([]head, error) {
	n := toNanos(now)
	rows, err := tx.QueryContext(ctx, dueHeadsQuery, n, n, limit)
	if err != nil {
		return nil, fmt.Errorf("find due heads: %w", err)
	}
	defer rows.Close()
	var heads []head
	for rows.Next() {
		var h head
		if err := rows.Scan(&h.repository, &h.seq); err != nil {
			return nil, fmt.Errorf("find due heads: %w", err)
		}
		heads = append(heads, h)
	}
	return heads, rows.Err()
}

// dueHeadsQuery walks the heads, never the inbox: its cost follows the
// repositories with work, not the backlog. Arguments: now, now, limit
// (+?: see statementCacheSize).
const dueHeadsQuery = `SELECT h.repository, h.seq FROM inbox_heads h JOIN inbox i ON i.seq = h.seq
WHERE (i.state = 'pending' AND i.next_attempt_at <= ?)
   OR (i.state = 'processing' AND i.lease_until <= ?)
ORDER BY h.seq
LIMIT +?`

// claimRunQuery reads a repository's unfinished rows from a head on, each
// with whether it is due. Arguments: now, now, repository, head seq, limit
// (+?: see statementCacheSize).
const claimRunQuery = `SELECT seq,
	(state = 'pending' AND next_attempt_at <= ?) OR (state = 'processing' AND lease_until <= ?)
FROM inbox WHERE repository = +? AND seq >= ? AND state IN ('pending', 'processing')
ORDER BY seq LIMIT +?`

// claimRunUpdate claims a repository's unfinished rows in a seq range.
// Arguments: lease end, repository, first seq, last seq.
const claimRunUpdate = `UPDATE inbox
SET state = 'processing', attempts = attempts + 1, lease_until = ?
WHERE repository = ? AND seq BETWEEN ? AND ? AND state IN ('pending', 'processing')
RETURNING ` + deliveryColumns

// claimRun claims the run starting at h: its unfinished deliveries from
// h.seq on, up to runLen, as long as each is due.
func claimRun(ctx context.Context, tx writeTx, h head, now time.Time, runLen int, lease time.Duration) ([]store.Delivery, error) {
	n := toNanos(now)
	rows, err := tx.QueryContext(ctx, claimRunQuery, n, n, h.repository, h.seq, runLen)
	if err != nil {
		return nil, fmt.Errorf("read run of %q: %w", h.repository, err)
	}
	last, count := int64(0), 0
	for rows.Next() {
		var seq int64
		var due bool
		if err := rows.Scan(&seq, &due); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read run of %q: %w", h.repository, err)
		}
		if !due {
			break
		}
		last, count = seq, count+1
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("read run of %q: %w", h.repository, err)
	}
	if count == 0 {
		return nil, nil
	}
	// The run is every unfinished row of the repository in [h.seq, last]:
	// one range, one statement.
	rows, err = tx.QueryContext(ctx, claimRunUpdate, toNanos(now.Add(lease)), h.repository, h.seq, last)
	if err != nil {
		return nil, fmt.Errorf("claim run of %q: %w", h.repository, err)
	}
	run, err := scanDeliveries(rows, false)
	if err != nil {
		return nil, fmt.Errorf("claim run of %q: %w", h.repository, err)
	}
	if len(run) != count {
		return nil, fmt.Errorf("claim run of %q: %d rows claimed, want %d", h.repository, len(run), count)
	}
	// RETURNING gives no order.
	slices.SortFunc(run, func(a, b store.Delivery) int { return cmp.Compare(a.Seq, b.Seq) })
	return run, nil
}

// readPayloads fills in the payloads of claimed runs. It reads through the
// driver rather than database/sql, whose Scan into a []byte copies again
// what the driver has just copied out of SQLite: 20 KB per delivery.
func (s *Store) readPayloads(ctx context.Context, runs [][]store.Delivery) error {
	if len(runs) == 0 {
		return nil
	}
	conn, err := s.read.Conn(ctx)
	if err != nil {
		return fmt.Errorf("read payloads: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return fmt.Errorf("driver connection is a %T", dc)
		}
		stmt, err := c.PrepareContext(ctx, `SELECT payload FROM inbox_payloads WHERE seq = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		query := stmt.(driver.StmtQueryContext)
		args := []driver.NamedValue{{Ordinal: 1}}
		dest := make([]driver.Value, 1)
		for _, run := range runs {
			for i := range run {
				args[0].Value = run[i].Seq
				if run[i].Payload, err = readPayload(ctx, query, args, dest); err != nil {
					return fmt.Errorf("seq %d: %w", run[i].Seq, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read payloads: %w", err)
	}
	return nil
}

func readPayload(ctx context.Context, stmt driver.StmtQueryContext, args []driver.NamedValue, dest []driver.Value) ([]byte, error) {
	rows, err := stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	err = rows.Next(dest)
	if errors.Is(err, io.EOF) {
		err = store.ErrNotFound
	}
	if err = errors.Join(err, rows.Close()); err != nil {
		return nil, err
	}
	// The driver hands over a slice of its own for a blob.
	p, ok := dest[0].([]byte)
	if !ok {
		return nil, fmt.Errorf("payload is a %T", dest[0])
	}
	return p, nil
}
