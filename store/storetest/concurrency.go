package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// Deliveries of 50 repositories (one of them the "" key), 40 each,
// interleaved and enqueued from many goroutines, then claimed and completed
// by several workers at once: each repository's deliveries must be processed
// one at a time, in seq order, and every delivery exactly once.
func testPerRepositoryOrderUnderConcurrency(t *testing.T, open Opener) {
	const (
		repos     = 50
		perRepo   = 40
		total     = repos * perRepo
		enqueuers = 16
		workers   = 8
	)
	ctx := context.Background()
	s := open(t)
	repoName := func(r int) string {
		if r == 0 {
			return ""
		}
		return fmt.Sprintf("o/r%02d", r)
	}

	work := make(chan store.Delivery, total)
	for i := range perRepo {
		for r := range repos {
			work <- NewDelivery(fmt.Sprintf("%s#%02d", repoName(r), i), repoName(r), At(0))
		}
	}
	close(work)
	var wg sync.WaitGroup
	for range enqueuers {
		wg.Go(func() {
			for d := range work {
				if got, err := s.Enqueue(ctx, d); err != nil || got.Duplicate {
					t.Errorf("Enqueue(%s) = %+v, %v", d.ID, got, err)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	var (
		mu       sync.Mutex
		inFlight = map[string]string{}  // repository -> delivery being processed
		order    = map[string][]int64{} // repository -> seqs in processing order
		seen     = map[string]int{}
		done     atomic.Int64
		idle     atomic.Int64
	)
	for range workers {
		wg.Go(func() {
			for done.Load() < total && !t.Failed() {
				ds, err := s.Claim(ctx, At(time.Minute), 7, time.Hour)
				if err != nil {
					t.Errorf("Claim: %v", err)
					return
				}
				if len(ds) == 0 {
					if idle.Add(1) > 1_000_000 {
						t.Errorf("workers spin with %d of %d done", done.Load(), total)
						return
					}
					runtime.Gosched()
					continue
				}
				// Recorded before Complete: the next delivery of the
				// repository is claimable only once Complete commits.
				mu.Lock()
				for _, d := range ds {
					if other, busy := inFlight[d.Repository]; busy {
						t.Errorf("claimed %s while %s of the same repository is in flight", d.ID, other)
					}
					inFlight[d.Repository] = d.ID
					order[d.Repository] = append(order[d.Repository], d.Seq)
					seen[d.ID]++
				}
				mu.Unlock()
				for _, d := range ds {
					mu.Lock()
					delete(inFlight, d.Repository)
					mu.Unlock()
					if err := s.Complete(ctx, d.Seq, At(time.Minute)); err != nil {
						t.Errorf("Complete(%s): %v", d.ID, err)
					}
					done.Add(1)
				}
			}
		})
	}
	wg.Wait()

	if len(seen) != total {
		t.Errorf("processed %d distinct deliveries, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s processed %d times", id, n)
		}
	}
	for repo, seqs := range order {
		if len(seqs) != perRepo {
			t.Errorf("repository %q: %d processed, want %d", repo, len(seqs), perRepo)
		}
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Errorf("repository %q processed out of seq order: %v", repo, seqs)
				break
			}
		}
	}
	if n, _ := s.Depth(ctx); n != 0 {
		t.Errorf("Depth after all completed = %d", n)
	}
}
