package alarms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// NoPrometheus is what a pipeline whose queries this Wavegate cannot
// evaluate is told, in its reports.
const NoPrometheus = "this Wavegate has no Prometheus to evaluate the pipeline's queries (--prometheus-url)"

// StaleSweepEvery is how often alerts are looked at for staleness.
const StaleSweepEvery = time.Minute

// FeedConfig is what a Feed is built from.
type FeedConfig struct {
	// Alerts is the view of the Alertmanager alerts firing.
	Alerts *Alerts
	// Prometheus, when set, is the evaluator to build for the pipelines'
	// queries (its OnChange is the Feed's); without it a pipeline with
	// queries is held, and told why.
	Prometheus *EvaluatorConfig
	// Replan plans a pipeline again at once (the engine's runner).
	Replan func(ctx context.Context, key pipeline.Key) error
	Clock  clock.Clock  // the wall clock when nil
	Logger *slog.Logger // discarded when nil
}

// Feed connects the alarm sources to the engine: it tells the planner the
// alarms firing on a pipeline and its data points (PlanInputs), keeps what
// the sources need of each pipeline in force (Learn), and plans a
// pipeline again at once when an Alertmanager notification concerns it,
// its queries' results change, or its alerts go stale.
type Feed struct {
	cfg       FeedConfig
	pipelines *Pipelines
	evaluator *Evaluator // nil without Prometheus
	watchlist *Watchlist // nil without Prometheus
	since     time.Time  // when this Wavegate started, for the no-Prometheus alarm
}

// NewFeed builds a Feed and, when configured, its Prometheus evaluator.
func NewFeed(cfg FeedConfig) (*Feed, error) {
	if cfg.Replan == nil {
		return nil, errors.New("alarms feed: no Replan")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Feed{cfg: cfg, pipelines: NewPipelines(), since: cfg.Clock.Now()}
	if cfg.Prometheus != nil {
		ec := *cfg.Prometheus
		ec.OnChange = f.wakeForQueries
		ev, err := NewEvaluator(ec)
		if err != nil {
			return nil, fmt.Errorf("Prometheus evaluator: %w", err)
		}
		f.evaluator, f.watchlist = ev, NewWatchlist(ev)
	}
	return f, nil
}

// Watchlist is what Prometheus watches, nil without Prometheus (tests).
func (f *Feed) Watchlist() *Watchlist { return f.watchlist }

// Learn keeps what the alarm sources need of a pipeline in force: called
// with each saved engine state.
func (f *Feed) Learn(key pipeline.Key, p pipeline.Pipeline, st pipeline.State, version int64) {
	f.pipelines.Set(key, p)
	if f.watchlist != nil {
		f.watchlist.Set(key, WatchesOf(key, p, st), version)
	}
}

// StoredPipeline loads a pipeline with saved engine state.
type StoredPipeline func(ctx context.Context, key pipeline.Key) (pipeline.Pipeline, pipeline.State, int64, error)

// Load learns every pipeline with a saved engine state, so that alerts
// arriving before a pipeline's next save still wake it, and what bakes is
// watched from the start.
func (f *Feed) Load(ctx context.Context, keys []store.EngineKey, load StoredPipeline) error {
	for _, k := range keys {
		key := pipeline.Key{Repository: k.Repository, Pipeline: k.Pipeline}
		p, st, version, err := load(ctx, key)
		if err != nil {
			return fmt.Errorf("load pipeline %s of %s for its alarms: %w", key.Pipeline, key.Repository, err)
		}
		f.Learn(key, p, st, version)
	}
	return nil
}

// PlanInputs is what the planner is told besides the state: the alerts
// firing that the pipeline's (or its organization's) alarms match, and
// its queries' alarms and data points. A target about to be watched for
// the first time (its stage starts) is evaluated now, so that its deploy
// never starts on results not yet asked for.
func (f *Feed) PlanInputs(ctx context.Context, key pipeline.Key, p pipeline.Pipeline, st pipeline.State) (pipeline.Inputs, error) {
	var in pipeline.Inputs
	var fromAlerts, fromQueries pipeline.AlarmSource
	if p.Alarms != nil || p.OrgAlarms != nil {
		fromAlerts = f.cfg.Alerts.Source(KeyString(key), p.Alarms, p.OrgAlarms)
	}
	if Evaluates(p) {
		if f.evaluator == nil {
			var dp pipeline.DatapointSource
			fromQueries, dp = Unavailable(NoPrometheus, f.since)
			if p.Alarms == nil || (len(p.Alarms.Queries) == 0 && len(p.Alarms.Compare) == 0) {
				fromQueries = nil // data points only: they wait, and say why
			}
			in.Datapoints = dp
		} else {
			for _, w := range WatchesOf(key, p, st) {
				if f.watchlist.Watched(key, w.Target) {
					continue
				}
				if _, err := f.evaluator.EvaluateNow(ctx, w); err != nil {
					return in, fmt.Errorf("evaluate the alarms of %s before its deploy: %w", w.Target, err)
				}
			}
			fromQueries, in.Datapoints = f.evaluator.Source(key), f.evaluator.Datapoints(key)
		}
	}
	in.Alarms = Combine(fromAlerts, fromQueries)
	return in, nil
}

// WakeForAlerts plans again, now, each pipeline the alerts concern: a
// firing alert holds its next deploys or rolls back the one it hurts, a
// resolved one lets the held go.
func (f *Feed) WakeForAlerts(ctx context.Context, changed []store.Alert) error {
	for _, key := range f.pipelines.Concerned(f.cfg.Alerts, changed) {
		if err := f.cfg.Replan(ctx, key); err != nil {
			return fmt.Errorf("plan pipeline %s of %s after an alert: %w", key.Pipeline, key.Repository, err)
		}
	}
	return nil
}

// wakeForQueries plans again the pipelines whose query results changed.
// A pipeline that fails to plan is left to its next wake-up, and logged.
func (f *Feed) wakeForQueries(ctx context.Context, keys []pipeline.Key) {
	for _, key := range keys {
		f.replanLogged(ctx, key, "plan pipeline after its queries changed")
	}
}

func (f *Feed) replanLogged(ctx context.Context, key pipeline.Key, what string) {
	if err := f.cfg.Replan(ctx, key); err != nil && ctx.Err() == nil {
		f.cfg.Logger.Error(what, "repository", key.Repository, "pipeline", key.Pipeline, "error", err)
	}
}

// Run evaluates the watched queries, when there is a Prometheus, and
// sweeps stale alerts, until ctx ends. An evaluator that stops early is
// logged; the sweep goes on.
func (f *Feed) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if f.evaluator != nil {
		wg.Go(func() {
			if err := f.evaluator.Run(ctx); err != nil && ctx.Err() == nil {
				f.cfg.Logger.Error("Prometheus evaluator stopped", "error", err)
			}
		})
	}
	f.sweep(ctx)
	wg.Wait()
}

// sweep plans again, each minute, the pipelines whose alerts went stale
// (Alertmanager stopped refreshing them): they are treated as resolved,
// and a deploy they held must not wait for a notification that will not
// come.
func (f *Feed) sweep(ctx context.Context) {
	seen := map[string]time.Time{}
	for {
		timer := f.cfg.Clock.NewTimer(StaleSweepEvery)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C():
		}
		for _, key := range f.pipelines.Sweep(f.cfg.Alerts, seen) {
			f.replanLogged(ctx, key, "plan pipeline after its alert went stale")
		}
	}
}
