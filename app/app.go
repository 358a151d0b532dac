// Package app wires Wavegate together: configuration, the store, GitHub
// clients, HTTP routes, inbox workers and graceful shutdown. It is the only
// package that knows every other one.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wavegate/wavegate/alarms"
	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/deploy"
	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/engine"
	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/handlers"
	"github.com/wavegate/wavegate/internal/appcreds"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/inbox"
	"github.com/wavegate/wavegate/internal/outbox"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
	"github.com/wavegate/wavegate/web"
)

// DatabaseFile is the SQLite file's name inside the data directory.
const DatabaseFile = "wavegate.db"

// OpenStore opens the database at path: the one place that picks the store's
// implementation, so everything else depends on store.Store alone.
func OpenStore(ctx context.Context, path string) (store.Store, error) {
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		// Not st: a nil *sqlite.Store would make a non-nil store.Store.
		return nil, err
	}
	return st, nil
}

// OpenAuditLog opens the existing database at path read-only, to read its
// audit log beside (or without) a running server.
func OpenAuditLog(ctx context.Context, path string) (store.AuditLogReader, error) {
	r, err := sqlite.OpenAuditLogReader(ctx, path)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Options are the parts tests replace.
type Options struct {
	Clock  clock.Clock
	Logger *slog.Logger
	// WebClock times the web pages' sign-in sessions; Clock when nil (the
	// demo runs Clock fast and this one at a person's pace).
	WebClock clock.Clock
	// GitHubTransport performs GitHub calls; http.DefaultTransport when nil.
	GitHubTransport http.RoundTripper
	// Jitter for retry backoff; random when nil.
	Jitter func() float64
	// OnDeliveryOutcome is told what became of each processing attempt
	// (tests wait on it instead of sleeping).
	OnDeliveryOutcome func(inbox.Outcome)
	// InboxPoll overrides how long idle inbox workers wait unprompted
	// (inbox.Options.Poll).
	InboxPoll time.Duration
	// OnEffectDone is told each performed outbox effect (tests wait on it).
	OnEffectDone func(store.Effect, error)
	// OnSlackWait is told when a Slack call waits for its channel's next
	// slot, and until when (tests move the clock to it).
	OnSlackWait func(until time.Time)
	// OnEngineSaved is told each saved engine decision (tests wait on it).
	OnEngineSaved func(pipeline.Key, pipeline.Result)
	// OnAlarmRound is told each round of Prometheus evaluations, once the
	// pipelines it changed are planned again (tests move the clock a round
	// at a time).
	OnAlarmRound func()
	// SlackResponseURLAllowed says where answers to Slack commands may be
	// posted; nil for Slack's hooks hosts only (tests answer on loopback).
	SlackResponseURLAllowed func(*url.URL) bool
	// Leases, when set, is how long inbox and outbox claims last: wavegate
	// demo's fast clock would end the defaults within a second.
	Leases time.Duration
	// Routes, when set, adds handlers beside the app's own (wavegate demo's pages).
	Routes func(*http.ServeMux)
	// WorkDir is where command deployers without a dir: run and their
	// relative programs are found; the process's working directory when
	// empty.
	WorkDir string
}

// App is a running Wavegate.
type App struct {
	cfg         Config
	opts        Options
	store       store.Store
	registry    *prometheus.Registry
	creds       *appcreds.Live
	inbox       *inbox.Processor
	router      *handlers.Router
	runner      *engine.Runner
	engine      *effects.EngineStore
	deploys     *effects.Deploys
	permissions *githubapp.Permissions
	roles       githubapp.ActorRoles // what commands are authorized against
	commands    commandrun.Runner
	effects     *outbox.Worker
	handler     http.Handler
	deployers   map[string]deploy.Command // the operator's, by name
	slack       *handlers.Slack
	slackRun    *handlers.SlackRun
	// Alertmanager's intake, the handler that keeps its alerts, and the
	// view of those firing (alertmanager.go).
	alertmanager    *handlers.Alertmanager
	alertmanagerRun *handlers.AlertmanagerRun
	alerts          *alarms.Alerts
	alarms          *alarms.Feed
	// live feeds the pages' live updates; its streams end when the
	// server shuts down, which does not cancel their requests.
	live *web.Live
	// slackThreads finds releases' Slack messages for the pages; nil
	// without Slack.
	slackThreads *effects.SlackThreads
	// links are where reports and the release pages point on GitHub.
	links effects.Links
}

// New opens the store and builds every component; nothing runs until Serve.
func New(ctx context.Context, cfg Config, opts Options) (*App, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, opts: opts, registry: prometheus.NewRegistry()}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if err := checkFiles(cfg); err != nil {
		return nil, err
	}
	dbPath := filepath.Join(cfg.DataDir, DatabaseFile)
	st, err := OpenStore(ctx, dbPath)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", dbPath, err)
	}
	a.store = st
	steps := []func() error{
		a.build,
		func() error { return a.loadAlarmPipelines(ctx) },
		func() error { return a.loadAlerts(ctx) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			_ = st.Close()
			return nil, err
		}
	}
	a.creds.FillSlug(ctx, a.opts.Logger)
	return a, nil
}

