package storetest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

func claimRuns(t *testing.T, s store.Store, now time.Time, runs, runLen int, lease time.Duration) [][]store.Delivery {
	t.Helper()
	got, err := s.ClaimRuns(context.Background(), now, runs, runLen, lease)
	if err != nil {
		t.Fatalf("ClaimRuns(%v, %d, %d): %v", now, runs, runLen, err)
	}
	return got
}

// runIDs lists each run's ids; [] for none.
func runIDs(runs [][]store.Delivery) [][]string {
	out := [][]string{}
	for _, run := range runs {
		ids := []string{}
		for _, d := range run {
			ids = append(ids, d.ID)
		}
		out = append(out, ids)
	}
	return out
}

func wantRuns(t *testing.T, what string, got [][]store.Delivery, want ...[]string) {
	t.Helper()
	if want == nil {
		want = [][]string{}
	}
	ids := runIDs(got)
	same := len(ids) == len(want)
	for i := 0; same && i < len(ids); i++ {
		same = len(ids[i]) == len(want[i])
		for j := 0; same && j < len(ids[i]); j++ {
			same = ids[i][j] == want[i][j]
		}
	}
	if !same {
		t.Errorf("%s = %v, want %v", what, ids, want)
	}
}

func delivery(t *testing.T, s store.Store, id string) store.Delivery {
	t.Helper()
	d, err := s.Delivery(context.Background(), id)
	if err != nil {
		t.Fatalf("Delivery(%s): %v", id, err)
	}
	return d
}

func testClaimRunsRules(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name         string
		setup        []store.Delivery
		runs, runLen int
		want         [][]string
	}{
		{
			name: "each repository's consecutive deliveries, repositories in order of their first",
			setup: []store.Delivery{NewDelivery("b1", "o/b", At(0)), NewDelivery("a1", "o/a", At(0)),
				NewDelivery("a2", "o/a", At(0)), NewDelivery("b2", "o/b", At(0)), NewDelivery("a3", "o/a", At(0))},
			runs: 10, runLen: 10,
			want: [][]string{{"b1", "b2"}, {"a1", "a2", "a3"}},
		},
		{
			name:  "run length caps each run",
			setup: []store.Delivery{NewDelivery("a1", "o/a", At(0)), NewDelivery("a2", "o/a", At(0)), NewDelivery("a3", "o/a", At(0))},
			runs:  10, runLen: 2,
			want: [][]string{{"a1", "a2"}},
		},
		{
			name: "runs caps the repositories",
			setup: []store.Delivery{NewDelivery("a1", "o/a", At(0)), NewDelivery("b1", "o/b", At(0)),
				NewDelivery("a2", "o/a", At(0)), NewDelivery("c1", "o/c", At(0))},
			runs: 2, runLen: 10,
			want: [][]string{{"a1", "a2"}, {"b1"}},
		},
		{
			name: "a run stops at the first delivery not due",
			setup: []store.Delivery{NewDelivery("a1", "o/a", At(0)), NewDelivery("a2", "o/a", At(time.Hour)),
				NewDelivery("a3", "o/a", At(0))},
			runs: 10, runLen: 10,
			want: [][]string{{"a1"}},
		},
		{
			name:  "a head not due holds back its repository",
			setup: []store.Delivery{NewDelivery("a1", "o/a", At(time.Hour)), NewDelivery("a2", "o/a", At(0)), NewDelivery("b1", "o/b", At(0))},
			runs:  10, runLen: 10,
			want: [][]string{{"b1"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			MustEnqueue(t, s, tc.setup...)
			got := claimRuns(t, s, At(0), tc.runs, tc.runLen, time.Minute)
			wantRuns(t, "ClaimRuns", got, tc.want...)
			for _, run := range got {
				for _, d := range run {
					if d.State != store.DeliveryProcessing || d.Attempts != 1 || string(d.Payload) != `{"id":"`+d.ID+`"}` {
						t.Errorf("claimed %+v, want processing on attempt 1 with its payload", d)
					}
				}
			}
			// While the runs are leased, their repositories have nothing more.
			for _, run := range claimRuns(t, s, At(0), 10, 10, time.Minute) {
				for _, d := range run {
					for _, claimed := range got {
						if claimed[0].Repository == d.Repository {
							t.Errorf("claimed %s while a run of %q is in flight", d.ID, d.Repository)
						}
					}
				}
			}
		})
	}
	s := open(t)
	for _, bad := range [][3]int{{0, 1, 1}, {1, 0, 1}, {1, 1, 0}} {
		if _, err := s.ClaimRuns(context.Background(), At(0), bad[0], bad[1], time.Duration(bad[2])); err == nil {
			t.Errorf("ClaimRuns(runs %d, run length %d, lease %d) succeeded", bad[0], bad[1], bad[2])
		}
	}
}

