package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/storetest"
)

// synchronousIn reads the write connection's synchronous setting from inside
// a job: 2 is FULL (fsync at each commit), 1 NORMAL.
func synchronousIn(ctx context.Context, tx writeTx, into *int) error {
	return tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(into)
}

// The inbox's claims and settlements are committed without fsync, an
// arrival with it; the writer switches between the two as batches need.
func TestInboxClaimsAndSettlementsAloneSkipTheFsync(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)

	steps := []struct {
		name    string
		run     func() error
		relaxed bool
	}{
		{"arrival", func() error {
			_, err := s.Enqueue(ctx, storetest.NewDelivery("d1", "o/r", storetest.At(0)))
			return err
		}, false},
		{"claim", func() error {
			runs, err := s.ClaimRuns(ctx, storetest.At(1), 1, 8, time.Minute)
			if err == nil && len(runs) != 1 {
				t.Fatalf("claimed %d runs, want 1", len(runs))
			}
			return err
		}, true},
		{"settle and claim", func() error {
			_, err := s.SettleAndClaim(ctx, []store.Settlement{{Seq: 1, Settles: store.SettleRetry, At: storetest.At(2)}},
				storetest.At(2), 8, time.Minute)
			return err
		}, true},
		{"kill", func() error { return s.Kill(ctx, 1, storetest.At(3), "gone") }, true},
		{"another arrival", func() error {
			_, err := s.Enqueue(ctx, storetest.NewDelivery("d2", "o/r", storetest.At(4)))
			return err
		}, false},
	}
	for _, st := range steps {
		before := s.relaxedBatches.Load()
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := s.relaxedBatches.Load() - before; got != map[bool]int64{false: 0, true: 1}[st.relaxed] {
			t.Errorf("%s: %d batches committed without fsync, want relaxed = %v", st.name, got, st.relaxed)
		}
	}

	// And the setting really follows: NORMAL for a relaxed job alone, FULL
	// again for the next ordinary one.
	for _, relaxed := range []bool{true, false, true, true, false} {
		var got int
		submit := s.inWriteTx
		if relaxed {
			submit = s.inRelaxedTx
		}
		if err := submit(ctx, func(ctx context.Context, tx writeTx) error { return synchronousIn(ctx, tx, &got) }); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 2, true: 1}[relaxed]; got != want {
			t.Errorf("relaxed %v: synchronous = %d in the job, want %d", relaxed, got, want)
		}
	}
}

// A relaxed job sharing a batch with an arrival is committed with the
// arrival's fsync: the batch is as durable as its most demanding job.
func TestRelaxedJobBatchedWithAnArrivalIsFsynced(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	plug, release := holdWriter(t, s)

	got, relaxedDone := relaxedProbe(s)
	waitQueued(t, s, 1)
	arrived := make(chan error, 1)
	go func() {
		_, err := s.Enqueue(ctx, storetest.NewDelivery("arrival", "o/r", storetest.At(0)))
		arrived <- err
	}()
	waitQueued(t, s, 2)
	batchesBefore := s.batches.Load()
	release()
	for _, done := range []<-chan error{plug, relaxedDone, arrived} {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if v := <-got; v != 2 {
		t.Errorf("synchronous = %d for a relaxed job batched with an arrival, want 2 (FULL)", v)
	}
	if n := s.batches.Load() - batchesBefore; n != 2 {
		t.Errorf("%d batches after the plug's, want 2 (the plug's, then the two jobs together)", n)
	}
}

// A job alone in its batch runs without a savepoint: its failure must still
// undo all it wrote, and leave the connection ready for the next job.
func TestLoneFailedJobLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	failure := errors.New("refused half way")
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_heads (repository, seq) VALUES ('o/r', 1)`); err != nil {
			return err
		}
		return failure
	})
	if !errors.Is(err, failure) {
		t.Fatalf("inWriteTx = %v, want the job's failure", err)
	}
	var n int
	if err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM inbox_heads`).Scan(&n)
	}); err != nil {
		t.Fatalf("the next job: %v", err)
	}
	if n != 0 {
		t.Errorf("%d rows left by the failed job, want 0", n)
	}
}
