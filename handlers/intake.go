package handlers

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// Enqueuer stores a verified delivery in the inbox: the store itself (with
// a Notify to wake the workers), or the inbox processor, which also sees
// that the delivery is worked.
type Enqueuer interface {
	Enqueue(ctx context.Context, d store.Delivery) (store.Enqueued, error)
}

// intakeDefaults fills what an intake endpoint (GitHub, Slack,
// Alertmanager) may be given: no one to wake, the real clock, no log.
func intakeDefaults(notify *func(), clk *clock.Clock, logger **slog.Logger) {
	if *notify == nil {
		*notify = func() {}
	}
	if *clk == nil {
		*clk = clock.Real()
	}
	if *logger == nil {
		*logger = slog.New(slog.DiscardHandler)
	}
}

// registerAll registers an endpoint's metrics on reg, when there is one.
func registerAll(reg prometheus.Registerer, what string, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register %s metrics: %w", what, err)
		}
	}
	return nil
}
