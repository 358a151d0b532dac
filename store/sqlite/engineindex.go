package sqlite

import (
	"context"
	"fmt"

	"github.com/wavegate/wavegate/store"
)

var _ store.EngineIndex = (*Store)(nil)

// EngineKeys lists the pipelines with engine state, of one repository or all.
func (s *Store) EngineKeys(ctx context.Context, repository string) ([]store.EngineKey, error) {
	q, args := `SELECT repository, pipeline FROM engine_states ORDER BY repository, pipeline`, []any(nil)
	if repository != "" {
		q, args = `SELECT repository, pipeline FROM engine_states WHERE repository = ? ORDER BY pipeline`, []any{repoKey(repository)}
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("engine keys of %q: %w", repository, err)
	}
	defer rows.Close()
	var out []store.EngineKey
	for rows.Next() {
		var k store.EngineKey
		if err := rows.Scan(&k.Repository, &k.Pipeline); err != nil {
			return nil, fmt.Errorf("engine keys of %q: %w", repository, err)
		}
		if repository != "" {
			// As the caller names it, like LoadEngineState's keys.
			k.Repository = repository
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("engine keys of %q: %w", repository, err)
	}
	return out, nil
}
