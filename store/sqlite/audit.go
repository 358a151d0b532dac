package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/wavegate/wavegate/store"
)

var _ store.Audit = (*Store)(nil)

// RecordCommand stores e once per RequestID.
func (s *Store) RecordCommand(ctx context.Context, e store.AuditEntry) (bool, error) {
	if err := validAuditEntry(e); err != nil {
		return false, err
	}
	e.Line = redactLinkCode(e.Line)
	var added bool
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO command_audit
			(request_id, at, installation_id, repository, repo_key, pipeline, release_id, login, slack_user,
			 surface, source, line, verb, reason, decision, why)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (request_id) DO NOTHING`,
			e.RequestID, toNanos(e.At), e.InstallationID, e.Repository, repoKey(e.Repository), e.Pipeline, e.ReleaseID,
			e.Login, e.SlackUser, e.Surface, e.Source, e.Line, e.Verb, e.Reason, e.Decision, e.Why)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		added = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record command %q (request %s): %w", e.Line, e.RequestID, err)
	}
	return added, nil
}

// redactLinkCode keeps a link code out of the log, whoever records the line
// and however it was typed: "/deploy link CODE", or in Slack "link CODE"
// (maybe after an owner/repo). Only the verb's position is looked at, so a
// reason that says "link" is kept whole.
func redactLinkCode(line string) string {
	fields := strings.Fields(line)
	i := 0
	if i < len(fields) && strings.EqualFold(fields[i], "/deploy") {
		i++
	}
	if i < len(fields) && strings.Contains(fields[i], "/") {
		i++
	}
	if i+1 >= len(fields) || !strings.EqualFold(fields[i], "link") {
		return line
	}
	return strings.Join(fields[:i+1], " ") + " [redacted]"
}

func validAuditEntry(e store.AuditEntry) error {
	switch {
	case e.RequestID == "":
		return fmt.Errorf("record command %q: empty request id", e.Line)
	case e.At.IsZero():
		return fmt.Errorf("record command %q (request %s): zero time", e.Line, e.RequestID)
	}
	switch e.Surface {
	case store.SurfaceComment, store.SurfaceButton, store.SurfaceSlack, store.SurfaceWeb:
	default:
		return fmt.Errorf("record command %q (request %s): unknown surface %q", e.Line, e.RequestID, e.Surface)
	}
	switch e.Decision {
	case store.AuditAccepted, store.AuditRefused, store.AuditInvalid:
	default:
		return fmt.Errorf("record command %q (request %s): unknown decision %q", e.Line, e.RequestID, e.Decision)
	}
	return nil
}

// AuditLog returns the entries f selects, oldest first.
func (s *Store) AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	return auditLog(ctx, s.read, f)
}

// auditLog reads the audit log through db: the store's read connections or
// a read-only database (readonly.go).
func auditLog(ctx context.Context, db *sql.DB, f store.AuditFilter) ([]store.AuditEntry, error) {
	if f.ReleaseID != 0 && f.Repository == "" {
		return nil, fmt.Errorf("audit log of release %d: a release filter needs a repository (release ids are per repository)", f.ReleaseID)
	}
	q, args := auditQuery(f)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit log (%s): %w", describeFilter(f), err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &e.RequestID, &at, &e.InstallationID, &e.Repository, &e.Pipeline, &e.ReleaseID,
			&e.Login, &e.SlackUser, &e.Surface, &e.Source, &e.Line, &e.Verb, &e.Reason, &e.Decision, &e.Why); err != nil {
			return nil, fmt.Errorf("audit log (%s): %w", describeFilter(f), err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit log (%s): %w", describeFilter(f), err)
	}
	if f.Limit > 0 {
		slices.Reverse(out)
	}
	return out, nil
}

func describeFilter(f store.AuditFilter) string {
	var parts []string
	if f.Repository != "" {
		parts = append(parts, "repository "+f.Repository)
	}
	if f.ReleaseID != 0 {
		parts = append(parts, fmt.Sprintf("release %d", f.ReleaseID))
	}
	if !f.Since.IsZero() {
		parts = append(parts, "since "+f.Since.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if f.Limit > 0 {
		parts = append(parts, fmt.Sprintf("limit %d", f.Limit))
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, ", ")
}

// auditQuery is the query of f; the indexes of migration 00007 serve each
// filter (TestAuditLogQueriesUseIndexes).
func auditQuery(f store.AuditFilter) (string, []any) {
	var where []string
	var args []any
	if f.Repository != "" {
		where, args = append(where, "repo_key = ?"), append(args, repoKey(f.Repository))
	}
	if f.ReleaseID != 0 {
		where, args = append(where, "release_id = ?"), append(args, f.ReleaseID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, toNanos(f.Since))
	}
	q := `SELECT seq, request_id, at, installation_id, repository, pipeline, release_id, login, slack_user,
		surface, source, line, verb, reason, decision, why FROM command_audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit > 0 {
		// The most recent Limit entries, then turned oldest first below.
		q += " ORDER BY at DESC, seq DESC LIMIT ?"
		args = append(args, f.Limit)
	} else {
		q += " ORDER BY at, seq"
	}
	return q, args
}
