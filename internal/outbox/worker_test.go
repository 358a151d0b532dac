package outbox

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

type transient struct{ error }

func isTransient(err error) bool { var t transient; return errors.As(err, &t) }

func (t transient) Unwrap() error { return t.error }

// retryAfter is a transient failure that says when to try again.
type retryAfter struct {
	transient
	at time.Time
}

func (r retryAfter) Unwrap() error { return r.transient }

// testStore is the outbox of a real store, with what the tests read back.
type testStore interface {
	store.Outbox
	Effect(ctx context.Context, key string) (store.Effect, error)
	Close() error
}

// openStore opens a real store in a fresh file: the one place these tests
// name its implementation.
func openStore(t *testing.T) testStore {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

type finished struct {
	e   store.Effect
	err error
}

// world is a running Worker over a SQLite file, on a fake clock.
type world struct {
	db   testStore
	clk  *clock.Fake
	w    *Worker
	done chan finished
}

// add stores effects and notifies the worker, as the engine's store does
// after each save: the worker finds work by being told, not by polling.
func (wd *world) add(t *testing.T, effects ...store.Effect) {
	t.Helper()
	if err := wd.db.AddEffects(context.Background(), effects...); err != nil {
		t.Fatal(err)
	}
	wd.w.Notify()
}

func setup(t *testing.T, performers map[string]Performer) *world {
	t.Helper()
	return setupOver(t, performers, func(db testStore) store.Outbox { return db })
}

// setupOver runs the worker over the store wrap returns, which may watch or
// interleave with the worker's calls.
func setupOver(t *testing.T, performers map[string]Performer, wrap func(testStore) store.Outbox) *world {
	t.Helper()
	db := openStore(t)
	wd := &world{db: db, clk: clock.NewFake(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)), done: make(chan finished, 10)}
	var err error
	wd.w, err = New(Options{Store: wrap(db), Clock: wd.clk, Performers: performers, IsTransient: isTransient,
		RetryAt: func(err error, _ time.Time) (time.Time, bool) {
			var r retryAfter
			return r.at, errors.As(err, &r)
		},
		// Jitter 0 takes half the backoff: the first retry comes after 5s.
		BaseBackoff: 10 * time.Second, Jitter: func() float64 { return 0 }, OnDone: func(e store.Effect, err error) { wd.done <- finished{e, err} }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = wd.w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-stopped; _ = db.Close() })
	return wd
}

func next(t *testing.T, done chan finished) finished {
	t.Helper()
	select {
	case f := <-done:
		return f
	case <-time.After(10 * time.Second): // deadlock guard only
		t.Fatal("no effect finished")
		return finished{}
	}
}

func TestWorkerRetriesTransientAndKillsPermanent(t *testing.T) {
	calls := 0
	wd := setup(t, map[string]Performer{
		"flaky": func(context.Context, store.Effect) ([]byte, error) {
			calls++
			if calls == 1 {
				return nil, transient{errors.New("502 Bad Gateway")}
			}
			return []byte("ok"), nil
		},
		"broken": func(context.Context, store.Effect) ([]byte, error) { return nil, errors.New("422 Unprocessable") },
	})
	db, clk, done := wd.db, wd.clk, wd.done
	ctx := context.Background()
	wd.add(t,
		store.Effect{Key: "a", Kind: "flaky", CreatedAt: clk.Now()},
		store.Effect{Key: "b", Kind: "broken", CreatedAt: clk.Now()},
		store.Effect{Key: "c", Kind: "unknown", CreatedAt: clk.Now()},
	)
	for range 3 {
		next(t, done)
	}
	for key, want := range map[string]store.EffectState{"a": store.EffectPending, "b": store.EffectDead, "c": store.EffectDead} {
		e, err := db.Effect(ctx, key)
		if err != nil || e.State != want {
			t.Fatalf("%s: %s %v, want %s", key, e.State, err, want)
		}
	}
	if e, _ := db.Effect(ctx, "c"); !strings.Contains(e.LastError, `no performer for effects of kind "unknown"`) {
		t.Fatalf("unknown kind recorded as %q", e.LastError)
	}
	// The transient failure is retried after its 5s backoff: the worker
	// sleeps until exactly then, not until its minute's poll.
	retry := clk.Now().Add(5 * time.Second)
	clk.BlockUntilTimerAt(retry)
	clk.Set(retry)
	if f := next(t, done); f.e.Key != "a" || f.err != nil {
		t.Fatalf("retry: %s %v", f.e.Key, f.err)
	}
	if e, _ := db.Effect(ctx, "a"); e.State != store.EffectDone || string(e.Result) != "ok" || e.Attempts != 2 {
		t.Fatalf("a after retry: %+v", e)
	}
}

