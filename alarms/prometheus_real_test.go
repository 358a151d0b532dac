package alarms

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/services"
	"github.com/wavegate/wavegate/pipeline"
)

// testService is a service version abc123 on target prod-1, counting the
// requests it answers in http_requests_total{env,version,code,method}.
// Each scrape of its /metrics first has it answer perScrape requests,
// half of them with 500 while failing: a steady request rate, tied to
// Prometheus' own scrapes, with no load generator.
type testService struct {
	URL string

	mu        sync.Mutex
	failing   bool
	perScrape int
	app       http.Handler
}

func newTestService(t *testing.T) *testService {
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total", Help: "Requests answered.",
	}, []string{"env", "version", "code", "method"})
	reg.MustRegister(requests)
	s := &testService{perScrape: 10}
	n := 0
	s.app = promhttp.InstrumentHandlerCounter(requests.MustCurryWith(prometheus.Labels{"env": "prod-1", "version": "abc123"}),
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n++ // under s.mu: see scrape
			if s.failing && n%2 == 0 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}))
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		for range s.perScrape {
			s.app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		}
		s.mu.Unlock()
		metrics.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *testService) set(failing bool, perScrape int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing, s.perScrape = failing, perScrape
}

func promNonEmpty(v model.Value) bool {
	ss, err := resultSeries(v)
	return err == nil && len(ss) > 0
}

func promEmpty(v model.Value) bool {
	ss, err := resultSeries(v)
	return err == nil && len(ss) == 0
}

func promBelow(limit float64) func(model.Value) bool {
	return func(v model.Value) bool {
		n, ok, err := resultNumber(v, false)
		return err == nil && ok && n < limit
	}
}

