package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := openAt(t, filepath.Join(t.TempDir(), "wavegate.db"))
		// Registered after openAt's Close, so it runs before it.
		t.Cleanup(func() { checkHeads(t, s) })
		return s
	})
}

// checkHeads checks the inbox's own addition to the leased queue after
// every conformance test: each repository with unfinished deliveries has
// exactly one head, its earliest unfinished delivery, and there is no other.
func checkHeads(t *testing.T, s *Store) {
	t.Helper()
	select {
	case <-s.closing:
		return // the test closed it
	default:
	}
	const unfinished = `SELECT repository, MIN(seq) FROM inbox
		WHERE state IN ('pending', 'processing') GROUP BY repository`
	var wrong int
	err := s.read.QueryRowContext(context.Background(), `SELECT
		(SELECT COUNT(*) FROM (`+unfinished+` EXCEPT SELECT repository, seq FROM inbox_heads)) +
		(SELECT COUNT(*) FROM (SELECT repository, seq FROM inbox_heads EXCEPT `+unfinished+`))`).Scan(&wrong)
	if err != nil || wrong != 0 {
		t.Errorf("inbox heads disagree with the unfinished deliveries in %d places (%v)", wrong, err)
	}
}
