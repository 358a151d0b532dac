package githubapp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/internal/clock"
)

// CallCount is how many requests with one method, endpoint template and
// status ("200", "304", "error" for a transport failure) left the process.
type CallCount struct {
	Method   string
	Endpoint string
	Status   string
	N        int
}

type callKey struct{ method, endpoint, status string }

// tally keeps per-Clients counts. The Prometheus counter may be shared by
// several Clients on one registry, so it cannot answer "what did this one do".
type tally struct {
	mu sync.Mutex
	n  map[callKey]int
}

func newTally() *tally { return &tally{n: make(map[callKey]int)} }

func (t *tally) add(k callKey) {
	t.mu.Lock()
	t.n[k]++
	t.mu.Unlock()
}

func (t *tally) snapshot() []CallCount {
	t.mu.Lock()
	out := make([]CallCount, 0, len(t.n))
	for k, n := range t.n {
		out = append(out, CallCount{Method: k.method, Endpoint: k.endpoint, Status: k.status, N: n})
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b CallCount) int {
		return cmp.Or(cmp.Compare(a.Endpoint, b.Endpoint), cmp.Compare(a.Method, b.Method), cmp.Compare(a.Status, b.Status))
	})
	return out
}

type metrics struct {
	requests  *prometheus.CounterVec
	remaining *prometheus.GaugeVec
}

// newMetrics creates the collectors and registers them on reg. A second
// Clients on the same registry adopts the collectors already there instead of
// failing, so both feed the same series.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_github_requests_total",
			Help: "GitHub API requests sent, by method, endpoint template and status (\"error\" for transport failures).",
		}, []string{"method", "endpoint", "status"}),
		remaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wavegate_github_rate_limit_remaining",
			Help: "Requests left in the current GitHub rate-limit window, as last reported by GitHub.",
		}, []string{"resource"}),
	}
	if reg == nil {
		return m, nil
	}
	if err := reg.Register(m.requests); err != nil {
		existing, ok := adopt[*prometheus.CounterVec](err)
		if !ok {
			return nil, fmt.Errorf("githubapp: register wavegate_github_requests_total: %w", err)
		}
		m.requests = existing
	}
	if err := reg.Register(m.remaining); err != nil {
		existing, ok := adopt[*prometheus.GaugeVec](err)
		if !ok {
			return nil, fmt.Errorf("githubapp: register wavegate_github_rate_limit_remaining: %w", err)
		}
		m.remaining = existing
	}
	return m, nil
}

func adopt[T prometheus.Collector](err error) (T, bool) {
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		c, ok := are.ExistingCollector.(T)
		return c, ok
	}
	var zero T
	return zero, false
}

// count is the innermost layer: it sees every request that really goes to
// the network, installation token requests included.
type count struct {
	next     http.RoundTripper
	scope    string
	basePath string
	clock    clock.Clock
	logger   *slog.Logger
	metrics  *metrics
	tally    *tally
}

func (c *count) RoundTrip(req *http.Request) (*http.Response, error) {
	start := c.clock.Now()
	endpoint := normalizeEndpoint(relativePath(req.URL, c.basePath))
	resp, err := c.next.RoundTrip(req)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
		c.observeRemaining(resp.Header)
	}
	c.metrics.requests.WithLabelValues(req.Method, endpoint, status).Inc()
	c.tally.add(callKey{req.Method, endpoint, status})
	c.log(req.Context(), req.Method, endpoint, status, c.clock.Now().Sub(start), err)
	return resp, err
}

func (c *count) observeRemaining(h http.Header) {
	v := h.Get("X-Ratelimit-Remaining")
	if v == "" {
		return
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return
	}
	c.metrics.remaining.WithLabelValues(resourceLabel(h.Get("X-Ratelimit-Resource"))).Set(n)
}

// resourceLabel keeps the label bounded even if a proxy sends nonsense: GitHub
// names its resources with short lowercase words.
func resourceLabel(s string) string {
	if s == "" {
		return "core"
	}
	if len(s) > 32 {
		return "other"
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return "other"
		}
	}
	return s
}

// log writes only what identifies the call: never headers, whose
// Authorization carries the token or the JWT, nor the raw path, which for the
// manifest exchange carries a one-time code.
func (c *count) log(ctx context.Context, method, endpoint, status string, d time.Duration, err error) {
	if !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("scope", c.scope),
		slog.String("method", method),
		slog.String("endpoint", endpoint),
		slog.String("status", status),
		slog.Duration("duration", d),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "github call", attrs...)
}
