package app

import (
	"context"
	"fmt"
	"net/http"

	"github.com/wavegate/wavegate/alarms"
	"github.com/wavegate/wavegate/handlers"
)

// buildAlertmanager builds the Alertmanager intake, the inbox handler
// that keeps the alerts it stored, and the view of firing alerts the
// engine asks.
func (a *App) buildAlertmanager() error {
	var err error
	a.alerts, err = alarms.NewAlerts(alarms.AlertsConfig{Clock: a.opts.Clock, Logger: a.opts.Logger, Registerer: a.registry})
	if err != nil {
		return err
	}
	a.alertmanager, err = handlers.NewAlertmanager(handlers.AlertmanagerConfig{
		Token: []byte(a.cfg.AlertmanagerToken), Inbox: a.inbox,
		Clock: a.opts.Clock, Logger: a.opts.Logger, Registerer: a.registry,
	})
	if err != nil {
		return err
	}
	a.alertmanagerRun = &handlers.AlertmanagerRun{Alerts: a.store, View: a.alerts, Clock: a.opts.Clock, Logger: a.opts.Logger}
	return nil
}

// loadAlerts fills the view with the alerts firing when Wavegate stopped.
func (a *App) loadAlerts(ctx context.Context) error {
	if err := a.alerts.Load(ctx, a.store); err != nil {
		return fmt.Errorf("load the Alertmanager alerts firing: %w", err)
	}
	return nil
}

// alertmanagerRoutes serves POST /webhooks/alertmanager within the body
// budget the other webhooks share.
func (a *App) alertmanagerRoutes(mux *http.ServeMux, budget *handlers.BodyBudget) {
	mux.Handle("/webhooks/alertmanager", budget.Limit(handlers.MaxAlertmanagerBody, a.alertmanager))
}

// Alerts is the view of the Alertmanager alerts firing.
func (a *App) Alerts() *alarms.Alerts { return a.alerts }
