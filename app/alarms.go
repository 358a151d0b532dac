package app

import (
	"context"
	"fmt"
	"time"

	"github.com/wavegate/wavegate/alarms"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// noPrometheus is what a pipeline whose queries this Wavegate cannot
// evaluate is told, in its reports.
const noPrometheus = "this Wavegate has no Prometheus to evaluate the pipeline's queries (--prometheus-url)"

// wireAlarms feeds the engine the alarms firing on its pipelines and their
// data points, wakes the pipelines an Alertmanager notification concerns
// at once, and has Prometheus watch what deploys and bakes.
func (a *App) wireAlarms() error {
	a.alarmPipelines = alarms.NewPipelines()
	a.alarmsSince = a.opts.Clock.Now()
	if a.cfg.PrometheusURL != "" {
		ev, err := alarms.NewEvaluator(alarms.EvaluatorConfig{URL: a.cfg.PrometheusURL, Clock: a.opts.Clock,
			OnChange: a.wakeForQueries, Logger: a.opts.Logger, Registerer: a.registry})
		if err != nil {
			return fmt.Errorf("Prometheus evaluator: %w", err)
		}
		a.evaluator, a.watchlist = ev, alarms.NewWatchlist(ev)
	}
	a.runner.Inputs = a.planInputs
	a.runner.Saved = func(key pipeline.Key, p pipeline.Pipeline, res pipeline.Result, version int64) {
		a.learnPipeline(key, p, res.State, version)
	}
	a.alertmanagerRun.OnAlerts = a.wakeForAlerts
	return nil
}

// learnPipeline keeps what the alarm sources need of a pipeline in force.
func (a *App) learnPipeline(key pipeline.Key, p pipeline.Pipeline, st pipeline.State, version int64) {
	a.alarmPipelines.Set(key, p)
	if a.watchlist != nil {
		a.watchlist.Set(key, alarms.WatchesOf(key, p, st), version)
	}
}

// planInputs is what the planner is told besides the state: the alerts
// firing that the pipeline's (or its organization's) alarms match, and
// its queries' alarms and data points. A target about to be watched for
// the first time (its stage starts) is evaluated now, so that its deploy
// never starts on results not yet asked for.
func (a *App) planInputs(ctx context.Context, key pipeline.Key, p pipeline.Pipeline, st pipeline.State) (pipeline.Inputs, error) {
	var in pipeline.Inputs
	var fromAlerts, fromQueries pipeline.AlarmSource
	if p.Alarms != nil || p.OrgAlarms != nil {
		fromAlerts = a.alerts.Source(alarms.KeyString(key), p.Alarms, p.OrgAlarms)
	}
	if alarms.Evaluates(p) {
		if a.evaluator == nil {
			var dp pipeline.DatapointSource
			fromQueries, dp = alarms.Unavailable(noPrometheus, a.alarmsSince)
			if p.Alarms == nil || (len(p.Alarms.Queries) == 0 && len(p.Alarms.Compare) == 0) {
				fromQueries = nil // data points only: they wait, and say why
			}
			in.Datapoints = dp
		} else {
			for _, w := range alarms.WatchesOf(key, p, st) {
				if a.watchlist.Watched(key, w.Target) {
					continue
				}
				if _, err := a.evaluator.EvaluateNow(ctx, w); err != nil {
					return in, fmt.Errorf("evaluate the alarms of %s before its deploy: %w", w.Target, err)
				}
			}
			fromQueries, in.Datapoints = a.evaluator.Source(key), a.evaluator.Datapoints(key)
		}
	}
	in.Alarms = alarms.Combine(fromAlerts, fromQueries)
	return in, nil
}

// wakeForAlerts plans again, now, each pipeline the alerts concern: a
// firing alert holds its next deploys or rolls back the one it hurts, a
// resolved one lets the held go.
func (a *App) wakeForAlerts(ctx context.Context, changed []store.Alert) error {
	for _, key := range a.alarmPipelines.Concerned(a.alerts, changed) {
		if _, err := a.runner.Apply(ctx, key, nil); err != nil {
			return fmt.Errorf("plan pipeline %s of %s after an alert: %w", key.Pipeline, key.Repository, err)
		}
	}
	return nil
}

// wakeForQueries plans again the pipelines whose query results changed.
// A pipeline that fails to plan is left to its next wake-up, and logged.
func (a *App) wakeForQueries(ctx context.Context, keys []pipeline.Key) {
	for _, key := range keys {
		if _, err := a.runner.Apply(ctx, key, nil); err != nil && ctx.Err() == nil {
			a.opts.Logger.Error("plan pipeline after its queries changed", "repository", key.Repository, "pipeline", key.Pipeline, "error", err)
		}
	}
}

// loadAlarmPipelines fills the alarm sources' knowledge from the stored
// engine states, so that alerts arriving before a pipeline's next save
// still wake it, and what bakes is watched from the start.
func (a *App) loadAlarmPipelines(ctx context.Context) error {
	keys, err := a.store.EngineKeys(ctx, "")
	if err != nil {
		return fmt.Errorf("list pipelines for their alarms: %w", err)
	}
	for _, k := range keys {
		key := pipeline.Key{Repository: k.Repository, Pipeline: k.Pipeline}
		p, st, version, err := a.engine.LoadWithPipeline(ctx, key)
		if err != nil {
			return fmt.Errorf("load pipeline %s of %s for its alarms: %w", key.Pipeline, key.Repository, err)
		}
		a.learnPipeline(key, p, st, version)
	}
	return nil
}

// sweepEvery is how often alerts are looked at for staleness.
const sweepEvery = time.Minute

// runAlertSweeper plans again, each minute, the pipelines whose alerts went
// stale (Alertmanager stopped refreshing them): they are treated as
// resolved, and a deploy they held must not wait for a notification that
// will not come.
func (a *App) runAlertSweeper(ctx context.Context) {
	seen := map[string]time.Time{}
	for {
		timer := a.opts.Clock.NewTimer(sweepEvery)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C():
		}
		for _, key := range a.alarmPipelines.Sweep(a.alerts, seen) {
			if _, err := a.runner.Apply(ctx, key, nil); err != nil && ctx.Err() == nil {
				a.opts.Logger.Error("plan pipeline after its alert went stale", "repository", key.Repository, "pipeline", key.Pipeline, "error", err)
			}
		}
	}
}

// runEvaluator evaluates the watched queries until ctx ends.
func (a *App) runEvaluator(ctx context.Context) error {
	if a.evaluator == nil {
		return nil
	}
	return a.evaluator.Run(ctx)
}
