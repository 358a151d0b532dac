package alarms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
)

// Querier is the part of client_golang's v1.API the Evaluator uses; v1.API
// satisfies it, and tests give a fake.
type Querier interface {
	Query(ctx context.Context, query string, ts time.Time, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error)
}

// EvaluatorConfig configures an Evaluator.
type EvaluatorConfig struct {
	// URL is Prometheus' base URL (--prometheus-url), such as
	// http://prometheus:9090; a user and password in it are sent as basic
	// authentication. Only the operator chooses it: a repository's file
	// chooses queries, never the server they go to.
	URL string
	// API replaces the client made from URL (tests).
	API   Querier
	Clock clock.Clock
	// OnChange is called after each round of evaluations in which a result
	// changed (an alarm fired or cleared, a query's error alarm came or
	// went, a data-point count moved), with the pipelines concerned,
	// sorted, so that the caller plans them again. It runs on Run's
	// goroutine: it should hand the keys over, not plan in place for long.
	OnChange   func(ctx context.Context, keys []pipeline.Key)
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// MaxResponse caps one answer's body (default 8 MiB): a query matching
	// far more series than an alarm needs is refused, not buffered.
	MaxResponse int64
	// Parallel is how many watches are evaluated at once (default 8).
	Parallel int
	// OnRound, when set, is called after each round of Run, once OnChange
	// has returned (tests wait on it instead of sleeping).
	OnRound func()
}

// Evaluator evaluates the Prometheus side of alarms for the targets that
// deploy or bake: each alarms.queries template, each alarms.compare entry
// and the datapoints query, every alarms.interval, and on demand just
// before a deploy starts. It answers the planner from its last results
// (Source, Datapoints), and is safe for concurrent use.
//
// A query that fails keeps its last verdict and is tried again at the next
// evaluation; after alarms.error_limit failures in a row it raises an
// alarm of origin query-error with the error, which holds deploys from
// starting and bakes from ending until a query succeeds again: a
// Prometheus that is down never passes a deploy.
type Evaluator struct {
	api      Querier
	clock    clock.Clock
	onChange func(ctx context.Context, keys []pipeline.Key)
	logger   *slog.Logger
	metrics  evalMetrics
	parallel int

	mu      sync.Mutex
	watches map[watchID]*watchState
	wake    chan struct{}

	// roundDone is EvaluatorConfig.OnRound.
	roundDone func()
}

// NewEvaluator returns an Evaluator; call Run to start its loop.
func NewEvaluator(cfg EvaluatorConfig) (*Evaluator, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxResponse <= 0 {
		cfg.MaxResponse = 8 << 20
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 8
	}
	q := cfg.API
	if q == nil {
		var err error
		if q, err = newPrometheusAPI(cfg.URL, cfg.MaxResponse); err != nil {
			return nil, err
		}
	}
	m, err := newEvalMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Evaluator{api: q, clock: cfg.Clock, onChange: cfg.OnChange, logger: cfg.Logger, metrics: m,
		parallel: cfg.Parallel, watches: map[watchID]*watchState{}, wake: make(chan struct{}, 1), roundDone: cfg.OnRound}, nil
}

// newPrometheusAPI makes client_golang's client for base, with answers
// capped at maxBody bytes.
func newPrometheusAPI(base string, maxBody int64) (v1.API, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL may hold a password: it is not repeated.
		return nil, errors.New("the Prometheus URL must be an http:// or https:// URL with a host, such as http://prometheus:9090")
	}
	c, err := api.NewClient(api.Config{Address: base, RoundTripper: cappedTransport(maxBody)})
	if err != nil {
		return nil, fmt.Errorf("Prometheus client for %s: %w", u.Redacted(), err)
	}
	return v1.NewAPI(c), nil
}

// SetWatches replaces the targets watched. A target already watched keeps
// its results and schedule; a new one is evaluated at once; one left out
// is forgotten, with its alarms and data points: include every target
// that deploys, bakes, or waits to deploy while an alarm holds it, so that
// the alarm is seen to clear.
func (e *Evaluator) SetWatches(ws []Watch) {
	e.mu.Lock()
	now := e.clock.Now()
	next := make(map[watchID]*watchState, len(ws))
	for _, w := range ws {
		id := watchID{w.Key, w.Target}
		st := e.watches[id]
		if st == nil {
			st = next[id]
		}
		if st == nil {
			st = newWatchState(w, now)
		} else {
			st.update(w)
		}
		next[id] = st
	}
	e.watches = next
	e.mu.Unlock()
	e.poke()
}

// update puts in a new version of the watch; the data points of a step are
// not another step's.
func (ws *watchState) update(w Watch) {
	if w.StepKey != ws.w.StepKey {
		ws.dp = nil
	}
	ws.w = w
}

