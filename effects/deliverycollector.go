package effects

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/delivery"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// DeliveryCollector exports the four delivery metrics over the last 30
// days, as the metrics page computes them, read from the release history
// at each scrape: a gauge per pipeline, so that a dashboard and the page
// agree.
type DeliveryCollector struct {
	history store.History
	clock   clock.Clock
	timeout time.Duration

	deploysPerDay, changeFailure, leadTime, restore *prometheus.Desc
	scrapeErrors                                    prometheus.Counter
}

// DeliveryWindow is the window the collector's gauges cover.
const DeliveryWindow = delivery.Month

// NewDeliveryCollector reads history at each scrape with clk's time.
func NewDeliveryCollector(history store.History, clk clock.Clock) *DeliveryCollector {
	labels := []string{"repository", "pipeline"}
	return &DeliveryCollector{history: history, clock: clk, timeout: 5 * time.Second,
		deploysPerDay: prometheus.NewDesc("wavegate_delivery_deploys_per_day",
			"Releases that finished the last stage over the last 30 days, per day.", labels, nil),
		changeFailure: prometheus.NewDesc("wavegate_delivery_change_failure_ratio",
			"Releases that failed in a deploy stage over those released or failed, over the last 30 days.", labels, nil),
		leadTime: prometheus.NewDesc("wavegate_delivery_lead_time_seconds",
			"Lead time from a release's creation to its release over the last 30 days, by quantile (0.5, 0.9).", append(labels, "quantile"), nil),
		restore: prometheus.NewDesc("wavegate_delivery_time_to_restore_seconds",
			"Median time from a stage's failure to the next release succeeding there, over the last 30 days.", labels, nil),
		scrapeErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "wavegate_delivery_scrape_errors_total",
			Help: "Scrapes whose release history could not be read; their delivery gauges are missing."}),
	}
}

// Describe sends the descriptors.
func (c *DeliveryCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.deploysPerDay, c.changeFailure, c.leadTime, c.restore} {
		ch <- d
	}
	c.scrapeErrors.Describe(ch)
}

// Collect reads the history of the window and sends a gauge per pipeline;
// a pipeline with no release and no restore in the window has none.
func (c *DeliveryCollector) Collect(ch chan<- prometheus.Metric) {
	defer c.scrapeErrors.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	now := c.clock.Now()
	rows, err := c.history.ReleaseHistory(ctx, now.Add(-DeliveryWindow))
	if err != nil {
		c.scrapeErrors.Inc()
		return
	}
	for _, m := range delivery.Compute(rows, DeliveryWindow, now) {
		ch <- prometheus.MustNewConstMetric(c.deploysPerDay, prometheus.GaugeValue, m.DeploysPerDay, m.Repository, m.Pipeline)
		ch <- prometheus.MustNewConstMetric(c.changeFailure, prometheus.GaugeValue, m.ChangeFailureRate, m.Repository, m.Pipeline)
		if m.Released > 0 {
			ch <- prometheus.MustNewConstMetric(c.leadTime, prometheus.GaugeValue, m.LeadTimeP50.Seconds(), m.Repository, m.Pipeline, "0.5")
			ch <- prometheus.MustNewConstMetric(c.leadTime, prometheus.GaugeValue, m.LeadTimeP90.Seconds(), m.Repository, m.Pipeline, "0.9")
		}
		if m.Restored > 0 {
			ch <- prometheus.MustNewConstMetric(c.restore, prometheus.GaugeValue, m.RestoreP50.Seconds(), m.Repository, m.Pipeline)
		}
	}
}
