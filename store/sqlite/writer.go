package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/wavegate/wavegate/store"
)

// Every write is a job, and jobs are committed in batches on the one write
// connection: one transaction per batch, each job in its own savepoint,
// one commit, then every caller is answered. An fsync costs about as much
// for one job as for a hundred, so this group commit is what lets intake
// and workers share one SQLite file at thousands of commits per second.
//
// Who commits a batch: a caller whose job finds nobody committing commits
// it itself, on its own goroutine, with whatever else is queued (it leads).
// Jobs that come while a batch is being committed queue up and form the
// next batch, which the writer goroutine commits once the leader hands it
// over. A lone job is thus committed at once with no goroutine woken for
// it, and batches grow with load. At a steady 500 deliveries a second for a
// hundred repositories, 94% of the batches are committed by their callers
// and 4% are handed over; handing every job to the writer goroutine, as
// before, cost a delivery 0.05-0.1 ms of CPU more (BENCHMARKS.md, issue 10).
//
// A job failing rolls back to its savepoint and fails alone. A job is run
// with a background context, not its caller's: interrupting a statement
// would roll back the whole batch, and once taken a job's outcome is
// reported even if its caller has given up waiting for it.
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
// A relaxed job lingers: while deliveries arrive closer together than
// Options.RelaxedLinger, it waits up to that long in the queue for the next
// arrival and rides on its commit. At a steady rate of arrivals a delivery
// is then stored, claimed and settled for one commit instead of three: each
// commit is a round of system calls (a page written per call, locks), and
// sharing them took a fifth off a delivery's CPU on a virtual machine. When
// deliveries are sparser (a quiet day, commands sent one by one) the next
// is unlikely to come in time and waiting would only delay the work, and
// with none coming (a backlog draining) there is nothing to wait for. The
// caller of a lingering job times its linger and commits the queue itself
// when it is over.

// writeTx is what a job writes through: the write connection inside its
// open transaction. Not a *sql.Tx: database/sql starts a goroutine for
// every transaction and for every query made in one (to watch for
// cancellation, which a batch's context never has): five of a
// delivery's thirty context switches at 500/s.
type writeTx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

const (
	jobQueued    int32 = iota
	jobTaken           // in a batch, to be answered
	jobAbandoned       // the caller left: skipped
)

type job struct {
	ctx context.Context // the caller's: only checked before the job is taken
	run func(ctx context.Context, tx writeTx) error
	// walBytes estimates what the job adds to the WAL, to pace checkpoints.
	walBytes int64
	relaxed  bool // may be committed without fsync (see above)
	arrival  bool // a delivery's arrival, which relaxed jobs wait for
	// lingering says its caller times its linger (Store.wmu guards it).
	lingering bool
	state     atomic.Int32
	done      chan error // buffered: a leader never blocks on an answer
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
	if err := ctx.Err(); err != nil {
		return err
	}
	j.ctx, j.done = ctx, make(chan error, 1)
	s.wmu.Lock()
	if s.closed {
		s.wmu.Unlock()
		return store.ErrClosed
	}
	s.queue = append(s.queue, j)
	var lingerOver <-chan time.Time
	if j.relaxed && s.lingerApplies() && len(s.queue) < s.maxBatch {
		j.lingering = true
		s.lingered.Add(1)
		t := s.clock.NewTimer(s.relaxedLinger)
		defer t.Stop()
		lingerOver = t.C()
	}
	lead := !s.leading && !s.queueMayWait()
	s.leading = s.leading || lead
	s.wmu.Unlock()
	if lead {
		s.lead(true, false)
	}
	for {
		select {
		case err := <-j.done:
			return err
		case <-lingerOver:
			lingerOver = nil
			s.wmu.Lock()
			// Still queued with nobody leading: nothing else will commit it.
			lead := !s.leading && !s.closed && j.state.Load() == jobQueued
			s.leading = s.leading || lead
			s.wmu.Unlock()
			if lead {
				s.lead(true, true)
			}
		case <-ctx.Done():
			if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
				return ctx.Err()
			}
			return <-j.done
		}
	}
}