func (a *App) build() error {
	var err error
	if err := a.loadCredentials(); err != nil {
		return err
	}
	if c := a.creds.Current(); c.Complete() {
		a.opts.Logger.Info("GitHub App credentials loaded", "app_id", c.AppID, "slug", c.Slug)
	} else {
		a.opts.Logger.Warn("GitHub App not configured: serving the setup flow at / to holders of the setup token", "missing", c.Missing())
	}

	if a.opts.WorkDir == "" {
		if a.opts.WorkDir, err = os.Getwd(); err != nil {
			return fmt.Errorf("working directory: %w", err)
		}
	}
	for _, w := range a.cfg.Warnings() {
		a.opts.Logger.Warn(w)
	}
	if err := a.buildDeployers(); err != nil {
		return err
	}
	a.permissions = githubapp.NewPermissions(a.opts.Clock, 0, 0)
	if err := a.buildEngine(); err != nil {
		return err
	}
	if err := a.buildCommands(); err != nil {
		return err
	}
	a.router = handlers.NewRouter(a.opts.Logger)
	if err := a.registerEventHandlers(); err != nil {
		return err
	}
	a.inbox, err = inbox.New(inbox.Options{
		Store: a.store, Handler: inbox.HandlerFunc(a.handleDelivery), Clock: a.opts.Clock, Logger: a.opts.Logger,
		Registerer: a.registry, Workers: a.cfg.Workers, Retention: a.cfg.Retention,
		IsTransient: func(err error) bool { return githubapp.IsTransient(err) || handlers.IsRetryable(err) },
		RetryAt: func(err error) (time.Time, bool) {
			return githubapp.RetryAt(err, a.opts.Clock.Now())
		},
		ReleaseOnStart: true,
		Jitter:         a.opts.Jitter,
		OnOutcome:      a.opts.OnDeliveryOutcome,
		Poll:           a.opts.InboxPoll,
		Lease:          a.opts.Leases,
	})
	if err != nil {
		return fmt.Errorf("build inbox workers: %w", err)
	}
	if err := a.buildSlackCommands(); err != nil {
		return err
	}
	if err := a.buildAlertmanager(); err != nil {
		return err
	}
	if err := a.wireAlarms(); err != nil {
		return err
	}
	a.handler, err = a.routes()
	return err
}

// githubConfig is the GitHub client configuration without credentials.
func (a *App) githubConfig() githubapp.Config {
	return githubapp.Config{
		BaseURL: a.cfg.GitHubAPIURL, Clock: a.opts.Clock, Registerer: a.registry,
		Logger: a.opts.Logger, Base: a.opts.GitHubTransport,
	}
}

// Handler is the HTTP handler, for tests that drive it directly.
func (a *App) Handler() http.Handler { return a.handler }

// Router routes stored deliveries to event handlers; later features and
// tests register on it.
func (a *App) Router() *handlers.Router { return a.router }

// GitHub returns the GitHub clients in force, or an error before setup.
func (a *App) GitHub() (*githubapp.Clients, error) { return a.creds.GitHub() }

// Store is the store, for tests and benchmarks.
func (a *App) Store() store.Store { return a.store }

// Run listens on cfg.Listen and serves until ctx ends.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		_ = a.store.Close()
		return fmt.Errorf("listen on %s: %w", a.cfg.Listen, err)
	}
	return a.Serve(ctx, ln)
}

// Serve serves HTTP on ln and runs the inbox workers until ctx ends, then
// shuts down gracefully: stop accepting, let requests and in-flight
// deliveries finish (or hand them back to the inbox), close the database.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	log := a.opts.Logger
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // a 25 MiB payload on a slow link
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	for what, run := range map[string]func(context.Context) error{
		"inbox workers": a.inbox.Run, "engine": a.runner.Run, "outbox worker": a.effects.Run,
	} {
		wg.Go(func() {
			if err := run(workCtx); err != nil {
				log.Error(what+" stopped", "error", err)
			}
		})
	}
	wg.Go(func() { a.alarms.Run(workCtx) })
	a.runSocketMode(workCtx, &wg)
	if a.live != nil {
		srv.RegisterOnShutdown(a.live.Close)
	}
	a.creds.LogSetupURL(log, a.cfg.PublicURL, ln.Addr()) // before serving: a page served implies it was logged
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("Wavegate listening", "address", ln.Addr().String())

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("serve HTTP: %w", err)
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(shutdownCtx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		log.Warn("HTTP shutdown incomplete", "error", serr)
	}
	stopWork()
	wg.Wait()
	if cerr := a.store.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close database: %w", cerr))
	}
	log.Info("stopped")
	return err
}