func TestWorkerHandsBackClaimedEffectsAtStart(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	if err := db.AddEffects(ctx, store.Effect{Key: "a", Kind: "k", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	// A process claims it for an hour and dies.
	if got, err := db.ClaimEffects(ctx, now, 1, time.Hour); err != nil || len(got) != 1 {
		t.Fatalf("claim: %v %v", got, err)
	}
	clk := clock.NewFake(now.Add(time.Second))
	done := make(chan finished, 1)
	w, err := New(Options{Store: db, Clock: clk, OnDone: func(e store.Effect, err error) { done <- finished{e, err} },
		Performers: map[string]Performer{"k": func(context.Context, store.Effect) ([]byte, error) { return nil, nil }}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = w.Run(runCtx) }()
	if f := next(t, done); f.e.Key != "a" || f.err != nil {
		t.Fatalf("resumed %s %v", f.e.Key, f.err)
	}
	cancel()
	<-stopped
	_ = db.Close()
}

func TestWorkerRetriesNoSoonerThanTheFailureAllows(t *testing.T) {
	calls := 0
	var clk *clock.Fake
	wd := setup(t, map[string]Performer{
		"limited": func(context.Context, store.Effect) ([]byte, error) {
			if calls++; calls == 1 {
				return nil, retryAfter{transient{errors.New("429 Too Many Requests")}, clk.Now().Add(30 * time.Second)}
			}
			return nil, nil
		},
	})
	db, done := wd.db, wd.done
	clk = wd.clk
	ctx := context.Background()
	start := clk.Now()
	wd.add(t, store.Effect{Key: "a", Kind: "limited", CreatedAt: start})
	if f := next(t, done); f.err == nil {
		t.Fatal("first attempt succeeded; want the rate limit")
	}
	if e, _ := db.Effect(ctx, "a"); !e.NextAttemptAt.Equal(start.Add(30 * time.Second)) {
		t.Fatalf("retry due %v; want Retry-After's %v, not the 5s backoff", e.NextAttemptAt, start.Add(30*time.Second))
	}
	clk.BlockUntilTimerAt(start.Add(30 * time.Second))
	clk.Set(start.Add(30 * time.Second))
	if f := next(t, done); f.err != nil || calls != 2 {
		t.Fatalf("retry: %v after %d calls", f.err, calls)
	}
}

// interleaved runs hook once, at the first call of the named method after
// the first claim, before that call reaches the store: the place where an
// effect can slip in between the worker's claim and its sleep.
type interleaved struct {
	store.Outbox
	at   string // "claimed" (after ClaimEffects returns) or "looked" (after NextEffectDue reads)
	once sync.Once
	hook func()
}

func (s *interleaved) ClaimEffects(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Effect, error) {
	es, err := s.Outbox.ClaimEffects(ctx, now, limit, lease)
	if s.at == "claimed" {
		s.once.Do(s.hook)
	}
	return es, err
}

func (s *interleaved) NextEffectDue(ctx context.Context) (time.Time, bool, error) {
	due, ok, err := s.Outbox.NextEffectDue(ctx)
	if s.at == "looked" {
		s.once.Do(s.hook)
	}
	return due, ok, err
}

// An effect committed after the claim found nothing but before the worker
// looks for its next due time, with no Notify (another process added it), is
// claimed at once, without the clock moving. The worker used to wait a
// second for it, which on the fake clock was for ever.
func TestWorkerClaimsAnEffectAddedAfterItsClaim(t *testing.T) {
	var wd *world
	ready := make(chan struct{})
	wd = setupOver(t, map[string]Performer{"k": func(context.Context, store.Effect) ([]byte, error) { return nil, nil }},
		func(db testStore) store.Outbox {
			return &interleaved{Outbox: db, at: "claimed", hook: func() {
				<-ready
				if err := db.AddEffects(context.Background(), store.Effect{Key: "a", Kind: "k", CreatedAt: wd.clk.Now()}); err != nil {
					t.Error(err)
				}
			}}
		})
	close(ready)
	if f := next(t, wd.done); f.e.Key != "a" || f.err != nil {
		t.Fatalf("performed %s %v", f.e.Key, f.err)
	}
}

// A Notify that arrives after the worker looked for its next due time, and
// before it sleeps, wakes it: the notification is kept, not dropped.
func TestWorkerKeepsANotifyThatArrivesBeforeItSleeps(t *testing.T) {
	var wd *world
	ready := make(chan struct{})
	wd = setupOver(t, map[string]Performer{"k": func(context.Context, store.Effect) ([]byte, error) { return nil, nil }},
		func(db testStore) store.Outbox {
			return &interleaved{Outbox: db, at: "looked", hook: func() {
				<-ready
				if err := db.AddEffects(context.Background(), store.Effect{Key: "a", Kind: "k", CreatedAt: wd.clk.Now()}); err != nil {
					t.Error(err)
				}
				wd.w.Notify()
			}}
		})
	close(ready)
	if f := next(t, wd.done); f.e.Key != "a" || f.err != nil {
		t.Fatalf("performed %s %v", f.e.Key, f.err)
	}
}

// A performer that panics (a report renderer tripping on a nil, say) makes
// its effect dead instead of taking the process down, and the worker goes on.
func TestWorkerPanickingPerformerIsDead(t *testing.T) {
	wd := setup(t, map[string]Performer{
		"bad":  func(context.Context, store.Effect) ([]byte, error) { panic("nil report") },
		"good": func(context.Context, store.Effect) ([]byte, error) { return []byte("ok"), nil },
	})
	wd.add(t, store.Effect{Key: "a", Kind: "bad", CreatedAt: wd.clk.Now()})
	if f := next(t, wd.done); f.e.Key != "a" || f.err == nil {
		t.Fatalf("finished %s %v; want a's panic", f.e.Key, f.err)
	}
	if e, _ := wd.db.Effect(context.Background(), "a"); e.State != store.EffectDead || !strings.Contains(e.LastError, "panicked: nil report") {
		t.Fatalf("a: %s %q; want dead with the panic", e.State, e.LastError)
	}
	wd.add(t, store.Effect{Key: "b", Kind: "good", CreatedAt: wd.clk.Now()})
	if f := next(t, wd.done); f.e.Key != "b" || f.err != nil {
		t.Fatalf("after the panic: %s %v", f.e.Key, f.err)
	}
}

// A transient failure is not retried for ever: after MaxAttempts the
// effect is dead with the last error.
func TestWorkerGivesUpAfterMaxAttempts(t *testing.T) {
	db := openStore(t)
	clk := clock.NewFake(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	done := make(chan finished, 10)
	w, err := New(Options{Store: db, Clock: clk, IsTransient: isTransient, MaxAttempts: 2, Jitter: func() float64 { return 0 },
		OnDone:     func(e store.Effect, err error) { done <- finished{e, err} },
		Performers: map[string]Performer{"k": func(context.Context, store.Effect) ([]byte, error) { return nil, transient{errors.New("503")} }}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-stopped; _ = db.Close() })
	if err := db.AddEffects(ctx, store.Effect{Key: "a", Kind: "k", CreatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	w.Notify()
	next(t, done)
	e, _ := db.Effect(ctx, "a")
	if e.State != store.EffectPending {
		t.Fatalf("after one attempt: %s", e.State)
	}
	clk.BlockUntilTimerAt(e.NextAttemptAt)
	clk.Set(e.NextAttemptAt)
	next(t, done)
	if e, _ := db.Effect(ctx, "a"); e.State != store.EffectDead || e.LastError != "gave up after 2 attempts: 503" {
		t.Fatalf("after two attempts: %s %q; want dead", e.State, e.LastError)
	}
}