// lingerApplies tells whether deliveries arrive closer together than
// relaxedLinger: the last two, and the last one until now. s.wmu held.
func (s *Store) lingerApplies() bool {
	return s.relaxedLinger > 0 && s.arrivalGap <= s.relaxedLinger && s.clock.Now().Sub(s.lastArrival) <= s.relaxedLinger
}

// queueMayWait tells whether everything queued may wait for a later commit:
// relaxed jobs whose callers time their linger. s.wmu held.
func (s *Store) queueMayWait() bool {
	for _, j := range s.queue {
		if !j.lingering {
			return false
		}
	}
	return true
}

// lead commits batches of the queued jobs, up to maxBatch each, oldest
// first; its caller has set s.leading, which lead clears when it stops. The
// writer goroutine leads until only jobs that may wait are queued. A caller
// commits one batch, its own job in it, and hands the rest to the writer
// goroutine; force commits that batch even if all of it could wait (its
// linger is over).
func (s *Store) lead(caller, force bool) {
	for first := true; ; first = false {
		s.wmu.Lock()
		if s.closed || len(s.queue) == 0 || (s.queueMayWait() && !(first && force)) {
			s.leading = false
			s.leaderDone.Broadcast()
			s.wmu.Unlock()
			return
		}
		if caller && !first {
			// s.leading stays set: the writer goroutine takes over. The
			// send never blocks, as only a leader sends and it waits for
			// nothing.
			s.wmu.Unlock()
			s.handedOver.Add(1)
			s.handOver <- struct{}{}
			return
		}
		n := min(len(s.queue), s.maxBatch)
		batch := append(s.batch[:0], s.queue[:n]...)
		rest := copy(s.queue, s.queue[n:])
		clear(s.queue[rest:])
		s.queue = s.queue[:rest]
		s.wmu.Unlock()
		s.commitOrCrash(batch)
		clear(batch) // drop references to payloads
		s.batch = batch
	}
}

// commitOrCrash is commitBatch, whose panics, outside any job's (the
// store's own bug: runJob catches a job's), end the process as they did when
// only the writer goroutine committed. The caller leading may be an HTTP
// handler, whose panic the server would recover from, leaving the write
// connection in an unknown state and nobody leading: every write would
// hang.
func (s *Store) commitOrCrash(batch []*job) {
	defer func() {
		if r := recover(); r != nil {
			go panic(fmt.Sprintf("sqlite store: committing a batch: %v\n%s", r, debug.Stack()))
			select {}
		}
	}()
	s.commitBatch(batch)
}

// runWriter leads whenever a caller hands a queue over.
func (s *Store) runWriter() {
	defer close(s.writerDone)
	for {
		select {
		case <-s.handOver:
			s.lead(false, false)
		case <-s.closing:
			select {
			case <-s.handOver: // handed over before Close: lead clears s.leading
				s.lead(false, false)
			default:
			}
			return
		}
	}
}

// closeWriter commits the lingering jobs, lets a batch in flight finish,
// answers every other queued job with ErrClosed and stops the writer
// goroutine.
func (s *Store) closeWriter() {
	s.wmu.Lock()
	s.closed = true
	close(s.closing)
	if !s.leading && len(s.queue) > 0 {
		// Nobody leads: all queued are lingering jobs, a batch begun.
		batch := s.queue
		s.queue = nil
		s.leading = true
		s.wmu.Unlock()
		s.commitOrCrash(batch)
		s.wmu.Lock()
		s.leading = false
	}
	for s.leading {
		s.leaderDone.Wait()
	}
	rest := s.queue
	s.queue = nil
	s.wmu.Unlock()
	for _, j := range rest {
		if j.state.CompareAndSwap(jobQueued, jobTaken) {
			j.done <- store.ErrClosed
		}
	}
	<-s.writerDone
}
