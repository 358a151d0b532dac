package inbox

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/store"
)

type metrics struct {
	processedTotal *prometheus.CounterVec
	deadTotal      *prometheus.CounterVec
	retriedTotal   *prometheus.CounterVec
	attemptSeconds *prometheus.HistogramVec
	latencySeconds *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, inbox store.Inbox) (*metrics, error) {
	m := &metrics{
		processedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_deliveries_processed_total",
			Help: "Webhook deliveries processed successfully (or deliberately ignored), by event.",
		}, []string{"event"}),
		deadTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_deliveries_dead_total",
			Help: "Webhook deliveries that failed permanently, by event.",
		}, []string{"event"}),
		retriedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_deliveries_retried_total",
			Help: "Attempts that failed transiently and were scheduled again, by event.",
		}, []string{"event"}),
		attemptSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wavegate_delivery_processing_seconds",
			Help:    "Time one processing attempt of a delivery took, by event.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
		}, []string{"event"}),
		latencySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wavegate_delivery_latency_seconds",
			Help:    "Time from receipt to successful processing of a delivery, by event.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
		}, []string{"event"}),
	}
	if reg == nil {
		return m, nil
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wavegate_inbox_depth",
		Help: "Deliveries waiting or being processed.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := inbox.Depth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	for _, c := range []prometheus.Collector{m.processedTotal, m.deadTotal, m.retriedTotal, m.attemptSeconds, m.latencySeconds, depth} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) processed(event string, latency time.Duration) {
	m.processedTotal.WithLabelValues(event).Inc()
	m.latencySeconds.WithLabelValues(event).Observe(latency.Seconds())
}

func (m *metrics) dead(event string)    { m.deadTotal.WithLabelValues(event).Inc() }
func (m *metrics) retried(event string) { m.retriedTotal.WithLabelValues(event).Inc() }

func (m *metrics) observeAttempt(event string, d time.Duration) {
	m.attemptSeconds.WithLabelValues(event).Observe(d.Seconds())
}
