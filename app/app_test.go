package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/handlers"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/internal/inbox"
	"github.com/wavegate/wavegate/serverconfig"
	"github.com/wavegate/wavegate/store"
)

const testSecret = "webhook-secret-for-tests"

// running is one Wavegate process serving on loopback against a fake GitHub.
type running struct {
	t        *testing.T
	cfg      Config
	fake     *githubfake.Server
	clock    *clock.Fake
	app      *App
	url      string
	outcomes chan inbox.Outcome
	cancel   context.CancelFunc
	done     chan error
}

// newConfig returns a configuration for a fresh data directory; configured
// gives it App credentials.
func newConfig(t *testing.T, fake *githubfake.Server, configured bool) Config {
	cfg := serverconfig.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.GitHubAPIURL = fake.URL()
	cfg.ShutdownTimeout = 5 * time.Second
	if configured {
		cfg.GitHubAppID = 1
		cfg.GitHubPrivateKey = string(githubfake.AppKeyPEM(t))
		cfg.GitHubWebhookSecret = testSecret
	}
	return cfg
}

// start builds and serves an App; register may add event handlers first.
func start(t *testing.T, cfg Config, fake *githubfake.Server, clk *clock.Fake, register func(*App)) *running {
	t.Helper()
	return startWith(t, cfg, fake, clk, Options{}, register)
}

// startWith is start with more options.
func startWith(t *testing.T, cfg Config, fake *githubfake.Server, clk *clock.Fake, opts Options, register ...func(*App)) *running {
	t.Helper()
	r := &running{t: t, cfg: cfg, fake: fake, clock: clk, outcomes: make(chan inbox.Outcome, 100)}
	opts.Clock, opts.Jitter = clk, func() float64 { return 0 }
	opts.OnDeliveryOutcome = func(o inbox.Outcome) { r.outcomes <- o }
	opts.InboxPoll = 24 * time.Hour // timers here come from due times only
	a, err := New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	r.app = a
	for _, reg := range register {
		if reg != nil {
			reg(a)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.url = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	go func() { r.done <- a.Serve(ctx, ln) }()
	t.Cleanup(r.stop)
	return r
}

func (r *running) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		r.t.Errorf("serve: %v", err)
	}
}

