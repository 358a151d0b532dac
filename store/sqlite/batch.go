package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/mattn/go-sqlite3"
)

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

	if s.beforeBatch != nil {
		s.beforeBatch()
	}
	ctx := context.Background()
	errs := make([]error, len(live))
	relaxed := true
	for _, j := range live {
		relaxed = relaxed && j.relaxed
	}
	err := func() error {
		if err := s.setSynchronous(ctx, relaxed); err != nil {
			return err
		}
		// IMMEDIATE: the write lock from the start, which matters only when
		// another process shares the file.
		if _, err := s.writeConn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		tx := writeTx(s.writeConn)
		if len(live) == 1 {
			// Alone, a job needs no savepoint (two statements, each parsed
			// afresh): its failure rolls back a transaction that is all its
			// own. At a steady rate most batches are one job.
			if errs[0] = runJob(ctx, tx, live[0].run); errs[0] != nil {
				return s.rollback(ctx)
			}
		} else {
			for i, j := range live {
				var err error
				if errs[i], err = runInSavepoint(ctx, tx, j.run); err != nil {
					return errors.Join(err, s.rollback(ctx))
				}
			}
		}
		if _, err := s.writeConn.ExecContext(ctx, `COMMIT`); err != nil {
			return errors.Join(fmt.Errorf("commit: %w", err), s.rollback(ctx))
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
		if relaxed {
			s.relaxedBatches.Add(1)
		}
		s.noteArrivals(live)
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

// noteArrivals keeps the time of the last committed arrival and its gap to
// the one before, for linger.
func (s *Store) noteArrivals(committed []*job) {
	for _, j := range committed {
		if j.arrival {
			s.wmu.Lock()
			defer s.wmu.Unlock()
			now := s.clock.Now()
			s.arrivalGap = now.Sub(s.lastArrival)
			s.lastArrival = now
			return
		}
	}
}

// Values of the write connection's synchronous setting, as the writer last
// set it.
const (
	syncFull    int8 = iota // the DSN's, in force when the connection opens
	syncNormal              // a batch of relaxed jobs only
	syncUnknown             // a PRAGMA failed: set it again before the next batch
)

// setSynchronous puts the write connection in the mode the next batch
// needs, outside any transaction (SQLite reads it at each commit).
func (s *Store) setSynchronous(ctx context.Context, relaxed bool) error {
	want, pragma := syncFull, `PRAGMA synchronous = FULL`
	if relaxed {
		want, pragma = syncNormal, `PRAGMA synchronous = NORMAL`
	}
	if s.syncMode == want {
		return nil
	}
	s.syncMode = syncUnknown
	if _, err := s.writeConn.ExecContext(ctx, pragma); err != nil {
		return fmt.Errorf("%s: %w", pragma, err)
	}
	s.syncMode = want
	return nil
}

// runInSavepoint returns fn's error as jobErr, undoing only fn's changes; a
// failure of the savepoint statements themselves dooms the batch (txErr).
func runInSavepoint(ctx context.Context, tx writeTx, fn func(context.Context, writeTx) error) (jobErr, txErr error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT job`); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	jobErr = runJob(ctx, tx, fn)
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

// rollback ends the write connection's transaction, if SQLite has not
// already ended it (a failed COMMIT may leave it open or roll it back).
func (s *Store) rollback(ctx context.Context) error {
	open := false
	if err := s.writeConn.Raw(func(dc any) error {
		c, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return fmt.Errorf("driver connection is a %T", dc)
		}
		open = !c.AutoCommit()
		return nil
	}); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if !open {
		return nil
	}
	if _, err := s.writeConn.ExecContext(ctx, `ROLLBACK`); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}

// runJob runs fn, a panic in it failing it alone: the batch is committed
// on a caller's goroutine, whose panic an HTTP server would recover from,
// leaving the connection in a transaction and no goroutine leading.
func runJob(ctx context.Context, tx writeTx, fn func(context.Context, writeTx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write job panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(ctx, tx)
}
