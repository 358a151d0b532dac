package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store/sqlite"
)

// BenchmarkOverview1000 answers the overview with 1,000 pipelines stored,
// each of two stages with a release baking, one rolled back and four
// blockers: the target is a p99 of 50 ms server-side, reported
// here as p99-ms beside the mean. The first page lists all 1,000 keys and
// renders PerPage pipelines, as every page does.
func BenchmarkOverview1000(b *testing.B) {
	fs := &fakeStore{}
	for i := range 1000 {
		p := prodPipeline()
		p.Name = fmt.Sprintf("p%d", i%4)
		fs.add(fmt.Sprintf("acme/repo-%03d", i/4), p, bakingState())
	}
	benchOverview(b, newPages(b, true, fs))
}

func benchOverview(b *testing.B, h http.Handler) {
	req := httptest.NewRequest("GET", "/ui/", nil)
	var took []time.Duration
	var size int
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		took = append(took, time.Since(start))
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(size)/1024, "KiB/page")
}

// BenchmarkOverview1000SQLite is BenchmarkOverview1000 with the states read
// from the SQLite store, as a running Wavegate reads them.
func BenchmarkOverview1000SQLite(b *testing.B) {
	ctx := b.Context()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "wavegate.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	es := &effects.EngineStore{DB: db}
	for i := range 1000 {
		p := prodPipeline()
		p.Name = fmt.Sprintf("p%d", i%4)
		key := pipeline.Key{Repository: fmt.Sprintf("acme/repo-%03d", i/4), Pipeline: p.Name}
		if err := es.Save(ctx, key, 0, p, pipeline.Result{State: bakingState()}, now); err != nil {
			b.Fatal(err)
		}
	}
	pages, err := New(Config{Public: true, Index: db, Engine: es, Clock: clock.NewFake(now)})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	pages.Routes(mux)
	benchOverview(b, mux)
}
