package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store/storetest"
)

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func openTest(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "wavegate.db"))
}

func TestMigrationsAppliedOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wavegate.db")
	versionRows := func(s *Store) int {
		var n int
		if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM goose_db_version`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	s := openAt(t, path)
	applied, latest, err := s.SchemaVersion(ctx)
	if err != nil || applied != latest || latest < 1 {
		t.Fatalf("SchemaVersion after first open = %d, %d, %v; want applied == latest >= 1", applied, latest, err)
	}
	rows := versionRows(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path)
	applied2, latest2, err := s.SchemaVersion(ctx)
	if err != nil || applied2 != applied || latest2 != latest {
		t.Fatalf("SchemaVersion after reopen = %d, %d, %v; want %d, %d", applied2, latest2, err, applied, latest)
	}
	if got := versionRows(s); got != rows {
		t.Errorf("goose_db_version has %d rows after reopen, %d before: migrations ran again", got, rows)
	}
}

func TestOpenSetsPragmas(t *testing.T) {
	s := openTest(t)
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
	} {
		var got string
		if err := s.inWriteTx(context.Background(), func(ctx context.Context, tx writeTx) error {
			return tx.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got)
		}); err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
}

func TestOpenCreatesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "wavegate.db")
	openAt(t, path)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
}

func TestOpenErrorNamesPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	notSQLite := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(notSQLite, []byte(strings.Repeat("not a database ", 512)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
	}{
		{"directory", dir},
		{"under a file", filepath.Join(file, "wavegate.db")},
		{"not a database", notSQLite},
		{"question mark", filepath.Join(dir, "a?b.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), tc.path, Options{})
			if err == nil {
				_ = s.Close()
				t.Fatalf("Open(%s) succeeded", tc.path)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name the path %s", err, tc.path)
			}
		})
	}
}

func TestDurableAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wavegate.db")
	s := openAt(t, path)
	want := storetest.NewDelivery("d1", "o/r", storetest.At(0))
	want.Payload = []byte("payload that must survive")
	storetest.MustEnqueue(t, s, want)
	claimed, err := s.Claim(ctx, storetest.At(0), 10, time.Hour)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("Claim = %v, %v", claimed, err)
	}
	if err := s.Close(); err != nil { // a crash: processing, never completed
		t.Fatal(err)
	}

	s = openAt(t, path)
	if got, err := s.Claim(ctx, storetest.At(time.Minute), 10, time.Hour); err != nil || len(got) != 0 {
		t.Fatalf("Claim before ReleaseAll = %v, %v; want nothing (lease still live)", got, err)
	}
	n, err := s.ReleaseAll(ctx, storetest.At(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("ReleaseAll = %d, %v; want 1", n, err)
	}
	got, err := s.Claim(ctx, storetest.At(time.Minute), 10, time.Hour)
	if err != nil || len(got) != 1 {
		t.Fatalf("Claim after reopen = %v, %v", got, err)
	}
	if got[0].ID != "d1" || string(got[0].Payload) != string(want.Payload) || got[0].Attempts != 2 {
		t.Errorf("reclaimed %s payload %q attempts %d; want d1, %q, 2", got[0].ID, got[0].Payload, got[0].Attempts, want.Payload)
	}
}

func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "wavegate.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.MustEnqueue(t, s, storetest.NewDelivery("d1", "o/r", storetest.At(0)))
	for _, p := range []string{path, path + "-wal"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: others can read deliveries", p, st.Mode().Perm())
		}
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v (%v), want 0700", st.Mode().Perm(), err)
	}
}