// EvaluateNow evaluates w at once (the check just before its deploy
// starts) and returns the alarms then firing on its target. The watch is
// added to those watched, as SetWatches would, until a SetWatches leaves
// it out. It does not call OnChange: the caller plans with what it
// returns. It fails only when ctx ends.
func (e *Evaluator) EvaluateNow(ctx context.Context, w Watch) ([]pipeline.Alarm, error) {
	id := watchID{w.Key, w.Target}
	e.mu.Lock()
	st := e.watches[id]
	if st == nil {
		st = newWatchState(w, e.clock.Now())
		e.watches[id] = st
	} else {
		st.update(w)
	}
	e.mu.Unlock()
	if _, err := e.evaluateWatch(ctx, id, st, w); err != nil {
		return nil, err
	}
	e.poke() // its next evaluation moved
	e.mu.Lock()
	defer e.mu.Unlock()
	return st.firing(), nil
}

// Run evaluates each watch every interval until ctx ends, on the clock's
// timers, and calls OnChange after each round that changed something.
func (e *Evaluator) Run(ctx context.Context) error {
	for {
		// A poke from before this look at the watches is answered by it.
		select {
		case <-e.wake:
		default:
		}
		now := e.clock.Now()
		due, next := e.due(now)
		if len(due) > 0 {
			e.round(ctx, due)
			if e.roundDone != nil {
				e.roundDone()
			}
			continue
		}
		var timer clock.Timer
		var fire <-chan time.Time
		if !next.IsZero() {
			timer = e.clock.NewTimer(next.Sub(now))
			fire = timer.C()
			// The clock may have passed next since now was read: the
			// timer would then be late by as much.
			if !e.clock.Now().Before(next) {
				timer.Stop()
				continue
			}
		}
		select {
		case <-ctx.Done():
		case <-fire:
		case <-e.wake:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (e *Evaluator) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

type dueWatch struct {
	id watchID
	st *watchState
	w  Watch
}

// due picks the watches whose time has come and schedules their next
// evaluation, from now rather than from the evaluation's end, so that slow
// answers do not stretch the interval; next is the earliest time another
// one comes due.
func (e *Evaluator) due(now time.Time) (due []dueWatch, next time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, st := range e.watches {
		if !st.next.After(now) {
			st.next = now.Add(st.w.interval())
			due = append(due, dueWatch{id, st, st.w})
		}
		if next.IsZero() || st.next.Before(next) {
			next = st.next
		}
	}
	return due, next
}

// round evaluates the due watches, Parallel at a time, then tells
// OnChange which pipelines changed.
func (e *Evaluator) round(ctx context.Context, due []dueWatch) {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		changed = map[pipeline.Key]bool{}
		slots   = make(chan struct{}, e.parallel)
	)
	for _, d := range due {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if c, err := e.evaluateWatch(ctx, d.id, d.st, d.w); err == nil && c {
				mu.Lock()
				changed[d.id.key] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(changed) == 0 || e.onChange == nil || ctx.Err() != nil {
		return
	}
	keys := make([]pipeline.Key, 0, len(changed))
	for k := range changed {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Repository != keys[j].Repository {
			return keys[i].Repository < keys[j].Repository
		}
		return keys[i].Pipeline < keys[j].Pipeline
	})
	e.onChange(ctx, keys)
}

// evaluateWatch evaluates one watch and records the outcome, unless the
// watch was dropped meanwhile or ctx ended (an evaluation cut short by
// shutdown is no error of Prometheus').
func (e *Evaluator) evaluateWatch(ctx context.Context, id watchID, st *watchState, w Watch) (changed bool, err error) {
	select {
	case st.busy <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-st.busy }()
	now := e.clock.Now()
	o := e.evaluate(ctx, w, now)
	if err := ctx.Err(); err != nil {
		return false, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	st.next = now.Add(w.interval())
	changed, notes := st.apply(o)
	for _, n := range notes {
		level := slog.LevelInfo
		if n.warn {
			level = slog.LevelWarn
		}
		e.logger.Log(ctx, level, "prometheus check", "repository", id.key.Repository, "pipeline", id.key.Pipeline,
			"target", id.target, "check", string(n.id.origin)+" "+n.id.name, "org", n.id.org, "says", n.text)
	}
	return changed && e.watches[id] == st, nil
}

// Source answers the planner for one pipeline from the last results.
func (e *Evaluator) Source(key pipeline.Key) pipeline.AlarmSource { return evalAlarms{e, key} }

// Datapoints answers the planner's data-point counts for one pipeline from
// the last results.
func (e *Evaluator) Datapoints(key pipeline.Key) pipeline.DatapointSource {
	return evalDatapoints{e, key}
}

type evalAlarms struct {
	e   *Evaluator
	key pipeline.Key
}

// Firing returns the query, compare and query-error alarms on target.
func (s evalAlarms) Firing(target string) []pipeline.Alarm {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if st := s.e.watches[watchID{s.key, target}]; st != nil {
		return st.firing()
	}
	return nil
}

type evalDatapoints struct {
	e   *Evaluator
	key pipeline.Key
}

// Datapoints returns the step's last count.
func (s evalDatapoints) Datapoints(stepKey string) (pipeline.DatapointCount, bool) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	for id, st := range s.e.watches {
		if id.key == s.key && st.w.StepKey == stepKey && st.dp != nil {
			return *st.dp, true
		}
	}
	return pipeline.DatapointCount{}, false
}
