package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/storetest"
)

// The audit log grows for ever: each filter must be served by an index, in
// the order asked for, never by a scan of the table or a sort of its rows.
func TestAuditLogQueriesUseIndexes(t *testing.T) {
	s := openTest(t)
	const repo, release, at = "command_audit_repo_at", "command_audit_release", "command_audit_at"
	for _, tc := range []struct {
		f     store.AuditFilter
		index string
	}{
		{store.AuditFilter{Repository: "acme/api"}, repo},
		{store.AuditFilter{Repository: "acme/api", Since: storetest.At(0)}, repo},
		{store.AuditFilter{Repository: "acme/api", ReleaseID: 3}, release},
		{store.AuditFilter{Repository: "acme/api", ReleaseID: 3, Since: storetest.At(0)}, release},
		{store.AuditFilter{Repository: "acme/api", ReleaseID: 3, Limit: 20}, release},
		{store.AuditFilter{Since: storetest.At(0)}, at},
		{store.AuditFilter{Since: storetest.At(0), Limit: 20}, at},
		{store.AuditFilter{Limit: 20}, at},
		{store.AuditFilter{}, at},
	} {
		f := tc.f
		q, args := auditQuery(f)
		rows, err := s.read.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		var plan strings.Builder
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(detail + "\n")
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		got := plan.String()
		if !strings.Contains(got, "USING INDEX "+tc.index) || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("plan of %+v:\n%swant index %s and no sort", f, got, tc.index)
		}
	}
}

// Two processes (or replicas) on one file redeem the same code: the database,
// not the writer goroutine of one process, makes exactly one win.
func TestRedeemFromTwoStoresOneWins(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wavegate.db")
	stores := []*Store{openAt(t, path), openAt(t, path)}
	for round := range 20 {
		hash := storetest.CodeHash(fmt.Sprintf("CODE-%d", round))
		if err := stores[0].AddLinkCode(ctx, hash, "T1", "U1", storetest.At(time.Hour)); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var winners []string
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				login := fmt.Sprintf("user%d", i)
				_, err := stores[i%2].RedeemLinkCode(ctx, hash, login, storetest.At(time.Minute))
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					t.Errorf("redeem by %s: %v", login, err)
					return
				}
				if err == nil {
					mu.Lock()
					winners = append(winners, login)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: winners %q, want exactly one", round, winners)
		}
		for _, s := range stores {
			if l, err := s.SlackLink(ctx, "T1", "U1"); err != nil || l.Login != winners[0] {
				t.Fatalf("round %d: link %+v, %v; want the winner %s", round, l, err, winners[0])
			}
		}
	}
}

func openReader(t *testing.T, path string) *AuditLogReader {
	t.Helper()
	r, err := OpenAuditLogReader(context.Background(), path)
	if err != nil {
		t.Fatalf("OpenAuditLogReader: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestAuditLogReaderBesideARunningStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wavegate.db")
	s := openAt(t, path)
	if _, err := s.RecordCommand(ctx, storetest.NewAuditEntry("r1", "acme/api", 1, storetest.At(0))); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, path)
	if got, err := r.AuditLog(ctx, store.AuditFilter{}); err != nil || len(got) != 1 || got[0].RequestID != "r1" {
		t.Fatalf("AuditLog = %+v, %v", got, err)
	}
	// What the server commits later is seen, through its WAL.
	if _, err := s.RecordCommand(ctx, storetest.NewAuditEntry("r2", "acme/api", 1, storetest.At(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if got, err := r.AuditLog(ctx, store.AuditFilter{Repository: "ACME/API", ReleaseID: 1}); err != nil || len(got) != 2 {
		t.Fatalf("AuditLog after a later record = %+v, %v", got, err)
	}
	if _, err := r.db.ExecContext(ctx, `DELETE FROM command_audit`); err == nil {
		t.Error("the reader's database accepted a write")
	}
	if _, err := r.AuditLog(ctx, store.AuditFilter{ReleaseID: 1}); err == nil {
		t.Error("a release filter without a repository: want an error")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := r.AuditLog(ctx, store.AuditFilter{}); err != nil || len(got) != 2 {
		t.Fatalf("AuditLog once the server stopped = %+v, %v", got, err)
	}
}

// On a stopped server's database the reader leaves the file as it was: no
// migration, no checkpoint, nothing.
func TestAuditLogReaderWritesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wavegate.db")
	s := openAt(t, path)
	if _, err := s.RecordCommand(ctx, storetest.NewAuditEntry("r1", "acme/api", 1, storetest.At(0))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := openReader(t, path)
	if got, err := r.AuditLog(ctx, store.AuditFilter{}); err != nil || len(got) != 1 {
		t.Fatalf("AuditLog = %+v, %v", got, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(before, after) {
		t.Errorf("the database file changed under a reader (%v)", err)
	}
}

func TestOpenAuditLogReaderErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if _, err := OpenAuditLogReader(ctx, missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("a missing file: %v; want it named and fs.ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the reader created %s", missing)
	}

	// A database of a Wavegate before commands: schema version 6.
	old := filepath.Join(dir, "old.db")
	db, err := Open(ctx, old, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.migrator.DownTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = OpenAuditLogReader(ctx, old)
	if err == nil || !strings.Contains(err.Error(), "schema version 6") || !strings.Contains(err.Error(), "wavegate serve") {
		t.Errorf("a database before the audit log: %v; want its schema version and what to do", err)
	}
}
