package alarms

import (
	"fmt"
	"io"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// evalMetrics are the Evaluator's own metrics.
type evalMetrics struct {
	queries  *prometheus.CounterVec
	duration prometheus.Histogram
}

func newEvalMetrics(reg prometheus.Registerer) (evalMetrics, error) {
	m := evalMetrics{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_prometheus_queries_total",
			Help: "Prometheus queries Wavegate evaluated for alarms, compare entries and data points, by outcome (ok, error, timeout).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wavegate_prometheus_query_duration_seconds",
			Help:    "Time Prometheus took to answer one query, errors and timeouts included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.queries, m.duration} {
		if err := reg.Register(c); err != nil {
			return evalMetrics{}, fmt.Errorf("register Prometheus query metrics: %w", err)
		}
	}
	return m, nil
}

// cappedTransport is the default transport with every answer's body capped
// at max bytes: the caller reads a body whole before decoding it.
func cappedTransport(max int64) http.RoundTripper {
	return capRoundTripper{rt: http.DefaultTransport.(*http.Transport).Clone(), max: max}
}

type capRoundTripper struct {
	rt  http.RoundTripper
	max int64
}

func (c capRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: c.max, max: c.max}
	return resp, nil
}

type cappedBody struct {
	rc        io.ReadCloser
	left, max int64
}

var _ io.ReadCloser = (*cappedBody)(nil)

func (b *cappedBody) Read(p []byte) (int, error) {
	// Read one byte past the cap, to tell "exactly max" from "more".
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, fmt.Errorf("Prometheus' answer is larger than %d KiB: make the query return fewer series", b.max>>10)
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
