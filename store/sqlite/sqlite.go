// Package sqlite is the store.Store kept in one SQLite database file, the
// default: migrations embedded, concurrent writes committed together on one
// connection, the WAL checkpointed beside it.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

var _ store.Store = (*Store)(nil)

// Options tunes Open; the zero value is a sensible default.
type Options struct {
	// MaxBatch caps how many writes (Enqueue, Claim, Complete, ...) are
	// committed together in one transaction (default 256).
	MaxBatch int
	// BusyTimeout is how long a statement waits for a lock held by another
	// process before failing (default 5s). Within one process writes never
	// wait on SQLite locks: they are queued and made on one connection.
	BusyTimeout time.Duration
	// ReadConns is the number of read-only connections (default 4); reads
	// run beside the writer thanks to WAL.
	ReadConns int
	// RelaxedLinger is how long one of the inbox's claims and
	// settlements waits for an arrival to share its commit while
	// deliveries arrive closer together than that (writer.go; default
	// 5ms, negative for never).
	RelaxedLinger time.Duration
	// Clock times RelaxedLinger (default the wall clock). The linger paces
	// commits against a disk, so it stays on real time even where the
	// rest of Wavegate runs on a faster one (the demo); tests pass a fake.
	Clock clock.Clock
}

func (o Options) withDefaults() Options {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.RelaxedLinger == 0 {
		o.RelaxedLinger = 5 * time.Millisecond
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	return o
}

// Store is the store.Store kept in one SQLite database file.
//
// Every write is queued and made on one connection, by one goroutine at a
// time (writer.go): SQLite allows one writer at a time anyway, and queueing
// writes in Go rather than in SQLite's busy handler means no SQLITE_BUSY and
// no deadlock between two transactions that both read and then want to
// write; it also lets concurrent writes share a commit. Write transactions
// begin IMMEDIATE so they hold the write lock from their first statement,
// which matters only when another process shares the file. Reads use a pool
// of read-only connections and a WAL is checkpointed by a third connection
// (checkpoint.go).
type Store struct {
	path  string
	write *sql.DB // writeConn, and a second connection for the migrator
	// writeConn is write's connection, held for good; only the goroutine
	// leading (writer.go) uses it.
	writeConn *sql.Conn
	read      *sql.DB
	ckpt      *sql.DB // one connection, used by the checkpointer only
	migrator  *goose.Provider

	maxBatch int
	// wmu guards the jobs queued for a commit, leading, closed,
	// lastArrival and arrivalGap.
	wmu   sync.Mutex
	queue []*job
	// leading says a goroutine is committing batches of the queue; only it
	// uses writeConn, syncMode, batch and walSince.
	leading    bool
	leaderDone *sync.Cond // on wmu, broadcast when leading is cleared
	closed     bool
	batch      []*job
	handOver   chan struct{} // a leader hands the queue to the writer goroutine
	closing    chan struct{}
	writerDone chan struct{}
	// Committed batches and the jobs in them: their ratio is the batching
	// achieved, for benchmarks and tests.
	batches, batchedJobs atomic.Int64
	// Batches committed without fsync (writer.go), and queues handed over
	// to the writer goroutine, for tests.
	relaxedBatches, handedOver atomic.Int64
	syncMode                   int8 // the write connection's synchronous setting
	// beforeBatch, when set before the first write, is called by the
	// leader before each batch (tests: hold the writer).
	beforeBatch func()
	// relaxedLinger is Options.RelaxedLinger; lastArrival is when an
	// arrival was last committed, arrivalGap the time since the one before.
	relaxedLinger time.Duration
	clock         clock.Clock
	lastArrival   time.Time
	arrivalGap    time.Duration
	lingered      atomic.Int64 // relaxed jobs that lingered, for tests

	walSince      int64 // bytes written since the last checkpoint kick
	ckptKick      chan struct{}
	ckptDone      chan struct{}
	ckptFailures  atomic.Int64
	checkpointsOK atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating it and its directory when missing) the database
// at path and applies the embedded migrations. Its error names path.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	keepCHeap() // cmalloc.go: a tenth of the CPU per delivery on a virtual machine
	s, err := openDB(ctx, path, opts)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %q: %w", path, err)
	}
	return s, nil
}

