package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/mattn/go-sqlite3"

	"github.com/wavegate/wavegate/store"
)

// Every write is a job run by one writer goroutine, which owns the write
// connection. It takes every job waiting (up to MaxBatch), runs each in its
// own savepoint inside one transaction, commits once and then answers each
// caller. An fsync costs about as much for one job as for a hundred, so this
// group commit is what lets intake and workers share one SQLite file at
// thousands of commits per second. A job that needs its commit on disk is
// never kept waiting for a batch to fill: jobs that arrive while a commit is
// in flight form the next batch, so a lone one is committed at once and
// batches grow with load. Only relaxed jobs linger (below).
//
// A job failing rolls back to its savepoint and fails alone. A job is run
// with the writer's context, not its caller's: interrupting a statement would
// roll back the whole batch, and once taken a job's outcome is reported even
// if its caller has given up waiting for it.
//
// A batch made only of relaxed jobs (the inbox's claims and settlements) is
// committed with synchronous=NORMAL: the commit reaches the operating
// system but is not fsynced, so a crash of Wavegate loses nothing and a
// power failure may lose the last such commits. Losing one is what a crash
// just before it does: a lost claim leaves its deliveries pending, a lost
// settlement leaves them claimed, to be taken again at the next start, as
// unfinished deliveries are after any crash. Any other job in the batch (an
// arrival, an effect, a decision) makes it FULL, and that fsync makes
// durable every relaxed commit before it, since the WAL is written in
// order. A delivery's arrival is always fsynced before its 202.
//
// While deliveries are arriving, a batch of relaxed jobs only waits up to
// Options.RelaxedLinger for the next arrival and rides on its commit (see
// linger).

// writeTx is what a job writes through: the writer's connection inside its
// open transaction. Not a *sql.Tx: database/sql starts a goroutine for
// every transaction and for every query made in one (to watch for
// cancellation, which the writer's context never has): five of a
// delivery's thirty context switches at 500/s.
type writeTx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

const (
	jobQueued    int32 = iota
	jobTaken           // the writer owns it and will answer
	jobAbandoned       // the caller left; the writer must skip it
)

type job struct {
	ctx context.Context // the caller's: only checked before the job is taken
	run func(ctx context.Context, tx writeTx) error
	// walBytes estimates what the job adds to the WAL, to pace checkpoints.
	walBytes int64
	relaxed  bool // may be committed without fsync (see above)
	arrival  bool // a delivery's arrival, which relaxed batches wait for (linger)
	state    atomic.Int32
	done     chan error // buffered: the writer never blocks on an answer
}

// smallWrite is the WAL estimate of a job that changes a few rows.
const smallWrite = 4 << 10

// inWriteTx runs fn in the next write transaction (see above) and returns
// once that transaction is committed, or fn has failed. fn may be run with
// other callers' jobs but sees only its own savepoint's failure. A caller
// whose ctx ends before its job is taken gets ctx's error and fn never runs.
func (s *Store) inWriteTx(ctx context.Context, fn func(ctx context.Context, tx writeTx) error) error {
	return s.submitJob(ctx, &job{run: fn, walBytes: smallWrite})
}

// inRelaxedTx is inWriteTx for a job whose loss to a power failure only
// repeats work (see above): the inbox's claims and settlements, never an
// arrival, an effect's claim (its idempotency key) or a decision.
func (s *Store) inRelaxedTx(ctx context.Context, fn func(ctx context.Context, tx writeTx) error) error {
	return s.submitJob(ctx, &job{run: fn, walBytes: smallWrite, relaxed: true})
}

// submitArrival is inWriteTx for a delivery's arrival, of about walBytes.
func (s *Store) submitArrival(ctx context.Context, walBytes int64, fn func(ctx context.Context, tx writeTx) error) error {
	return s.submitJob(ctx, &job{run: fn, walBytes: walBytes, arrival: true})
}

func (s *Store) submitJob(ctx context.Context, j *job) error {
	select {
	case <-s.closing:
		return store.ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	j.ctx, j.done = ctx, make(chan error, 1)
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
		batch = s.linger(batch)
		s.commitBatch(batch)
		clear(batch) // drop references to payloads
	}
}

// linger holds a batch made only of relaxed jobs (claims and settlements)
// for up to relaxedLinger, until a job that needs an fsync (an arrival,
// most often) comes to share its commit, or the batch is full. At a steady
// rate of arrivals a delivery is then stored, claimed and settled for one
// commit instead of three: each commit is a round of system calls (a page
// written per call, locks), and sharing them took a fifth off a delivery's
// CPU on a virtual machine. It lingers only while deliveries arrive closer
// together than relaxedLinger, the last two and the last one until now: when they are
// sparser (a quiet day, commands sent one by one) the next is unlikely to
// come in time and waiting would only delay the work, and with none coming
// (a backlog draining) there is nothing to wait for.
func (s *Store) linger(batch []*job) []*job {
	if s.relaxedLinger <= 0 || s.arrivalGap > s.relaxedLinger || s.clock.Now().Sub(s.lastArrival) > s.relaxedLinger {
		return batch
	}
	for _, j := range batch {
		if !j.relaxed {
			return batch
		}
	}
	s.lingered.Add(1)
	t := s.clock.NewTimer(s.relaxedLinger)
	defer t.Stop()
	for len(batch) < s.maxBatch {
		select {
		case <-s.closing:
			return batch
		case <-t.C():
			return batch
		case j := <-s.jobs:
			batch = append(batch, j)
			if !j.relaxed {
				return batch
			}
		}
	}
	return batch
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
			if errs[0] = live[0].run(ctx, tx); errs[0] != nil {
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
