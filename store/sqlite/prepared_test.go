package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/wavegate/wavegate/store"
)

// TestQueueStatementsStayPrepared: what the inbox and the outbox run for
// each item is prepared once on the write connection and then reused from
// its statement cache, never prepared again at each use (see
// statementCacheSize). SQLite consults the authorizer only while it prepares
// a statement, so after a warm-up it must hear nothing but the transaction
// statements, which go-sqlite3 never caches and which touch no table.
func TestQueueStatementsStayPrepared(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "wavegate.db"), Options{RelaxedLinger: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	var (
		mu       sync.Mutex
		prepared []string
	)
	authorize := func(op int, arg1, arg2, _ string) int {
		switch op {
		case sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT, sqlite3.SQLITE_PRAGMA:
		default:
			mu.Lock()
			prepared = append(prepared, fmt.Sprintf("op %d on %s.%s", op, arg1, arg2))
			mu.Unlock()
		}
		return sqlite3.SQLITE_OK
	}
	setAuthorizer := func(fn func(int, string, string, string) int) {
		t.Helper()
		err := s.writeConn.Raw(func(dc any) error {
			dc.(*sqlite3.SQLiteConn).RegisterAuthorizer(fn)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	setAuthorizer(authorize)
	t.Cleanup(func() { setAuthorizer(nil) })

	now := time.Unix(1_800_000_000, 0)
	const lease = time.Minute
	item := 0
	// One item's life through every queue path a worker takes: claimed on
	// arrival and settled, claiming the next; claimed in a run behind
	// another; an effect added, claimed and settled.
	oneOfEach := func() {
		t.Helper()
		item++
		repo := fmt.Sprintf("acme/svc-%d", item%3)
		first, err := s.EnqueueClaim(ctx, testDelivery(item, repo, now), now.Add(lease))
		if err != nil || !first.Claimed {
			t.Fatalf("enqueue and claim %d: %+v, %v", item, first, err)
		}
		if _, err := s.Enqueue(ctx, testDelivery(-item, repo, now)); err != nil {
			t.Fatal(err)
		}
		next, err := s.SettleAndClaim(ctx, []store.Settlement{{Seq: first.Delivery.Seq, Settles: store.SettleDone, At: now}}, now, 4, lease)
		if err != nil || len(next) != 1 {
			t.Fatalf("settle and claim after %d: %v, %v", item, next, err)
		}
		if err := s.Settle(ctx, []store.Settlement{{Seq: next[0].Seq, Settles: store.SettleDone, At: now}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Enqueue(ctx, testDelivery(1000+item, repo, now)); err != nil {
			t.Fatal(err)
		}
		runs, err := s.ClaimRuns(ctx, now, 2, 4, lease)
		if err != nil || len(runs) != 1 {
			t.Fatalf("claim runs at %d: %v, %v", item, runs, err)
		}
		if err := s.Settle(ctx, []store.Settlement{{Seq: runs[0][0].Seq, Settles: store.SettleDone, At: now}}); err != nil {
			t.Fatal(err)
		}

		key := fmt.Sprintf("effect-%d", item)
		if err := s.AddEffects(ctx, store.Effect{Key: key, Kind: "pr-comment", Payload: []byte(`{}`), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		effects, err := s.ClaimEffects(ctx, now, 4, lease)
		if err != nil || len(effects) != 1 {
			t.Fatalf("claim effects at %d: %v, %v", item, effects, err)
		}
		if err := s.SettleEffects(ctx, []store.Settlement{{Seq: effects[0].Seq, Settles: store.SettleDone, At: now, Result: []byte(`1`)}}); err != nil {
			t.Fatal(err)
		}
	}

	// Registering an authorizer expires every prepared statement: the
	// warm-up prepares them again. A cache too small for these paths would
	// also show here, as statements evicted and prepared anew.
	for range 2 {
		oneOfEach()
	}
	mu.Lock()
	prepared = nil
	mu.Unlock()
	for range 3 {
		oneOfEach()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(prepared) > 0 {
		t.Errorf("statements prepared again at each use, %d authorizations in 3 rounds, first: %q", len(prepared), prepared[:min(len(prepared), 8)])
	}
}

func testDelivery(n int, repo string, at time.Time) store.Delivery {
	return store.Delivery{
		ID: fmt.Sprintf("delivery-%d", n), Event: "pull_request", Action: "closed",
		InstallationID: 1, Repository: repo, Payload: []byte(`{}`), ReceivedAt: at,
	}
}
