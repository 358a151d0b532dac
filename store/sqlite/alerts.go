package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wavegate/wavegate/store"
)

var _ store.Alerts = (*Store)(nil)

// UpsertAlerts stores the alerts, leaving out those older than the stored.
func (s *Store) UpsertAlerts(ctx context.Context, alerts []store.Alert) ([]store.Alert, error) {
	type row struct {
		a                   store.Alert
		labels, annotations []byte
	}
	rows := make([]row, 0, len(alerts))
	for _, a := range alerts {
		if err := validAlert(a); err != nil {
			return nil, err
		}
		l, err := json.Marshal(nonNil(a.Labels))
		if err != nil {
			return nil, fmt.Errorf("upsert alert %s: encode labels: %w", a.Fingerprint, err)
		}
		an, err := json.Marshal(nonNil(a.Annotations))
		if err != nil {
			return nil, fmt.Errorf("upsert alert %s: encode annotations: %w", a.Fingerprint, err)
		}
		rows = append(rows, row{a, l, an})
	}
	if len(rows) == 0 {
		return nil, nil
	}
	var stored []store.Alert
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		stored = stored[:0] // fn may run again if its batch is retried
		for _, r := range rows {
			a := r.a
			// The WHERE of the upsert keeps the newer news: an equal
			// received_at (two groups of one notification) is taken, as
			// both say the same.
			res, err := tx.ExecContext(ctx, `INSERT INTO alerts
				(fingerprint, status, labels, annotations, starts_at, ends_at, generator_url, received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (fingerprint) DO UPDATE SET
					status = excluded.status, labels = excluded.labels, annotations = excluded.annotations,
					starts_at = excluded.starts_at, ends_at = excluded.ends_at,
					generator_url = excluded.generator_url, received_at = excluded.received_at
				WHERE excluded.received_at >= alerts.received_at`,
				a.Fingerprint, string(a.Status), r.labels, r.annotations, toNullNanos(a.StartsAt), toNullNanos(a.EndsAt),
				a.GeneratorURL, toNanos(a.ReceivedAt))
			if err != nil {
				return fmt.Errorf("alert %s: %w", a.Fingerprint, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				stored = append(stored, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("upsert %d alerts: %w", len(rows), err)
	}
	return stored, nil
}

func validAlert(a store.Alert) error {
	switch {
	case a.Fingerprint == "":
		return errors.New("upsert alert: empty fingerprint")
	case a.Status != store.AlertFiring && a.Status != store.AlertResolved:
		return fmt.Errorf("upsert alert %s: status %q is neither firing nor resolved", a.Fingerprint, a.Status)
	case a.ReceivedAt.IsZero():
		return fmt.Errorf("upsert alert %s: no received-at time", a.Fingerprint)
	}
	return nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// FiringAlerts returns the firing alerts by fingerprint.
func (s *Store) FiringAlerts(ctx context.Context) ([]store.Alert, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT fingerprint, status, labels, annotations, starts_at, ends_at,
		generator_url, received_at FROM alerts WHERE status = 'firing' ORDER BY fingerprint`)
	if err != nil {
		return nil, fmt.Errorf("firing alerts: %w", err)
	}
	defer rows.Close()
	var out []store.Alert
	for rows.Next() {
		var a store.Alert
		var status string
		var labels, annotations []byte
		var starts, ends sql.NullInt64
		var received int64
		if err := rows.Scan(&a.Fingerprint, &status, &labels, &annotations, &starts, &ends, &a.GeneratorURL, &received); err != nil {
			return nil, fmt.Errorf("firing alerts: %w", err)
		}
		if err := json.Unmarshal(labels, &a.Labels); err != nil {
			return nil, fmt.Errorf("firing alert %s: labels: %w", a.Fingerprint, err)
		}
		if err := json.Unmarshal(annotations, &a.Annotations); err != nil {
			return nil, fmt.Errorf("firing alert %s: annotations: %w", a.Fingerprint, err)
		}
		a.Status, a.StartsAt, a.EndsAt, a.ReceivedAt = store.AlertStatus(status), fromNullNanos(starts), fromNullNanos(ends), fromNanos(received)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("firing alerts: %w", err)
	}
	return out, nil
}

// PruneAlerts deletes resolved and long-stale alerts.
func (s *Store) PruneAlerts(ctx context.Context, resolvedBefore, firingBefore time.Time) (int, error) {
	var n int64
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM alerts
			WHERE (status = 'resolved' AND received_at < ?) OR (status = 'firing' AND received_at < ?)`,
			toNanos(resolvedBefore), toNanos(firingBefore))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune alerts resolved before %s or firing and unrefreshed since %s: %w",
			resolvedBefore.Format(time.RFC3339), firingBefore.Format(time.RFC3339), err)
	}
	return int(n), nil
}
