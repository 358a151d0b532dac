package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store/storetest"
)

// Prune works through more rows than one chunk.
func TestPruneManyChunks(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	const n = 2*pruneChunk + 17
	for i := range n {
		if _, err := s.Enqueue(ctx, storetest.NewDelivery(fmt.Sprint("d", i), fmt.Sprint("o/", i), storetest.At(0))); err != nil {
			t.Fatal(err)
		}
	}
	// Finishing each through Claim and Complete would cost a commit each.
	if _, err := s.write.ExecContext(ctx, `UPDATE inbox SET state = 'done', processed_at = ?`, toNanos(storetest.At(0))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, `DELETE FROM inbox_heads`); err != nil {
		t.Fatal(err)
	}
	storetest.MustEnqueue(t, s, storetest.NewDelivery("unfinished", "o/a", storetest.At(0)))
	got, err := s.Prune(ctx, storetest.At(time.Second))
	if err != nil || got != n {
		t.Fatalf("Prune = %d, %v; want %d", got, err, n)
	}
	if d, _ := s.Depth(ctx); d != 1 {
		t.Errorf("Depth after Prune = %d, want 1", d)
	}
}