// A run settled with a failure in its middle: what came before is done,
// the failed one is retried (or dead), and what came after goes back as it
// was, its attempt not counted, to be claimed again behind the failed one.
func testSettleRunWithAFailure(t *testing.T, open Opener) {
	for _, failed := range []store.Settling{store.SettleRetry, store.SettleDead} {
		t.Run(map[store.Settling]string{store.SettleRetry: "retried", store.SettleDead: "dead"}[failed], func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			MustEnqueue(t, s, NewDelivery("a1", "o/a", At(0)), NewDelivery("a2", "o/a", At(0)),
				NewDelivery("a3", "o/a", At(0)), NewDelivery("a4", "o/a", At(0)))
			run := claimRuns(t, s, At(0), 1, 4, time.Hour)[0]
			retryAt := At(10 * time.Minute)
			at := At(time.Second)
			if failed == store.SettleRetry {
				at = retryAt
			}
			err := s.Settle(ctx, []store.Settlement{
				{Seq: run[0].Seq, Settles: store.SettleDone, At: At(time.Second)},
				{Seq: run[1].Seq, Settles: failed, At: at, Error: "502 from GitHub"},
				{Seq: run[2].Seq, Settles: store.SettleUnworked},
				{Seq: run[3].Seq, Settles: store.SettleUnworked},
			})
			if err != nil {
				t.Fatal(err)
			}
			if d := delivery(t, s, "a1"); d.State != store.DeliveryDone || !d.ProcessedAt.Equal(At(time.Second)) {
				t.Errorf("a1 = %+v, want done at %v", d, At(time.Second))
			}
			a2 := delivery(t, s, "a2")
			if a2.Attempts != 1 || a2.LastError != "502 from GitHub" {
				t.Errorf("a2 = %+v, want one attempt and its error", a2)
			}
			for _, id := range []string{"a3", "a4"} {
				d := delivery(t, s, id)
				if d.State != store.DeliveryPending || d.Attempts != 0 || d.LastError != "" || !d.NextAttemptAt.Equal(At(0)) {
					t.Errorf("%s = %+v, want pending as before the claim: no attempt, due at %v", id, d, At(0))
				}
			}
			if failed == store.SettleDead {
				if a2.State != store.DeliveryDead {
					t.Errorf("a2 is %s, want dead", a2.State)
				}
				wantRuns(t, "ClaimRuns after a dead one", claimRuns(t, s, At(time.Second), 1, 10, time.Hour), []string{"a3", "a4"})
				return
			}
			if a2.State != store.DeliveryPending || !a2.NextAttemptAt.Equal(retryAt) {
				t.Errorf("a2 = %+v, want pending, due at %v", a2, retryAt)
			}
			// The retry holds back the rest of its repository until due.
			wantRuns(t, "ClaimRuns before the retry is due", claimRuns(t, s, retryAt.Add(-1), 1, 10, time.Hour))
			wantRuns(t, "ClaimRuns when the retry is due", claimRuns(t, s, retryAt, 1, 10, time.Hour), []string{"a2", "a3", "a4"})
			if d := delivery(t, s, "a2"); d.Attempts != 2 {
				t.Errorf("a2 reclaimed on attempt %d, want 2", d.Attempts)
			}
		})
	}
}

// Settle is all or none: a settlement of a delivery not claimed fails the
// whole call and changes nothing.
func testSettleAllOrNone(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	seqs := MustEnqueue(t, s, NewDelivery("a1", "o/a", At(0)), NewDelivery("b1", "o/b", At(0)))
	wantRuns(t, "ClaimRuns", claimRuns(t, s, At(0), 1, 10, time.Hour), []string{"a1"})
	for _, tc := range []struct {
		seq  int64
		want error
	}{{seqs[1], store.ErrNotClaimed}, {seqs[1] + 1000, store.ErrNotFound}} {
		err := s.Settle(ctx, []store.Settlement{
			{Seq: seqs[0], Settles: store.SettleDone, At: At(time.Second)},
			{Seq: tc.seq, Settles: store.SettleDone, At: At(time.Second)},
		})
		if !errors.Is(err, tc.want) {
			t.Errorf("Settle with seq %d = %v, want %v", tc.seq, err, tc.want)
		}
		if d := delivery(t, s, "a1"); d.State != store.DeliveryProcessing {
			t.Errorf("a1 after a failed Settle is %s, want processing", d.State)
		}
	}
	if err := s.Settle(ctx, nil); err != nil {
		t.Errorf("Settle(nil) = %v", err)
	}
}

