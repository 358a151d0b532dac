package app

import (
	"context"
	"fmt"

	"github.com/wavegate/wavegate/alarms"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// wireAlarms feeds the engine the alarms firing on its pipelines, and
// wakes the pipelines an Alertmanager notification concerns at once.
func (a *App) wireAlarms() {
	a.alarmPipelines = alarms.NewPipelines()
	a.runner.Inputs = a.planInputs
	a.runner.Saved = func(key pipeline.Key, p pipeline.Pipeline, _ pipeline.Result) {
		a.alarmPipelines.Set(key, p)
	}
	a.alertmanagerRun.OnAlerts = a.wakeForAlerts
}

// planInputs is what the planner is told besides the state: the alerts
// firing that the pipeline's (or its organization's) alarms match.
func (a *App) planInputs(_ context.Context, key pipeline.Key, p pipeline.Pipeline) (pipeline.Inputs, error) {
	var in pipeline.Inputs
	if p.Alarms != nil || p.OrgAlarms != nil {
		in.Alarms = a.alerts.Source(alarms.KeyString(key), p.Alarms, p.OrgAlarms)
	}
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

// loadAlarmPipelines fills the index of alarms sections from the stored
// engine states, so that alerts arriving before a pipeline's next save
// still wake it.
func (a *App) loadAlarmPipelines(ctx context.Context) error {
	keys, err := a.store.EngineKeys(ctx, "")
	if err != nil {
		return fmt.Errorf("list pipelines for their alarms: %w", err)
	}
	for _, k := range keys {
		key := pipeline.Key{Repository: k.Repository, Pipeline: k.Pipeline}
		p, _, _, err := a.engine.LoadWithPipeline(ctx, key)
		if err != nil {
			return fmt.Errorf("load pipeline %s of %s for its alarms: %w", key.Pipeline, key.Repository, err)
		}
		a.alarmPipelines.Set(key, p)
	}
	return nil
}
