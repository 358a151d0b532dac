package handlers

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/internal/clock"
)

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
