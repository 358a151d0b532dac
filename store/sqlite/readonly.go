package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wavegate/wavegate/store"
)

var _ store.AuditLogReader = (*AuditLogReader)(nil)

// AuditLogReader reads the audit log of an existing database, which it opens
// read-only: no migration, no write, so an operator can look while a server
// runs on the same file (WAL lets readers run beside it) or while it is
// stopped, without changing what it will find.
type AuditLogReader struct {
	path string
	db   *sql.DB
}

// OpenAuditLogReader opens the database at path, which must exist and hold
// the audit log (a database no Wavegate with commands has opened yet does
// not: the error says so and how to fix it).
func OpenAuditLogReader(ctx context.Context, path string) (*AuditLogReader, error) {
	r, err := openAuditLogReader(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %q read-only: %w", path, err)
	}
	return r, nil
}

func openAuditLogReader(ctx context.Context, path string) (_ *AuditLogReader, err error) {
	if path == "" {
		return nil, errors.New("empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, errors.New("path must not contain '?' or '#'")
	}
	// Stat first: SQLite would report a missing file as "unable to open".
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	params := url.Values{
		"mode":          {"ro"},
		"_query_only":   {"on"},
		"_busy_timeout": {strconv.FormatInt((5 * time.Second).Milliseconds(), 10)},
	}
	// A "file:" URI is what lets SQLite see mode=ro; '%' is its only special
	// character left in the path.
	dsn := "file:" + strings.ReplaceAll(path, "%", "%25") + "?" + params.Encode()
	db := sql.OpenDB(connector{dsn: dsn})
	defer func() {
		if err != nil {
			_ = db.Close()
		}
	}()
	db.SetMaxOpenConns(1)
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'command_audit'`).Scan(&tables); err != nil {
		return nil, err
	}
	if tables == 0 {
		return nil, fmt.Errorf("no audit log in it yet (%s): the Wavegate that wrote it predates commands; "+
			"this version's wavegate serve adds the audit log when it starts", schemaOf(ctx, db))
	}
	return &AuditLogReader{path: path, db: db}, nil
}

// schemaOf describes the database's migration version, for error messages.
func schemaOf(ctx context.Context, db *sql.DB) string {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v); err != nil || !v.Valid {
		return "not a Wavegate database, or an empty one"
	}
	return "schema version " + strconv.FormatInt(v.Int64, 10)
}

// AuditLog returns the entries f selects, oldest first.
func (r *AuditLogReader) AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	es, err := auditLog(ctx, r.db, f)
	if err != nil {
		return nil, fmt.Errorf("sqlite database %q: %w", r.path, err)
	}
	return es, nil
}

// Close closes the database.
func (r *AuditLogReader) Close() error {
	if err := r.db.Close(); err != nil {
		return fmt.Errorf("close sqlite database %q: %w", r.path, err)
	}
	return nil
}
