package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// Defaults of AlertmanagerRun's pruning.
const (
	// DefaultResolvedAlertRetention keeps a resolved alert a day: long
	// enough that a notification retried late is recognised as older news.
	DefaultResolvedAlertRetention = 24 * time.Hour
	// DefaultStaleAlertRetention forgets a firing alert no Alertmanager
	// has spoken of for a week, long past any resolve_timeout.
	DefaultStaleAlertRetention = 7 * 24 * time.Hour
	// alertPruneEvery spaces the pruning out: it is a sweep, not news.
	alertPruneEvery = time.Hour
)

// AlertmanagerRun keeps the alerts of the notifications the inbox stored
// (Alertmanager stored them): each by its fingerprint, resolved ones
// marked so, then tells the alarm view and OnAlerts.
type AlertmanagerRun struct {
	Alerts store.Alerts
	// View, when set, is told of every alert stored, before OnAlerts: the
	// in-memory view the engine asks (alarms.Alerts).
	View interface{ Apply(changed []store.Alert) }
	// OnAlerts, when set, is called with the alerts a notification stored
	// (news and refreshes alike; older news left out) to wake what they
	// concern. Its error retries the notification, which stores the same
	// alerts again and calls it again.
	OnAlerts func(ctx context.Context, changed []store.Alert) error
	Clock    clock.Clock
	Logger   *slog.Logger
	// ResolvedRetention and StaleRetention override the defaults above.
	ResolvedRetention, StaleRetention time.Duration

	mu         sync.Mutex
	lastPruned time.Time
}

// Handle keeps one stored notification's alerts. A notification that
// cannot be read is dead (it was checked on arrival, so it is not
// Alertmanager's); a store or OnAlerts failure is retried.
func (h *AlertmanagerRun) Handle(ctx context.Context, d store.Delivery) error {
	if h.Alerts == nil {
		return errors.New("Alertmanager notifications: the alert store is required")
	}
	p, err := DecodeAlertmanager(d.Payload)
	if err != nil {
		return fmt.Errorf("decode Alertmanager notification %s: %w", d.ID, err)
	}
	// The time it arrived, not now: a notification retried for a while
	// refreshes its alerts no later than it was sent.
	stored, err := h.Alerts.UpsertAlerts(ctx, p.StoreAlerts(d.ReceivedAt))
	if err != nil {
		return retryable{fmt.Errorf("keep the alerts of Alertmanager notification %s (receiver %s): %w", d.ID, p.Receiver, err)}
	}
	if len(stored) < len(p.Alerts) {
		h.logger().Info("Alertmanager notification older than what Wavegate already had of some alerts; those left as they were",
			"id", d.ID, "receiver", p.Receiver, "alerts", len(p.Alerts), "stored", len(stored))
	}
	if p.TruncatedAlerts > 0 {
		h.logger().Warn("Alertmanager cut alerts from a notification (max_alerts): Wavegate never saw them",
			"id", d.ID, "receiver", p.Receiver, "truncated", p.TruncatedAlerts)
	}
	if len(stored) > 0 {
		if h.View != nil {
			h.View.Apply(stored)
		}
		if h.OnAlerts != nil {
			if err := h.OnAlerts(ctx, stored); err != nil {
				return retryable{fmt.Errorf("act on the alerts of Alertmanager notification %s: %w", d.ID, err)}
			}
		}
	}
	h.prune(ctx)
	return nil
}

// prune deletes old resolved and long-stale alerts, at most hourly; a
// failure is only logged, as the next notification tries again.
func (h *AlertmanagerRun) prune(ctx context.Context) {
	now := h.clock().Now()
	h.mu.Lock()
	if !h.lastPruned.IsZero() && now.Sub(h.lastPruned) < alertPruneEvery {
		h.mu.Unlock()
		return
	}
	h.lastPruned = now
	h.mu.Unlock()
	resolved, stale := h.ResolvedRetention, h.StaleRetention
	if resolved <= 0 {
		resolved = DefaultResolvedAlertRetention
	}
	if stale <= 0 {
		stale = DefaultStaleAlertRetention
	}
	n, err := h.Alerts.PruneAlerts(ctx, now.Add(-resolved), now.Add(-stale))
	if err != nil {
		h.logger().Warn("prune old alerts", "error", err)
		return
	}
	if n > 0 {
		h.logger().Info("pruned old alerts", "deleted", n)
	}
}

func (h *AlertmanagerRun) clock() clock.Clock {
	if h.Clock == nil {
		return clock.Real()
	}
	return h.Clock
}

func (h *AlertmanagerRun) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}
