package app

import (
	"context"
	"fmt"

	"github.com/wavegate/wavegate/alarms"
	"github.com/wavegate/wavegate/pipeline"
)

// wireAlarms has the alarms feed the engine: the alarms firing on its
// pipelines and their data points, a pipeline planned again at once when
// an Alertmanager notification concerns it, and Prometheus watching what
// deploys and bakes.
func (a *App) wireAlarms() error {
	cfg := alarms.FeedConfig{
		Alerts: a.alerts, Clock: a.opts.Clock, Logger: a.opts.Logger,
		Replan: func(ctx context.Context, key pipeline.Key) error {
			_, err := a.runner.Apply(ctx, key, nil)
			return err
		},
	}
	if a.cfg.PrometheusURL != "" {
		cfg.Prometheus = &alarms.EvaluatorConfig{URL: a.cfg.PrometheusURL, Clock: a.opts.Clock,
			Logger: a.opts.Logger, Registerer: a.registry, OnRound: a.opts.OnAlarmRound}
	}
	var err error
	if a.alarms, err = alarms.NewFeed(cfg); err != nil {
		return err
	}
	a.runner.Inputs = a.alarms.PlanInputs
	a.runner.Saved = func(key pipeline.Key, p pipeline.Pipeline, res pipeline.Result, version int64) {
		a.alarms.Learn(key, p, res.State, version)
	}
	a.alertmanagerRun.OnAlerts = a.alarms.WakeForAlerts
	return nil
}

// loadAlarmPipelines has the alarms learn every pipeline with a saved
// engine state.
func (a *App) loadAlarmPipelines(ctx context.Context) error {
	keys, err := a.store.EngineKeys(ctx, "")
	if err != nil {
		return fmt.Errorf("list pipelines for their alarms: %w", err)
	}
	return a.alarms.Load(ctx, keys, a.engine.LoadWithPipeline)
}
