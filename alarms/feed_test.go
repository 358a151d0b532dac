package alarms

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// newFeed returns a Feed without Prometheus over a fresh view of alerts,
// and the pipelines it planned again, in order.
func newFeed(t *testing.T) (*Feed, *[]pipeline.Key) {
	t.Helper()
	clk := clock.NewFake(t0)
	alerts, _, _ := newView(t, clk)
	var replanned []pipeline.Key
	f, err := NewFeed(FeedConfig{
		Alerts: alerts, Clock: clk, Logger: slog.New(slog.DiscardHandler),
		Replan: func(_ context.Context, key pipeline.Key) error {
			replanned = append(replanned, key)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, &replanned
}

// Without a Prometheus, a pipeline with queries is held by an alarm that
// says so, never deployed unwatched.
func TestFeedWithoutPrometheusHoldsQueriesAndSaysWhy(t *testing.T) {
	f, _ := newFeed(t)
	key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	p := pipeline.Pipeline{Alarms: &pipeline.Alarms{Queries: []pipeline.AlarmQuery{{Name: "errors", Query: "up == 0"}}}}
	in, err := f.PlanInputs(context.Background(), key, p, pipeline.State{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Alarms == nil {
		t.Fatal("no alarm source for a pipeline with queries")
	}
	firing := in.Alarms.Firing("prod")
	if len(firing) != 1 || !strings.Contains(firing[0].Summary, "--prometheus-url") {
		t.Errorf("firing %+v, want one alarm naming --prometheus-url", firing)
	}
	if f.Watchlist() != nil {
		t.Error("a watchlist without a Prometheus to watch with")
	}
}

// An Alertmanager notification plans again the pipelines it concerns, and
// only those: the ones the Feed learnt, whose alarms match.
func TestFeedWakesThePipelinesAnAlertConcerns(t *testing.T) {
	f, replanned := newFeed(t)
	api := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	web := pipeline.Key{Repository: "acme/web", Pipeline: "site"}
	f.Learn(api, pipeline.Pipeline{Alarms: alarmsOf(matcher(t, "service", "=", "api"))}, pipeline.State{}, 1)
	f.Learn(web, pipeline.Pipeline{Alarms: alarmsOf(matcher(t, "service", "=", "web"))}, pipeline.State{}, 1)

	err := f.WakeForAlerts(context.Background(), []store.Alert{alert("a", store.AlertFiring, t0, "service", "api")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(*replanned, []pipeline.Key{api}) {
		t.Errorf("planned again %v, want only %v", *replanned, api)
	}
}

// Load learns the stored pipelines, so that an alert arriving before their
// next save still wakes them.
func TestFeedLoadLearnsStoredPipelines(t *testing.T) {
	f, replanned := newFeed(t)
	api := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	stored := func(_ context.Context, key pipeline.Key) (pipeline.Pipeline, pipeline.State, int64, error) {
		return pipeline.Pipeline{Alarms: alarmsOf(matcher(t, "service", "=", "api"))}, pipeline.State{}, 3, nil
	}
	if err := f.Load(context.Background(), []store.EngineKey{{Repository: api.Repository, Pipeline: api.Pipeline}}, stored); err != nil {
		t.Fatal(err)
	}
	if err := f.WakeForAlerts(context.Background(), []store.Alert{alert("a", store.AlertFiring, t0, "service", "api")}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(*replanned, []pipeline.Key{api}) {
		t.Errorf("planned again %v, want %v", *replanned, api)
	}
}
