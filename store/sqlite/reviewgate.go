package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wavegate/wavegate/store"
)

var _ store.ReviewGate = (*Store)(nil)

// Repository names are compared as GitHub does, without regard to case.
func repoKey(fullName string) string { return strings.ToLower(fullName) }

// SaveCheckRun records the id of the check run named name on headSHA.
func (s *Store) SaveCheckRun(ctx context.Context, repository, headSHA, name string, id int64, now time.Time) error {
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO check_runs (repository, head_sha, name, check_run_id, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (repository, head_sha, name) DO UPDATE SET
				check_run_id = excluded.check_run_id, updated_at = excluded.updated_at`,
			repoKey(repository), headSHA, name, id, toNanos(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("save check run %s on %s@%s: %w", name, repository, headSHA, err)
	}
	return nil
}

// CheckRun returns the recorded check run id.
func (s *Store) CheckRun(ctx context.Context, repository, headSHA, name string) (int64, error) {
	var id int64
	err := s.read.QueryRowContext(ctx, `SELECT check_run_id FROM check_runs
		WHERE repository = ? AND head_sha = ? AND name = ?`, repoKey(repository), headSHA, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("check run %s on %s@%s: %w", name, repository, headSHA, err)
	}
	return id, nil
}

// SaveReviewResult records a pull request head's result.
func (s *Store) SaveReviewResult(ctx context.Context, r store.ReviewResult) error {
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO review_results
			(repository, pull_number, head_sha, conclusion, title, evaluated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (repository, pull_number, head_sha) DO UPDATE SET
				conclusion = excluded.conclusion, title = excluded.title, evaluated_at = excluded.evaluated_at`,
			repoKey(r.Repository), r.PullNumber, r.HeadSHA, r.Conclusion, r.Title, toNanos(r.EvaluatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("save review result of %s#%d@%s: %w", r.Repository, r.PullNumber, r.HeadSHA, err)
	}
	return nil
}

// ReviewResultFor returns a pull request head's recorded result.
func (s *Store) ReviewResultFor(ctx context.Context, repository string, pull int, headSHA string) (store.ReviewResult, error) {
	r := store.ReviewResult{Repository: repository, PullNumber: pull, HeadSHA: headSHA}
	var at int64
	err := s.read.QueryRowContext(ctx, `SELECT conclusion, title, evaluated_at FROM review_results
		WHERE repository = ? AND pull_number = ? AND head_sha = ?`, repoKey(repository), pull, headSHA).
		Scan(&r.Conclusion, &r.Title, &at)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.ReviewResult{}, fmt.Errorf("review result of %s#%d@%s: %w", repository, pull, headSHA, err)
	}
	r.EvaluatedAt = fromNanos(at)
	return r, nil
}

// SaveVerdicts records commit verdicts in one transaction.
func (s *Store) SaveVerdicts(ctx context.Context, verdicts ...store.CommitVerdict) error {
	if len(verdicts) == 0 {
		return nil
	}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		for _, v := range verdicts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO commit_verdicts
				(repository, sha, reviewed, reason, pull_number, decided_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (repository, sha) DO UPDATE SET
					reviewed = excluded.reviewed, reason = excluded.reason,
					pull_number = excluded.pull_number, decided_at = excluded.decided_at`,
				repoKey(v.Repository), v.SHA, v.Reviewed, v.Reason, v.PullNumber, toNanos(v.DecidedAt)); err != nil {
				return fmt.Errorf("commit %s: %w", v.SHA, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save %d commit verdicts of %s: %w", len(verdicts), verdicts[0].Repository, err)
	}
	return nil
}

// Verdict returns a commit's recorded verdict.
func (s *Store) Verdict(ctx context.Context, repository, sha string) (store.CommitVerdict, error) {
	v := store.CommitVerdict{Repository: repository, SHA: sha}
	var at int64
	err := s.read.QueryRowContext(ctx, `SELECT reviewed, reason, pull_number, decided_at FROM commit_verdicts
		WHERE repository = ? AND sha = ?`, repoKey(repository), sha).Scan(&v.Reviewed, &v.Reason, &v.PullNumber, &at)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.CommitVerdict{}, fmt.Errorf("verdict of %s@%s: %w", repository, sha, err)
	}
	v.DecidedAt = fromNanos(at)
	return v, nil
}