// The evaluator against a real Prometheus scraping a real service: the
// fault-rate query fires while errors are served and clears when they
// stop, data points count the version's requests (and say "no data" for a
// version never served), a drop in requests against the hour before the
// deploy fires compare, and a Prometheus that stops answering holds with a
// query-error alarm, then recovers by itself.
func TestAgainstPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus and waits for its scrapes (about 20s)")
	}
	svc := newTestService(t)
	prom := services.StartPrometheus(t, services.PrometheusOptions{Scrape: svc.URL})
	e, err := NewEvaluator(EvaluatorConfig{URL: prom.URL, Clock: clock.Real()})
	if err != nil {
		t.Fatal(err)
	}
	prom.WaitFor(`sum(http_requests_total{env="prod-1"})`, promNonEmpty)
	served := time.Now()

	faultRateQuery := `sum(rate(http_requests_total{env="{{.Target}}",code=~"5.."}[3s])) / sum(rate(http_requests_total{env="{{.Target}}"}[3s])) > 0.01`
	alarms := &pipeline.Alarms{Interval: 15 * time.Second, ErrorLimit: 2,
		Queries: []pipeline.AlarmQuery{{Name: "fault-rate", Query: faultRateQuery}}}
	w := Watch{Key: promKey, Alarms: alarms, Stage: "wave-1", Target: "prod-1", SHA: "abc123", Variant: pipeline.VariantFull}
	rendered, err := renderQuery("fault-rate", faultRateQuery, queryFields{Target: "prod-1"})
	if err != nil {
		t.Fatal(err)
	}
	evaluate := func(w Watch) []pipeline.Alarm {
		t.Helper()
		got, err := e.EvaluateNow(t.Context(), w)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	t.Run("fault rate fires while errors are served, clears when they stop", func(t *testing.T) {
		if got := evaluate(w); len(got) != 0 {
			t.Fatalf("before any error: %+v", got)
		}
		svc.set(true, 10)
		prom.WaitFor(rendered, promNonEmpty)
		got := evaluate(w)
		if len(got) != 1 || got[0].Origin != pipeline.AlarmQueryResult || got[0].Name != "fault-rate" ||
			!regexp.MustCompile(`^\{\} 0\.\d+$`).MatchString(got[0].Summary) {
			t.Fatalf("while failing: %+v", got)
		}
		svc.set(false, 10)
		prom.WaitFor(rendered, promEmpty)
		if got := evaluate(w); len(got) != 0 {
			t.Fatalf("after the errors stopped: %+v", got)
		}
	})

	t.Run("data points count the version's requests", func(t *testing.T) {
		dw := w
		dw.StepKey, dw.DeployStartedAt, dw.DeployFinishedAt = "r1/wave-1/prod-1/full/deploy", served, served
		dw.Datapoints = `sum(increase(http_requests_total{env="{{.Target}}",version="{{.SHA}}",code!~"5.."}[{{.Since}}]))`
		prom.WaitFor(`sum(http_requests_total{version="abc123",code="200"}) > 50`, promNonEmpty)
		evaluate(dw)
		got, ok := e.Datapoints(promKey).Datapoints(dw.StepKey)
		if !ok || got.NoData || got.Err != "" || got.Value < 20 {
			t.Fatalf("Datapoints = %+v, %t; want at least 20", got, ok)
		}
		dw.SHA = "def456" // never served
		evaluate(dw)
		if got, ok := e.Datapoints(promKey).Datapoints(dw.StepKey); !ok || !got.NoData || got.Value != 0 || got.Err != "" {
			t.Fatalf("a version never served: %+v, %t; want no data", got, ok)
		}
	})

	t.Run("a drop in requests against the hour before the deploy", func(t *testing.T) {
		c := pipeline.Compare{Name: "requests", Query: `sum(rate(http_requests_total{env="{{.Target}}"}[3s]))`, MinRatio: 0.5}
		cw := w
		cw.Alarms = &pipeline.Alarms{Interval: 15 * time.Second, ErrorLimit: 2, Compare: []pipeline.Compare{c}}
		now, err := renderQuery(c.Name, c.Query, queryFields{Target: "prod-1"})
		if err != nil {
			t.Fatal(err)
		}
		// The baseline samples every 15s: wait for a sample with data.
		prom.WaitFor(baselineQuery(now), promNonEmpty)
		cw.DeployStartedAt = time.Now()
		cw.DeployFinishedAt = cw.DeployStartedAt
		if got := evaluate(cw); len(got) != 0 {
			t.Fatalf("before the drop: %+v", got)
		}
		svc.set(false, 1)
		prom.WaitFor(now, promBelow(3))
		got := evaluate(cw)
		if len(got) != 1 || got[0].Origin != pipeline.AlarmCompare || got[0].Name != "requests" ||
			!regexp.MustCompile(`^[\d.]+ is 0\.\d\d× the hour before the deploy \([\d.]+\); min 0\.5×$`).MatchString(got[0].Summary) {
			t.Fatalf("after the drop: %+v", got)
		}
		svc.set(false, 10)
	})

	t.Run("Prometheus down holds, then recovers by itself", func(t *testing.T) {
		prom.Stop()
		if got := evaluate(w); len(got) != 0 {
			t.Fatalf("one error of 2: %+v", got)
		}
		got := evaluate(w)
		if len(got) != 1 || got[0].Origin != pipeline.AlarmQueryError ||
			!strings.HasPrefix(got[0].Summary, "2 evaluations in a row failed; the last: ") ||
			!strings.Contains(got[0].Summary, "connection refused") {
			t.Fatalf("two errors of 2: %+v", got)
		}
		prom.Start()
		if got := evaluate(w); len(got) != 0 {
			t.Fatalf("Prometheus is back: %+v", got)
		}
	})
}

func TestNothingListens(t *testing.T) {
	e, err := NewEvaluator(EvaluatorConfig{URL: "http://" + services.FreeAddr(t), Clock: clock.Real()})
	if err != nil {
		t.Fatal(err)
	}
	a := promFaultRate()
	a.ErrorLimit = 1
	got, err := e.EvaluateNow(t.Context(), Watch{Key: promKey, Alarms: a, Target: "prod-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Origin != pipeline.AlarmQueryError || !strings.Contains(got[0].Summary, "connection refused") {
		t.Fatalf("got %+v", got)
	}
}
