package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"
)

// Defaults of BodyBudgetConfig.
const (
	DefaultBodyBudget      = 256 << 20
	DefaultBodyBudgetWait  = 3 * time.Second
	DefaultBodyReadTimeout = 30 * time.Second
)

// BodyBudgetConfig configures a BodyBudget.
type BodyBudgetConfig struct {
	// Bytes is how many request-body bytes may be held in memory at once,
	// across every endpoint that reads a body (default DefaultBodyBudget).
	Bytes int64
	// Wait is how long a request that would exceed the budget waits for
	// room before it is answered 503 (default DefaultBodyBudgetWait).
	Wait time.Duration
	// ReadTimeout bounds reading one body once its room is reserved, so that
	// a sender trickling bytes cannot hold the budget for long
	// (default DefaultBodyReadTimeout).
	ReadTimeout time.Duration
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
}

// BodyBudget bounds the body bytes in flight across all requests. Bodies are
// read whole before their signature can be checked, so without a bound a
// few dozen forged 25 MiB requests exhaust memory; with it, they wait their
// turn, then get 503 and Retry-After, and signed work keeps its share.
type BodyBudget struct {
	cfg      BodyBudgetConfig
	sem      *semaphore.Weighted
	inFlight prometheus.Gauge
	refused  prometheus.Counter
}

// NewBodyBudget returns a budget; its metrics are registered on cfg.Registerer.
func NewBodyBudget(cfg BodyBudgetConfig) (*BodyBudget, error) {
	if cfg.Bytes <= 0 {
		cfg.Bytes = DefaultBodyBudget
	}
	if cfg.Wait <= 0 {
		cfg.Wait = DefaultBodyBudgetWait
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultBodyReadTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b := &BodyBudget{
		cfg: cfg,
		sem: semaphore.NewWeighted(cfg.Bytes),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wavegate_request_body_bytes_reserved",
			Help: "Request-body bytes reserved by requests being read now.",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wavegate_request_body_budget_refused_total",
			Help: "Requests answered 503 because the body budget had no room in time.",
		}),
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{b.inFlight, b.refused} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("register body budget metrics: %w", err)
			}
		}
	}
	return b, nil
}

// Limit wraps an endpoint whose bodies are at most maxBody bytes. It reserves
// the declared length (maxBody when undeclared) before next runs and frees
// it when next returns; the body cannot be read past what was reserved. A
// body declared larger than maxBody reserves nothing and reads nothing, so
// next refuses it as too large without holding any room.
func (b *BodyBudget) Limit(maxBody int64, next http.Handler) http.Handler {
	if maxBody > b.cfg.Bytes {
		// One body larger than the whole budget could never be read.
		maxBody = b.cfg.Bytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := reservation(r.ContentLength, maxBody)
		if n == 0 {
			r.Body = http.MaxBytesReader(w, r.Body, 0)
			next.ServeHTTP(w, r)
			return
		}
		if err := b.acquire(r.Context(), n); err != nil {
			b.refused.Inc()
			b.cfg.Logger.Warn("request refused: request-body budget full",
				"path", r.URL.Path, "remote", r.RemoteAddr, "declared_bytes", r.ContentLength, "error", err)
			w.Header().Set("Retry-After", strconv.Itoa(int(max(1, b.cfg.Wait.Round(time.Second).Seconds()))))
			writeText(w, http.StatusServiceUnavailable, "too many large requests are being read; try again shortly")
			return
		}
		defer b.release(n)
		// Best effort: a ResponseWriter that cannot set deadlines (a test
		// recorder) is read under the server's own ReadTimeout instead.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(b.cfg.ReadTimeout))
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

// reservation is how many bytes a body may need: its declared length, or
// maxBody when it declares none; 0 when it declares more than maxBody.
func reservation(declared, maxBody int64) int64 {
	switch {
	case declared < 0:
		return maxBody
	case declared > maxBody:
		return 0
	case declared == 0:
		// Room for nothing is still room: an empty body must not slip past
		// MaxBytesReader's zero limit as "too large".
		return 1
	default:
		return declared
	}
}

func (b *BodyBudget) acquire(ctx context.Context, n int64) error {
	if b.sem.TryAcquire(n) {
		b.inFlight.Add(float64(n))
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Wait)
	defer cancel()
	if err := b.sem.Acquire(ctx, n); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no room for %d bytes within %s", n, b.cfg.Wait)
		}
		return err
	}
	b.inFlight.Add(float64(n))
	return nil
}

func (b *BodyBudget) release(n int64) {
	b.inFlight.Sub(float64(n))
	b.sem.Release(n)
}

// readBody reads a body whose declared length is known into one buffer of
// that size: io.ReadAll's doubling would hold up to twice the bytes (and
// leave the garbage behind), which the budget does not count.
func readBody(body io.Reader, declared int64) ([]byte, error) {
	if declared < 0 {
		return io.ReadAll(body)
	}
	buf := make([]byte, declared)
	if _, err := io.ReadFull(body, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("body shorter than its declared %d bytes: %w", declared, err)
		}
		return nil, err
	}
	// A body longer than declared is cut by net/http itself; nothing to check.
	return buf, nil
}
