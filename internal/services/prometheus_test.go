package services

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
)

// The starter's options reach Prometheus: rule files are evaluated (an
// alert that always fires shows in ALERTS) and the Alertmanager target is
// in the configuration it runs with.
func TestStartPrometheusWithRulesAndAlertmanager(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	am := FreeAddr(t)
	p := StartPrometheus(t, PrometheusOptions{
		Rules:        []string{"groups:\n  - name: test\n    rules:\n      - alert: AlwaysFiring\n        expr: vector(1)\n"},
		Alertmanager: am,
	})
	p.WaitFor(`ALERTS{alertname="AlwaysFiring",alertstate="firing"}`, func(v model.Value) bool {
		vec, ok := v.(model.Vector)
		return ok && len(vec) == 1
	})
	cfg, err := p.API().Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cfg.YAML, am) {
		t.Fatalf("the running configuration lacks the Alertmanager %s:\n%s", am, cfg.YAML)
	}
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %s is not on loopback", p.URL)
	}
}

func TestPrometheusConfig(t *testing.T) {
	got, err := prometheusConfig(t.TempDir(), PrometheusOptions{Scrape: "http://127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"scrape_interval: 1s", "evaluation_interval: 1s", "job_name: service", `targets: ["127.0.0.1:8080"]`} {
		if !strings.Contains(got, want) {
			t.Errorf("configuration lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "alerting:") || strings.Contains(got, "rule_files:") {
		t.Errorf("alerting or rules without asking:\n%s", got)
	}
	if _, err := prometheusConfig(t.TempDir(), PrometheusOptions{Scrape: "127.0.0.1:8080"}); err == nil {
		t.Error("a scrape target without a scheme was accepted")
	}
}
