package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/wavegate/wavegate/store/storetest"
)

// Prune works through more rows than one chunk.
func TestPruneManyChunks(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	const n = 2*pruneChunk + 17
	for i := range n {
		if _, err := s.Enqueue(ctx, storetest.NewDelivery(fmt.Sprint("d", i), fmt.Sprint("o/", i), storetest.At(0))); err != nil {
			t.Fatal(err)
		}
	}
	// Finishing each through Claim and Complete would cost a commit each.
	if err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE inbox SET state = 'done', processed_at = ?`, toNanos(storetest.At(0))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM inbox_heads`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	storetest.MustEnqueue(t, s, storetest.NewDelivery("unfinished", "o/a", storetest.At(0)))
	got, err := s.Prune(ctx, storetest.At(time.Second))
	if err != nil || got != n {
		t.Fatalf("Prune = %d, %v; want %d", got, err, n)
	}
	if d, _ := s.Depth(ctx); d != 1 {
		t.Errorf("Depth after Prune = %d, want 1", d)
	}
}

// Migration 00008 moves stored payloads out of the inbox rows, keeping
// every one: a backlog waiting across the upgrade is processed as it came.
func TestPayloadsMoveOutOfTheInboxRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wavegate.db")
	db, err := sql.Open("sqlite3", path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO inbox
		(delivery_id, event, repository, received_at, next_attempt_at, payload)
		VALUES ('old', 'push', 'o/a', 0, 0, x'7b7d');
		INSERT INTO inbox_heads (repository, seq) VALUES ('o/a', last_insert_rowid())`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openAt(t, path)
	got, err := s.Delivery(ctx, "old")
	if err != nil || string(got.Payload) != "{}" {
		t.Fatalf("Delivery(old) after the migration = %+v, %v; want its payload {}", got, err)
	}
	runs, err := s.ClaimRuns(ctx, storetest.At(0), 1, 8, time.Minute)
	if err != nil || len(runs) != 1 || string(runs[0][0].Payload) != "{}" {
		t.Fatalf("ClaimRuns after the migration = %+v, %v", runs, err)
	}
}
