package githubapp

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wavegate/wavegate/internal/testlog"
)

func TestMetricsRegisteredAndCounted(t *testing.T) {
	key, pemKey := newKey(t)
	f := newFakeGitHub(t, key, "")
	reg := prometheus.NewRegistry()
	c := newTestClients(t, f, pemKey, func(cfg *Config) { cfg.Registerer = reg })
	// A second Clients on the same registry shares the series instead of panicking.
	c2 := newTestClients(t, f, pemKey, func(cfg *Config) { cfg.Registerer = reg })

	gh, _ := c.Installation(5)
	for range 2 {
		if _, _, err := gh.PullRequests.Get(t.Context(), "o", "r", 12); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c2.App().Apps.Get(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	f.on("GET /repos/o/r/pulls/13", reply{404, nil, `{"message":"Not Found"}`})
	_, _, _ = gh.PullRequests.Get(t.Context(), "o", "r", 13)

	requests := func(method, endpoint, status string) float64 {
		return testutil.ToFloat64(c.metrics.requests.WithLabelValues(method, endpoint, status))
	}
	tests := []struct {
		method, endpoint, status string
		want                     float64
	}{
		{"GET", "/repos/{owner}/{repo}/pulls/{number}", "200", 1},
		{"GET", "/repos/{owner}/{repo}/pulls/{number}", "304", 1},
		{"GET", "/repos/{owner}/{repo}/pulls/{number}", "404", 1},
		{"POST", "/app/installations/{installation_id}/access_tokens", "201", 1},
		{"GET", "/app", "200", 1}, // from the second Clients
	}
	for _, tt := range tests {
		if got := requests(tt.method, tt.endpoint, tt.status); got != tt.want {
			t.Errorf("wavegate_github_requests_total{%s %s %s} = %v, want %v", tt.method, tt.endpoint, tt.status, got, tt.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "wavegate_github_requests_total"); n != len(tests) {
		t.Errorf("%d request series, want %d", n, len(tests))
	}
	if c.metrics.requests != c2.metrics.requests {
		t.Error("second Clients on the same registry did not adopt the registered counter")
	}
	// Per-Clients tallies stay separate even though the series are shared.
	if n := callsOf(c.Calls(), "GET", "/app", "200"); n != 0 {
		t.Errorf("first Clients counted the second one's call")
	}
}

func TestRemainingGaugeFollowsGitHub(t *testing.T) {
	f := newFakeGitHub(t, nil, "")
	f.on("GET /search/issues", reply{200, map[string]string{"X-RateLimit-Remaining": "29", "X-RateLimit-Resource": "search"}, `{}`})
	f.on("GET /repos/o/r", reply{200, map[string]string{"X-RateLimit-Remaining": "4321", "X-RateLimit-Resource": "core"}, `{}`})
	reg := prometheus.NewRegistry()
	gh := NewAnonymous(Config{BaseURL: f.baseURL(), Clock: newFakeClock(), Registerer: reg})
	if _, _, err := gh.Search.Issues(t.Context(), "x", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Repositories.Get(t.Context(), "o", "r"); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP wavegate_github_rate_limit_remaining Requests left in the current GitHub rate-limit window, as last reported by GitHub.
# TYPE wavegate_github_rate_limit_remaining gauge
wavegate_github_rate_limit_remaining{resource="core"} 4321
wavegate_github_rate_limit_remaining{resource="search"} 29
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "wavegate_github_rate_limit_remaining"); err != nil {
		t.Error(err)
	}
}

func TestNoSecretsInDebugLogs(t *testing.T) {
	key, pemKey := newKey(t)
	f := newFakeGitHub(t, key, "")
	var buf testlog.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newTestClients(t, f, pemKey, func(cfg *Config) { cfg.Logger = logger })

	gh, _ := c.Installation(3)
	if _, _, err := gh.Repositories.Get(t.Context(), "o", "r"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.App().Apps.Get(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	anon := NewAnonymous(Config{BaseURL: f.baseURL(), Clock: newFakeClock(), Logger: logger})
	_, _, _ = anon.Apps.CompleteAppManifest(t.Context(), "one-time-code-123")

	out := buf.String()
	for _, want := range []string{
		"endpoint=/app/installations/{installation_id}/access_tokens",
		"endpoint=/repos/{owner}/{repo}",
		"endpoint=/app ",
		"endpoint=/app-manifests/{code}/conversions",
		"scope=installation:3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %q; log:\n%s", want, out)
		}
	}
	jwts := f.issuedJWTs()
	if len(jwts) == 0 {
		t.Fatal("no JWT was issued, so the JWT check below would prove nothing")
	}
	secrets := append([]string{testToken, "PRIVATE KEY", "one-time-code-123", "Authorization", "Bearer"}, jwts...)
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("debug log contains %q", s)
		}
	}
}