func (r *running) deliver(event, id, payload string) int {
	r.t.Helper()
	resp, err := githubfake.Deliver(context.Background(), r.url+"/webhooks/github", []byte(testSecret), event, id, []byte(payload))
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (r *running) next() inbox.Outcome {
	r.t.Helper()
	select {
	case o := <-r.outcomes:
		return o
	case <-time.After(10 * time.Second): // a deadlock guard, not a wait for time to pass
		r.t.Fatal("no delivery outcome within 10s")
		return inbox.Outcome{}
	}
}

func (r *running) get(path string) (int, string) {
	r.t.Helper()
	resp, err := http.Get(r.url + path)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const pushPayload = `{"ref":"refs/heads/main","after":"abc","installation":{"id":1},"repository":{"id":9,"name":"api","full_name":"acme/api","owner":{"login":"acme"}}}`

// fetchRepo is a push handler that calls GitHub, standing in for the
// features that will: it makes GitHub's failures the delivery's failures.
func fetchRepo(a *App) {
	a.Router().On("push", func(ctx context.Context, ev handlers.Event) error {
		gh, err := a.GitHub()
		if err != nil {
			return err
		}
		client, err := gh.Installation(ev.Delivery.InstallationID)
		if err != nil {
			return err
		}
		_, _, err = client.Repositories.Get(ctx, "acme", "api")
		return err
	})
}

func newFake(t *testing.T) *githubfake.Server {
	fake := githubfake.New(t)
	fake.AddInstallation(1, "acme")
	fake.AddRepo("acme", "api", githubfake.RepoOpts{InstallationID: 1, DefaultBranch: "main"})
	return fake
}

func TestDeliveryStoredProcessedOnce(t *testing.T) {
	fake := newFake(t)
	r := start(t, newConfig(t, fake, true), fake, clock.NewFake(time.Now()), nil)
	created := `{"action":"created","installation":{"id":1,"account":{"login":"acme","type":"Organization"}},"repositories":[{"id":9,"full_name":"acme/api"}]}`
	if code := r.deliver("installation", "d-1", created); code != http.StatusAccepted {
		t.Fatalf("first delivery: %d", code)
	}
	if code := r.deliver("installation", "d-1", created); code != http.StatusOK {
		t.Fatalf("duplicate delivery: %d, want 200", code)
	}
	if o := r.next(); o.Delivery.ID != "d-1" || o.State != store.DeliveryDone {
		t.Fatalf("outcome %s %s %v", o.Delivery.ID, o.State, o.Err)
	}
	// A later delivery's outcome arriving next proves the duplicate was not processed.
	if code := r.deliver("pull_request", "d-2", `{"action":"closed","repository":{"full_name":"acme/api"}}`); code != http.StatusAccepted {
		t.Fatal(code)
	}
	if o := r.next(); o.Delivery.ID != "d-2" {
		t.Fatalf("next outcome is %s, want d-2", o.Delivery.ID)
	}
	if id, err := r.app.Store().InstallationForRepository(context.Background(), "acme/api"); err != nil || id != 1 {
		t.Fatalf("installation table: %d %v", id, err)
	}
}

func TestTransientGitHubFailureRetried(t *testing.T) {
	fake := newFake(t)
	clk := clock.NewFake(time.Now())
	r := start(t, newConfig(t, fake, true), fake, clk, fetchRepo)
	fake.FailNext(http.MethodGet, "/repos/{owner}/{repo}", githubfake.Fault{Status: http.StatusBadGateway, Times: 1})
	r.deliver("push", "d-1", pushPayload)
	o := r.next()
	if o.State != store.DeliveryPending || !o.NextAttempt.Equal(clk.Now().Add(time.Second)) {
		t.Fatalf("after a 502: %s retry at %v (%v); want pending, retried in 1s", o.State, o.NextAttempt, o.Err)
	}
	clk.BlockUntilTimerAt(o.NextAttempt)
	clk.Set(o.NextAttempt)
	if o := r.next(); o.State != store.DeliveryDone {
		t.Fatalf("retry ended %s: %v", o.State, o.Err)
	}
	if n := fake.Count(http.MethodGet, "/repos/{owner}/{repo}"); n != 2 {
		t.Fatalf("GET repo called %d times, want 2", n)
	}
}

func TestSecondaryRateLimitHonoured(t *testing.T) {
	fake := newFake(t)
	clk := clock.NewFake(time.Now())
	r := start(t, newConfig(t, fake, true), fake, clk, fetchRepo)
	fake.FailNext(http.MethodGet, "/repos/{owner}/{repo}", githubfake.Fault{
		Status: http.StatusForbidden, Times: 1,
		Header: http.Header{"Retry-After": {"90"}},
		Body:   `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`,
	})
	limitedAt := clk.Now()
	r.deliver("push", "d-1", pushPayload)
	o := r.next()
	if want := limitedAt.Add(90 * time.Second); o.State != store.DeliveryPending || !o.NextAttempt.Equal(want) {
		t.Fatalf("after a secondary limit: %s retry at %v, want %v (%v)", o.State, o.NextAttempt, want, o.Err)
	}
	clk.BlockUntilTimerAt(o.NextAttempt)
	clk.Set(o.NextAttempt)
	if o := r.next(); o.State != store.DeliveryDone {
		t.Fatalf("retry ended %s: %v", o.State, o.Err)
	}
	if n := fake.Count(http.MethodGet, "/repos/{owner}/{repo}"); n != 2 {
		t.Fatalf("GET repo called %d times, want 2 (none while limited)", n)
	}
}

func TestMalformedPayloadIsDeadAndCounted(t *testing.T) {
	fake := newFake(t)
	r := start(t, newConfig(t, fake, true), fake, clock.NewFake(time.Now()), nil)
	if code := r.deliver("push", "d-bad", `{"ref":`); code != http.StatusAccepted {
		t.Fatalf("status %d", code)
	}
	if o := r.next(); o.State != store.DeliveryDead || !strings.Contains(o.Err.Error(), "parse push payload") {
		t.Fatalf("outcome %s %v", o.State, o.Err)
	}
	if code, _ := r.deliver("push", "d-ok", pushPayload), 0; code != http.StatusAccepted {
		t.Fatal(code)
	}
	if o := r.next(); o.State != store.DeliveryDone {
		t.Fatalf("a good delivery after a dead one: %s", o.State)
	}
	_, metrics := r.get("/metrics")
	for _, want := range []string{
		`wavegate_deliveries_dead_total{event="push"} 1`,
		`wavegate_deliveries_processed_total{event="push"} 1`,
		`wavegate_webhook_deliveries_received_total{event="push"} 2`,
		"wavegate_delivery_processing_seconds_bucket",
		"wavegate_inbox_depth 0",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestRestartResumesInterruptedDelivery(t *testing.T) {
	fake := newFake(t)
	cfg := newConfig(t, fake, true)
	clk := clock.NewFake(time.Now())
	entered := make(chan struct{})
	first := start(t, cfg, fake, clk, func(a *App) {
		a.Router().On("push", func(ctx context.Context, _ handlers.Event) error {
			close(entered)
			<-ctx.Done() // still working when the process is told to stop
			return ctx.Err()
		})
	})
	first.deliver("push", "d-1", pushPayload)
	<-entered
	first.cancel()
	first.cancel = nil
	grace := clk.Now().Add(10 * time.Second)
	clk.BlockUntilTimerAt(grace)
	clk.Set(grace)
	if err := <-first.done; err != nil {
		t.Fatal(err)
	}
	if o := first.next(); o.State != store.DeliveryPending {
		t.Fatalf("interrupted delivery: %s, want handed back", o.State)
	}

	calls := 0
	second := start(t, cfg, fake, clk, func(a *App) {
		a.Router().On("push", func(context.Context, handlers.Event) error { calls++; return nil })
	})
	if o := second.next(); o.Delivery.ID != "d-1" || o.State != store.DeliveryDone {
		t.Fatalf("after restart: %s %s", o.Delivery.ID, o.State)
	}
	second.stop()
	if calls != 1 {
		t.Fatalf("processed %d times after restart, want 1", calls)
	}
}

func TestDatabaseThatCannotBeOpened(t *testing.T) {
	fake := newFake(t)
	cfg := newConfig(t, fake, true)
	dbPath := filepath.Join(cfg.DataDir, DatabaseFile)
	if err := os.Mkdir(dbPath, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := New(context.Background(), cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), dbPath) {
		t.Fatalf("err %v, want it to name the database path", err)
	}
}

func TestOperationsEndpoints(t *testing.T) {
	fake := newFake(t)
	r := start(t, newConfig(t, fake, true), fake, clock.NewFake(time.Now()), nil)
	if code, body := r.get("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz %d %q", code, body)
	}
	code, body := r.get("/readyz")
	if code != 200 || !strings.Contains(body, `"schema_version":`) || !strings.Contains(body, `"github_app_configured":true`) {
		t.Fatalf("/readyz %d %s", code, body)
	}
	if err := r.app.store.Close(); err != nil {
		t.Fatal(err)
	}
	if code, _ := r.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with a closed database: %d, want 503", code)
	}
}