// A run whose lease expires is claimable again, whole and first in its
// repository, each delivery on its next attempt; a run handed back at start
// keeps its attempts counted.
func testRunLeaseExpiryAndHandBack(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	MustEnqueue(t, s, NewDelivery("a1", "o/a", At(0)), NewDelivery("a2", "o/a", At(0)))
	wantRuns(t, "ClaimRuns", claimRuns(t, s, At(0), 10, 10, time.Minute), []string{"a1", "a2"})
	MustEnqueue(t, s, NewDelivery("a3", "o/a", At(0)))
	wantRuns(t, "ClaimRuns while the lease lives", claimRuns(t, s, At(time.Minute-1), 10, 10, time.Minute))
	again := claimRuns(t, s, At(time.Minute), 10, 10, time.Minute)
	wantRuns(t, "ClaimRuns after expiry", again, []string{"a1", "a2", "a3"})
	for i, want := range []int{2, 2, 1} {
		if again[0][i].Attempts != want {
			t.Errorf("%s reclaimed on attempt %d, want %d", again[0][i].ID, again[0][i].Attempts, want)
		}
	}
	if n, err := s.ReleaseAll(ctx, At(2*time.Minute)); err != nil || n != 3 {
		t.Fatalf("ReleaseAll = %d, %v; want 3", n, err)
	}
	wantRuns(t, "ClaimRuns after hand-back", claimRuns(t, s, At(2*time.Minute), 10, 10, time.Minute), []string{"a1", "a2", "a3"})
	if d := delivery(t, s, "a1"); d.Attempts != 3 {
		t.Errorf("a1 after hand-back and reclaim on attempt %d, want 3", d.Attempts)
	}
}

// Runs claimed and settled by several workers at once, half of them taking
// their next run with their settlement, some runs failing in their middle: each repository's deliveries are done one run at a time, in
// seq order, and each exactly once.
func testRunsInOrderUnderConcurrency(t *testing.T, open Opener) {
	const (
		repos   = 10
		perRepo = 30
		total   = repos * perRepo
		workers = 6
	)
	ctx := context.Background()
	s := open(t)
	var enqueue sync.WaitGroup
	for r := range repos {
		enqueue.Go(func() {
			for i := range perRepo {
				d := NewDelivery(fmt.Sprintf("r%02d#%02d", r, i), fmt.Sprintf("o/r%02d", r), At(0))
				if _, err := s.Enqueue(ctx, d); err != nil {
					t.Errorf("Enqueue(%s): %v", d.ID, err)
				}
			}
		})
	}
	enqueue.Wait()
	// The first attempt of every seventh delivery fails: its run stops there.
	failsFirst := func(d store.Delivery) bool { return d.Attempts == 1 && d.Seq%7 == 3 }

	var (
		mu       sync.Mutex
		inFlight = map[string]bool{}
		order    = map[string][]int64{}
		done     = map[string]int{}
		finished atomic.Int64
		idle     atomic.Int64
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			// Half the workers take their next run with their settlement.
			withClaim := w%2 == 0
			var next [][]store.Delivery
			for finished.Load() < total && !t.Failed() {
				runs := next
				next = nil
				if len(runs) == 0 {
					var err error
					if runs, err = s.ClaimRuns(ctx, At(time.Minute), 2, 8, time.Hour); err != nil {
						t.Errorf("ClaimRuns: %v", err)
						return
					}
				}
				if len(runs) == 0 {
					if idle.Add(1) > 1_000_000 {
						t.Errorf("workers spin with %d of %d done", finished.Load(), total)
						return
					}
					runtime.Gosched()
					continue
				}
				for k, run := range runs {
					repo := run[0].Repository
					mu.Lock()
					if inFlight[repo] {
						t.Errorf("claimed a run of %q while another is in flight", repo)
					}
					inFlight[repo] = true
					mu.Unlock()
					var sts []store.Settlement
					for i, d := range run {
						if failsFirst(d) {
							sts = append(sts, store.Settlement{Seq: d.Seq, Settles: store.SettleRetry, At: At(time.Minute), Error: "transient"})
							for _, rest := range run[i+1:] {
								sts = append(sts, store.Settlement{Seq: rest.Seq, Settles: store.SettleUnworked})
							}
							break
						}
						sts = append(sts, store.Settlement{Seq: d.Seq, Settles: store.SettleDone, At: At(time.Minute)})
						mu.Lock()
						order[repo] = append(order[repo], d.Seq)
						done[d.ID]++
						mu.Unlock()
						finished.Add(1)
					}
					// Cleared before Settle: the repository's next run is
					// claimable only once Settle commits.
					mu.Lock()
					delete(inFlight, repo)
					mu.Unlock()
					if withClaim && k == len(runs)-1 {
						claimed, err := s.SettleAndClaim(ctx, sts, At(time.Minute), 8, time.Hour)
						if err != nil {
							t.Errorf("SettleAndClaim(%s...): %v", run[0].ID, err)
						}
						if len(claimed) > 0 {
							next = [][]store.Delivery{claimed}
						}
					} else if err := s.Settle(ctx, sts); err != nil {
						t.Errorf("Settle(%s...): %v", run[0].ID, err)
					}
				}
			}
		})
	}
	wg.Wait()
	if len(done) != total {
		t.Errorf("done %d distinct deliveries, want %d", len(done), total)
	}
	for id, n := range done {
		if n != 1 {
			t.Errorf("%s done %d times", id, n)
		}
	}
	for repo, seqs := range order {
		if !slices.IsSorted(seqs) || len(seqs) != perRepo {
			t.Errorf("repository %q done in order %v, want %d in seq order", repo, seqs, perRepo)
		}
	}
	if n, _ := s.Depth(ctx); n != 0 {
		t.Errorf("Depth after all done = %d", n)
	}
}

