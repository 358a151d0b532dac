package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/wavegate/wavegate/store"
)

// Every write is a job run by one writer goroutine, which owns the write
// connection. It takes every job waiting (up to MaxBatch), runs each in its
// own savepoint inside one transaction, commits once and then answers each
// caller. An fsync costs about as much for one job as for a hundred, so this
// group commit is what lets intake and workers share one SQLite file at
// thousands of commits per second. There is no deliberate wait for a batch to
// fill: jobs that arrive while a commit is in flight form the next batch, so
// a lone job is committed at once and batches grow with load.
//
// A job failing rolls back to its savepoint and fails alone. A job is run
// with the writer's context, not its caller's: interrupting a statement would
// roll back the whole batch, and once taken a job's outcome is reported even
// if its caller has given up waiting for it.

const (
	jobQueued    int32 = iota
	jobTaken           // the writer owns it and will answer
	jobAbandoned       // the caller left; the writer must skip it
)

type job struct {
	ctx context.Context // the caller's: only checked before the job is taken
	run func(ctx context.Context, tx *sql.Tx) error
	// walBytes estimates what the job adds to the WAL, to pace checkpoints.
	walBytes int64
	state    atomic.Int32
	done     chan error // buffered: the writer never blocks on an answer
}

// smallWrite is the WAL estimate of a job that changes a few rows.
const smallWrite = 4 << 10

// inWriteTx runs fn in the next write transaction (see above) and returns
// once that transaction is committed, or fn has failed. fn may be run with
// other callers' jobs but sees only its own savepoint's failure. A caller
// whose ctx ends before its job is taken gets ctx's error and fn never runs.
func (s *Store) inWriteTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.submit(ctx, smallWrite, fn)
}

func (s *Store) submit(ctx context.Context, walBytes int64, fn func(ctx context.Context, tx *sql.Tx) error) error {
	select {
	case <-s.closing:
		return store.ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &job{ctx: ctx, run: fn, walBytes: walBytes, done: make(chan error, 1)}
	select {
	case s.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing:
		return store.ErrClosed
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
			return ctx.Err()
		}
		return <-j.done
	case <-s.writerDone:
		// The writer exits only after answering every job it took.
		if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
			return store.ErrClosed
		}
		return <-j.done
	}
}

func (s *Store) runWriter() {
	defer close(s.writerDone)
	batch := make([]*job, 0, s.maxBatch)
	for {
		// Closing wins over more work, so Close returns after at most the
		// batch in flight.
		select {
		case <-s.closing:
			return
		default:
		}
		select {
		case <-s.closing:
			return
		case j := <-s.jobs:
			batch = append(batch[:0], j)
		}
	fill:
		for len(batch) < s.maxBatch {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		s.commitBatch(batch)
		clear(batch) // drop references to payloads
	}
}

// commitBatch runs the jobs still wanted in one transaction and answers each.
func (s *Store) commitBatch(batch []*job) {
	live := batch[:0]
	for _, j := range batch {
		if !j.state.CompareAndSwap(jobQueued, jobTaken) {
			continue
		}
		if err := j.ctx.Err(); err != nil {
			j.done <- err
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}

	ctx := context.Background()
	errs := make([]error, len(live))
	err := func() error {
		tx, err := s.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		for i, j := range live {
			if errs[i], err = runInSavepoint(ctx, tx, j.run); err != nil {
				return errors.Join(err, rollback(tx))
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	}()
	if err != nil {
		err = fmt.Errorf("write batch of %d: %w", len(live), err)
	}

	if err == nil {
		// Counted before answering, so a caller that has its answer sees
		// its batch counted.
		s.batches.Add(1)
		s.batchedJobs.Add(int64(len(live)))
		var walBytes int64
		for _, j := range live {
			walBytes += j.walBytes
		}
		s.noteWAL(walBytes)
	}
	for i, j := range live {
		if errs[i] != nil {
			j.done <- errs[i]
		} else {
			j.done <- err
		}
	}
}

// runInSavepoint returns fn's error as jobErr, undoing only fn's changes; a
// failure of the savepoint statements themselves dooms the batch (txErr).
func runInSavepoint(ctx context.Context, tx *sql.Tx, fn func(context.Context, *sql.Tx) error) (jobErr, txErr error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT job`); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	jobErr = fn(ctx, tx)
	if jobErr != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT job`); err != nil {
			// SQLite may have rolled back the whole transaction (disk full,
			// I/O error): nothing of the batch remains.
			return jobErr, fmt.Errorf("rollback to savepoint after %w: %w", jobErr, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT job`); err != nil {
		return jobErr, fmt.Errorf("release savepoint: %w", err)
	}
	return jobErr, nil
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}
