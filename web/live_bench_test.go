package web

import (
	"bufio"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
)

// BenchmarkLiveLatency times a state saved (Publish) to its event read by
// an HTTP client over loopback, one event at a time, reported as p50 and
// p99 in milliseconds: the target is 200 ms to the browser. With
// -benchtime=1000x it is the 1,000 events BENCHMARKS.md reports.
func BenchmarkLiveLatency(b *testing.B) { benchLive(b, 0) }

// BenchmarkLiveLatency100 is BenchmarkLiveLatency with 99 more pages open
// (each reading every event, as overview pages do).
func BenchmarkLiveLatency100(b *testing.B) { benchLive(b, 99) }

func benchLive(b *testing.B, others int) {
	l := NewLive(MaxStreams)
	srv := liveServer(b, l, clock.Real())
	for range others {
		rd, _ := stream(b, b.Context(), srv.URL, "")
		go func() {
			for {
				if _, err := rd.ReadString('\n'); err != nil {
					return
				}
			}
		}()
	}
	rd, _ := stream(b, b.Context(), srv.URL, "")
	var took []time.Duration
	i := 0
	for b.Loop() {
		// A new pipeline each time: the same one would be news too, since
		// each event is read before the next save.
		key := pipeline.Key{Repository: "acme/api", Pipeline: fmt.Sprint(i)}
		i++
		start := time.Now()
		l.Publish(key)
		ev := readEvent(b, rd)
		took = append(took, time.Since(start))
		if !strings.Contains(ev, `"pipeline":"`+key.Pipeline+`"`) {
			b.Fatalf("read %q, want pipeline %s", ev, key.Pipeline)
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}

// readEvent reads blocks until an event, skipping heartbeats.
func readEvent(b *testing.B, rd *bufio.Reader) string {
	for {
		if ev := block(b, rd); strings.HasPrefix(ev, "event: ") {
			return ev
		}
	}
}
