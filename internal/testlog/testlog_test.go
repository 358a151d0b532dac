package testlog

import (
	"log/slog"
	"sync"
	"testing"
)

func TestBufferCollectsConcurrentRecords(t *testing.T) {
	var buf Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { log.Info("step", "n", i) })
	}
	wg.Wait()
	log.Info("other")
	if got := len(buf.Records(t, "step")); got != 20 {
		t.Fatalf("%d step records, want 20:\n%s", got, buf.String())
	}
	if got := len(buf.Records(t, "other")); got != 1 {
		t.Fatalf("%d other records, want 1", got)
	}
	if got := len(buf.Records(t, "")); got != 21 {
		t.Fatalf("%d records in all, want 21", got)
	}
}
