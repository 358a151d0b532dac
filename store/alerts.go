package store

import (
	"context"
	"time"
)

// AlertStatus is an Alertmanager alert's status as last notified.
type AlertStatus string

// Alert statuses, as Alertmanager spells them.
const (
	AlertFiring   AlertStatus = "firing"
	AlertResolved AlertStatus = "resolved"
)

// Alert is one Alertmanager alert as Wavegate was last told of it.
type Alert struct {
	// Fingerprint identifies the alert across notifications: Alertmanager
	// derives it from the labels.
	Fingerprint  string
	Status       AlertStatus
	Labels       map[string]string
	Annotations  map[string]string
	StartsAt     time.Time
	EndsAt       time.Time // zero while firing
	GeneratorURL string
	// ReceivedAt is when the notification that last told of the alert
	// arrived: an alert not refreshed for long is treated as resolved.
	ReceivedAt time.Time
}

// Alerts keeps the Alertmanager alerts Wavegate was sent, by fingerprint.
type Alerts interface {
	// UpsertAlerts stores alerts by fingerprint in one transaction, all or
	// none. An alert received before the one stored under its fingerprint
	// is older news (a notification retried behind a later one) and is
	// left out. It returns the alerts stored, in the order given. An alert
	// without a fingerprint, a status or a ReceivedAt is refused.
	UpsertAlerts(ctx context.Context, alerts []Alert) ([]Alert, error)
	// FiringAlerts returns the alerts stored as firing, by fingerprint.
	FiringAlerts(ctx context.Context) ([]Alert, error)
	// PruneAlerts deletes resolved alerts received before resolvedBefore
	// and firing ones received before firingBefore (long stale: no
	// Alertmanager has spoken of them since), and says how many.
	PruneAlerts(ctx context.Context, resolvedBefore, firingBefore time.Time) (int, error)
}