func openDB(ctx context.Context, path string, opts Options) (_ *Store, err error) {
	if path == "" {
		return nil, errors.New("empty path")
	}
	if strings.ContainsAny(path, "?#") {
		// The driver would read everything after '?' as connection options.
		return nil, errors.New("path must not contain '?' or '#'")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create directory: %w", err)
	}
	// Payloads describe private repositories: the file is the owner's alone,
	// and SQLite gives its -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}

	var opened []*sql.DB
	defer func() {
		if err != nil {
			for _, db := range opened {
				_ = db.Close()
			}
		}
	}()
	open := func(conns int, params url.Values, pragmas ...string) (*sql.DB, error) {
		params.Set("_busy_timeout", strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10))
		params.Set("_foreign_keys", "on")
		params.Set("_stmt_cache_size", strconv.Itoa(statementCacheSize))
		db := sql.OpenDB(connector{dsn: path + "?" + params.Encode(), pragmas: pragmas})
		opened = append(opened, db)
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(conns)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return db, db.PingContext(ctx)
	}

	write, err := open(1, url.Values{
		"_journal_mode": {"WAL"},
		// WAL's usual NORMAL may lose the last commits on power loss; an
		// acknowledged delivery must not be lost.
		"_synchronous": {"FULL"},
		"_txlock":      {"immediate"},
	},
		// The checkpointer does this work off the commit path; this is a
		// safety net should it fall far behind.
		"wal_autocheckpoint = 16384",
		// After a burst, give back the disk beyond 64 MiB of WAL.
		"journal_size_limit = 67108864")
	if err != nil {
		return nil, err
	}
	migrator, err := migrate(ctx, write)
	if err != nil {
		return nil, err
	}
	writeConn, err := write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("take the write connection: %w", err)
	}
	// The writer holds that one for good; a second serves the migrator
	// (SchemaVersion, tests going back to an older schema), seldom, and
	// waits its turn for the write lock like another process would.
	write.SetMaxOpenConns(2)
	write.SetMaxIdleConns(2)
	defer func() {
		if err != nil {
			_ = writeConn.Close()
		}
	}()
	// Opened after the writer: the file exists and is in WAL mode.
	read, err := open(opts.ReadConns, url.Values{"_query_only": {"on"}})
	if err != nil {
		return nil, err
	}
	ckpt, err := open(1, url.Values{"_synchronous": {"FULL"}})
	if err != nil {
		return nil, err
	}

	s := &Store{
		path:          path,
		write:         write,
		writeConn:     writeConn,
		read:          read,
		ckpt:          ckpt,
		migrator:      migrator,
		maxBatch:      opts.MaxBatch,
		relaxedLinger: opts.RelaxedLinger,
		clock:         opts.Clock,
		handOver:      make(chan struct{}, 1),
		closing:       make(chan struct{}),
		writerDone:    make(chan struct{}),
		ckptKick:      make(chan struct{}, 1),
		ckptDone:      make(chan struct{}),
	}
	s.leaderDone = sync.NewCond(&s.wmu)
	go s.runWriter()
	go s.runCheckpointer()
	return s, nil
}

// statementCacheSize is how many prepared statements each connection keeps
// (go-sqlite3's _stmt_cache_size): enough for every statement the write
// connection runs, so that each is prepared once, not at every use. Two
// things still prepare a statement at every use, and what the queues run
// for each item avoids both (TestQueueStatementsStayPrepared):
//   - an explicit Prepare, which bypasses the cache;
//   - a bound value the query planner looks at (a LIMIT ?, or a column
//     compared with = ? that some candidate plan only filters by).
//     go-sqlite3 clears a statement's bindings before each use, and SQLite
//     prepares such a statement again whenever they are cleared. Written
//     +?, the value is an expression the planner does not look into; the
//     plans are the same. Preparing the two such statements of every
//     delivery again cost it 14 µs of CPU (BENCHMARKS.md, issue 10).
const statementCacheSize = 64

// connector opens go-sqlite3 connections without going through the global
// database/sql driver registry.
type connector struct {
	dsn     string
	pragmas []string // run on every new connection, beyond what the DSN sets
}

func (c connector) Connect(context.Context) (driver.Conn, error) {
	return c.driver().Open(c.dsn)
}

func (c connector) Driver() driver.Driver { return c.driver() }

func (c connector) driver() *sqlite3.SQLiteDriver {
	return &sqlite3.SQLiteDriver{ConnectHook: func(conn *sqlite3.SQLiteConn) error {
		for _, p := range c.pragmas {
			if _, err := conn.Exec("PRAGMA "+p, nil); err != nil {
				return fmt.Errorf("PRAGMA %s: %w", p, err)
			}
		}
		return nil
	}}
}

// Ping checks that the database answers, through the write and the read
// connections.
func (s *Store) Ping(ctx context.Context) error {
	// Through the writer, which holds the write connection: this also
	// shows the writer is alive. Not relaxed: a relaxed job may linger for
	// the next arrival, and a health check must answer at once. It writes
	// nothing, so its commit has nothing to fsync.
	if err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		var one int
		return tx.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
	}); err != nil {
		return fmt.Errorf("ping sqlite database %q (write): %w", s.path, err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite database %q (read): %w", s.path, err)
	}
	return nil
}

// SchemaVersion returns the applied and the embedded latest migration version.
func (s *Store) SchemaVersion(ctx context.Context) (applied, latest int64, err error) {
	applied, latest, err = s.migrator.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	return applied, latest, nil
}

// Close stops the writer (writes still waiting get ErrClosed; a batch being
// written is committed first) and the checkpointer, and closes the database.
// It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeWriter()
		<-s.ckptDone
		// The write connection last: closing the last connection checkpoints
		// and removes the WAL.
		s.closeErr = errors.Join(s.ckpt.Close(), s.read.Close(), s.writeConn.Close(), s.write.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("close sqlite database %q: %w", s.path, s.closeErr)
		}
	})
	return s.closeErr
}

// toNanos converts t to the stored form, saturating outside the years an
// int64 of nanoseconds can hold (so "far future" stays far future).
func toNanos(t time.Time) int64 {
	switch {
	case t.Year() < 1678:
		return math.MinInt64
	case t.Year() > 2261:
		return math.MaxInt64
	}
	return t.UnixNano()
}

// toNullNanos stores the zero time as NULL.
func toNullNanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: toNanos(t), Valid: true}
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNullNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromNanos(n.Int64)
}

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
