package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/storetest"
)

// payload20KB is the size of a typical GitHub webhook body.
func payload20KB() []byte {
	p := make([]byte, 20<<10)
	for i := range p {
		p[i] = byte('a' + i%26)
	}
	return p
}

func openBench(b *testing.B) *Store {
	b.Helper()
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkEnqueueParallel measures intake throughput: many concurrent
// requests (like concurrent webhook handlers), 20 KB each, every one durable
// when Enqueue returns.
func BenchmarkEnqueueParallel(b *testing.B) {
	s := openBench(b)
	payload := payload20KB()
	var next atomic.Int64
	b.SetParallelism(32) // goroutines per GOMAXPROCS
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			n := next.Add(1)
			d := store.Delivery{
				ID: fmt.Sprint("delivery-", n), Event: "push", InstallationID: 1,
				Repository: fmt.Sprint("o/r", n%50), Payload: payload, ReceivedAt: storetest.At(0),
			}
			if _, err := s.Enqueue(ctx, d); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	if batches := s.batches.Load(); batches > 0 {
		b.ReportMetric(float64(s.batchedJobs.Load())/float64(batches), "rows/batch")
	}
	b.ReportMetric(float64(s.checkpointsOK.Load()), "checkpoints")
}

// BenchmarkEnqueueLatency500 offers deliveries at a steady 500/s, each from
// its own goroutine as a webhook request would be, and reports acknowledgement
// latency percentiles. Run it with -benchtime=5000x (ten seconds); b.N is the
// number of deliveries offered.
func BenchmarkEnqueueLatency500(b *testing.B) {
	benchmarkLatency(b, 0)
}

// BenchmarkEnqueueLatency500Workers is the same while 4 workers claim and
// complete every delivery, sharing the writer as they do in production.
func BenchmarkEnqueueLatency500Workers(b *testing.B) {
	benchmarkLatency(b, 4)
}

func benchmarkLatency(b *testing.B, workers int) {
	const rate = 500
	ctx := context.Background()
	s := openBench(b)
	payload := payload20KB()
	latencies := make([]time.Duration, b.N)

	// Workers wait for a nudge from intake rather than spin on empty claims.
	nudge := make(chan struct{}, 1)
	stop := make(chan struct{})
	var processed atomic.Int64
	var workersWG sync.WaitGroup
	for range workers {
		workersWG.Go(func() {
			for {
				ds, err := s.Claim(ctx, storetest.At(time.Minute), 8, time.Minute)
				if err != nil {
					b.Error(err)
					return
				}
				for _, d := range ds {
					if err := s.Complete(ctx, d.Seq, storetest.At(time.Minute)); err != nil {
						b.Error(err)
						return
					}
				}
				processed.Add(int64(len(ds)))
				if len(ds) == 0 {
					select {
					case <-nudge:
					case <-stop:
						return
					}
				}
			}
		})
	}

	// The probe tells the machine's pauses (a shared VM's CPU steal) from
	// the store's: the longest gap between two 1 ms ticks beyond 1 ms.
	var stallMax atomic.Int64
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		probe := time.NewTicker(time.Millisecond)
		defer probe.Stop()
		prev := time.Now()
		for {
			select {
			case <-stop:
				return
			case now := <-probe.C:
				if gap := now.Sub(prev) - time.Millisecond; int64(gap) > stallMax.Load() {
					stallMax.Store(int64(gap))
				}
				prev = now
			}
		}
	}()

	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		wg.Go(func() {
			start := time.Now()
			d := store.Delivery{
				ID: fmt.Sprint("delivery-", i), Event: "push", InstallationID: 1,
				Repository: fmt.Sprint("o/r", i%50), Payload: payload, ReceivedAt: storetest.At(0),
			}
			if _, err := s.Enqueue(ctx, d); err != nil {
				b.Error(err)
			}
			latencies[i] = time.Since(start)
			select {
			case nudge <- struct{}{}:
			default:
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(stop)
	workersWG.Wait()
	<-probeDone
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(float64(len(latencies)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
	b.ReportMetric(float64(time.Duration(stallMax.Load()).Microseconds())/1000, "machine-stall-max-ms")
	if workers > 0 {
		b.ReportMetric(float64(processed.Load())/float64(b.N), "processed/offered")
	}
}

// BenchmarkClaimComplete measures the worker side: claim one delivery and
// complete it, one commit each, with a backlog spread over 50 repositories.
func BenchmarkClaimComplete(b *testing.B) {
	ctx := context.Background()
	s := openBench(b)
	payload := payload20KB()
	var wg sync.WaitGroup
	for i := range b.N {
		wg.Go(func() {
			d := store.Delivery{
				ID: fmt.Sprint("delivery-", i), Event: "push", InstallationID: 1,
				Repository: fmt.Sprint("o/r", i%50), Payload: payload, ReceivedAt: storetest.At(0),
			}
			if _, err := s.Enqueue(ctx, d); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	b.ResetTimer()
	cpu0 := processCPU(b)
	for range b.N {
		ds, err := s.Claim(ctx, storetest.At(time.Minute), 1, time.Minute)
		if err != nil || len(ds) != 1 {
			b.Fatalf("Claim = %d, %v", len(ds), err)
		}
		if err := s.Complete(ctx, ds[0].Seq, storetest.At(time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/delivery")
}

// processCPU is the CPU time (user and system) this process has used: under
// a loaded machine it says more than the wall clock.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClaimRunSettle is the worker side with runs: claim a run of up to
// 64 of one repository's deliveries and settle it, one commit each, with a
// backlog of b.N deliveries over repos repositories. Each op is one delivery.
func BenchmarkClaimRunSettle(b *testing.B) {
	for _, repos := range []int{1, 50} {
		b.Run(fmt.Sprint(repos, "repos"), func(b *testing.B) {
			ctx := context.Background()
			s := openBench(b)
			payload := payload20KB()
			var wg sync.WaitGroup
			for r := range repos {
				wg.Go(func() {
					for i := r; i < b.N; i += repos {
						d := store.Delivery{
							ID: fmt.Sprint("delivery-", i), Event: "push", InstallationID: 1,
							Repository: fmt.Sprint("o/r", r), Payload: payload, ReceivedAt: storetest.At(0),
						}
						if _, err := s.Enqueue(ctx, d); err != nil {
							b.Error(err)
						}
					}
				})
			}
			wg.Wait()
			b.ResetTimer()
			cpu0 := processCPU(b)
			sts := make([]store.Settlement, 0, 64)
			for done := 0; done < b.N; {
				runs, err := s.ClaimRuns(ctx, storetest.At(time.Minute), 1, 64, time.Minute)
				if err != nil || len(runs) != 1 {
					b.Fatalf("ClaimRuns = %d runs, %v", len(runs), err)
				}
				sts = sts[:0]
				for _, d := range runs[0] {
					sts = append(sts, store.Settlement{Seq: d.Seq, Settles: store.SettleDone, At: storetest.At(time.Minute)})
				}
				if err := s.Settle(ctx, sts); err != nil {
					b.Fatal(err)
				}
				done += len(sts)
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/delivery")
		})
	}
}