// SettleAndClaim settles a run and claims the next in one transaction, all
// or none.
func testSettleAndClaim(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	MustEnqueue(t, s, NewDelivery("a1", "o/a", At(0)), NewDelivery("a2", "o/a", At(0)),
		NewDelivery("a3", "o/a", At(0)), NewDelivery("b1", "o/b", At(time.Hour)))
	run := claimRuns(t, s, At(0), 1, 2, time.Hour)[0]
	done := []store.Settlement{
		{Seq: run[0].Seq, Settles: store.SettleDone, At: At(time.Second)},
		{Seq: run[1].Seq, Settles: store.SettleDone, At: At(time.Second)},
	}
	// A settlement of a delivery not claimed fails the whole call: nothing
	// settled, nothing claimed.
	b1 := delivery(t, s, "b1")
	if _, err := s.SettleAndClaim(ctx, append(done, store.Settlement{Seq: b1.Seq, Settles: store.SettleDone, At: At(0)}),
		At(time.Second), 10, time.Hour); !errors.Is(err, store.ErrNotClaimed) {
		t.Fatalf("SettleAndClaim with an unclaimed delivery = %v, want ErrNotClaimed", err)
	}
	if d := delivery(t, s, "a1"); d.State != store.DeliveryProcessing {
		t.Errorf("a1 after a failed SettleAndClaim is %s, want processing", d.State)
	}
	if d := delivery(t, s, "a3"); d.State != store.DeliveryPending {
		t.Errorf("a3 after a failed SettleAndClaim is %s, want pending", d.State)
	}

	next, err := s.SettleAndClaim(ctx, done, At(time.Second), 10, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	wantRuns(t, "SettleAndClaim", [][]store.Delivery{next}, []string{"a3"})
	if next[0].State != store.DeliveryProcessing || next[0].Attempts != 1 || string(next[0].Payload) != `{"id":"a3"}` {
		t.Errorf("claimed %+v", next[0])
	}
	for _, id := range []string{"a1", "a2"} {
		if d := delivery(t, s, id); d.State != store.DeliveryDone {
			t.Errorf("%s is %s, want done", id, d.State)
		}
	}
	// Nothing due (b1 is due in an hour): the settlement alone.
	next, err = s.SettleAndClaim(ctx, []store.Settlement{{Seq: next[0].Seq, Settles: store.SettleDone, At: At(2 * time.Second)}},
		At(2*time.Second), 10, time.Hour)
	if err != nil || next != nil {
		t.Fatalf("SettleAndClaim with nothing due = %v, %v; want none", next, err)
	}
	if d := delivery(t, s, "a3"); d.State != store.DeliveryDone {
		t.Errorf("a3 is %s, want done", d.State)
	}
}
