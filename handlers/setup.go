package handlers

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wavegate/wavegate/internal/appcreds"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/templates"
)

// SetupConfig wires the App-manifest setup flow: the first run, without
// credentials, registers Wavegate's GitHub App from a web page.
type SetupConfig struct {
	Manifest  []byte // app.yml contents
	PublicURL string // --public-url; empty: derived from each request
	WebURL    string // GitHub web base: https://github.com or a GHES host
	Org       string // --github-org: register the App under this organization
	// Exchange trades the callback's one-time code for the App's credentials
	// (see ExchangeManifestCode). Its error is shown to the user: no secrets.
	Exchange func(ctx context.Context, code string) (appcreds.Credentials, error)
	// Registered saves c and puts it in force; reloaded=false means saved
	// but only a restart will use them.
	Registered func(ctx context.Context, c appcreds.Credentials) (reloaded bool, err error)
	// Configured reports whether credentials are in force, and which App.
	Configured func() (ConfiguredApp, bool)
	// Token is the one-time setup token printed at start and kept in
	// TokenFile: only a visitor who presents it may register an App, so
	// that whoever reaches a fresh instance first cannot make it theirs.
	// Empty: nobody may.
	Token string
	// TokenFile is where the operator finds Token; the page names it.
	TokenFile string
	Clock     clock.Clock
	Logger    *slog.Logger
}

// ConfiguredApp is the App whose credentials are in force.
type ConfiguredApp struct {
	ID   int64
	Slug string // empty when GitHub could not tell it
}

// name is how pages refer to the App.
func (a ConfiguredApp) name() string {
	if a.Slug != "" {
		return a.Slug
	}
	return fmt.Sprintf("with id %d", a.ID)
}

// Setup serves the setup pages. Once an App is registered it refuses to
// register another: working credentials are never replaced from the web.
type Setup struct {
	cfg      SetupConfig
	manifest appManifest
	webURL   *url.URL
	pages    *template.Template
	states   *setupStates
	key      setupKey

	mu sync.Mutex
	// busy is set while one callback exchanges its code, so that two
	// callbacks racing cannot create two Apps and save one over the other.
	busy bool
	// registered holds what this process registered, for when Configured
	// cannot say so yet (saved, waiting for a restart).
	registered *appcreds.Credentials
	restart    bool
}

// exchangeTimeout bounds the GitHub call and the save after it. They do not
// follow the browser's request context: once GitHub has created the App, a
// closed tab must not lose its only copy of the private key.
const exchangeTimeout = time.Minute

// NewSetup checks the configuration, app.yml and the page templates once.
func NewSetup(cfg SetupConfig) (*Setup, error) {
	switch {
	case cfg.Exchange == nil:
		return nil, errors.New("setup: Exchange is nil")
	case cfg.Registered == nil:
		return nil, errors.New("setup: Registered is nil")
	case cfg.Configured == nil:
		return nil, errors.New("setup: Configured is nil")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := parseManifest(cfg.Manifest)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	web, err := gitHubWebURL(cfg.WebURL)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("setup: public URL %q: want an absolute http(s) URL", cfg.PublicURL)
		}
	}
	if strings.ContainsAny(cfg.Org, "/?#% ") {
		return nil, fmt.Errorf("setup: GitHub organization %q is not an organization login", cfg.Org)
	}
	pages, err := template.ParseFS(templates.Files(), "web/*.html")
	if err != nil {
		return nil, fmt.Errorf("setup: parse page templates: %w", err)
	}
	return &Setup{cfg: cfg, manifest: m, webURL: web, pages: pages, states: newSetupStates(), key: newSetupKey(cfg.Token)}, nil
}

// Routes registers GET and POST / and GET /setup/callback (HEAD comes with
// GET; the mux answers other methods 405).
func (s *Setup) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.serveHome)
	mux.HandleFunc("POST /{$}", s.serveTokenForm)
	mux.HandleFunc("GET "+SetupCallbackPath, s.serveCallback)
}

// pending returns the App this process registered, for when Configured does
// not report it (yet): saved, but in force only after a restart.
func (s *Setup) pending() (c appcreds.Credentials, restart, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.registered == nil {
		return appcreds.Credentials{}, false, false
	}
	return *s.registered, s.restart, true
}

// configuredOrPending reports whether an App is registered, in force or
// awaiting a restart; from then on the setup token is void.
func (s *Setup) configuredOrPending() bool {
	if _, ok := s.cfg.Configured(); ok {
		return true
	}
	_, _, ok := s.pending()
	return ok
}

func (s *Setup) serveHome(w http.ResponseWriter, r *http.Request) {
	if app, ok := s.cfg.Configured(); ok {
		if _, err := r.Cookie(setupCookie); err == nil {
			http.SetCookie(w, expiredCookie())
		}
		page := configuredPage{Title: "Running", Name: app.name(), InstallURL: s.installURL(app.Slug)}
		if public, _, err := publicURL(s.cfg.PublicURL, r); err == nil {
			page.WebhookURL = public + manifestWebhookPath
		}
		s.render(w, r, http.StatusOK, "configured.html", page)
		return
	}
	if c, restart, ok := s.pending(); ok {
		s.render(w, r, http.StatusOK, "setup-done.html", s.donePage(c, restart))
		return
	}
	if r.Method == http.MethodHead {
		// Monitors probe with HEAD; a state for them would be wasted.
		setupHeaders(w.Header())
		w.WriteHeader(http.StatusOK)
		return
	}
	if q := r.URL.Query(); q.Has("token") {
		s.acceptToken(w, r, presentedToken(q.Get("token")))
		return
	}
	if !s.key.cookieMatches(r) {
		// No manifest and no state for strangers: they learn only how
		// the operator proves who they are.
		s.renderTokenPage(w, r, http.StatusOK, false)
		return
	}
	s.serveRegistration(w, r)
}

// serveRegistration shows a token holder the button that registers the App.
func (s *Setup) serveRegistration(w http.ResponseWriter, r *http.Request) {
	public, derived, err := publicURL(s.cfg.PublicURL, r)
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, errorPage{
			Heading: "Wavegate cannot tell its own address",
			Message: err.Error(),
			Next:    "Start Wavegate with --public-url set to the https address at which GitHub reaches it, then reload this page.",
		})
		return
	}
	if derived {
		s.cfg.Logger.Warn("setup: no --public-url; the App's webhook and return URLs come from the request's Host header: check them on the page, or restart with --public-url",
			"public_url", public, "remote", r.RemoteAddr)
	}
	manifest, err := s.manifest.forPublicURL(public)
	if err != nil {
		s.cfg.Logger.Error("setup: render manifest", "err", err)
		s.renderError(w, r, http.StatusInternalServerError, errorPage{Heading: "Cannot show the setup page", Message: err.Error()})
		return
	}
	state := s.states.issue(s.key.sum, s.cfg.Clock.Now())
	s.render(w, r, http.StatusOK, "setup.html", setupPage{
		Title:       "Set up",
		GitHubHost:  s.webURL.Host,
		PublicURL:   public,
		Derived:     derived,
		WebhookURL:  public + manifestWebhookPath,
		CallbackURL: public + SetupCallbackPath,
		Warnings:    reachabilityWarnings(public),
		FormAction:  s.newAppURL(state),
		Manifest:    string(manifest),
		Org:         s.cfg.Org,
	})
}

func (s *Setup) serveCallback(w http.ResponseWriter, r *http.Request) {
	// The URL carries the one-time code: keep it out of Referer headers.
	w.Header().Set("Referrer-Policy", "no-referrer")
	if app, ok := s.cfg.Configured(); ok {
		s.refuseConfigured(w, r, app.name())
		return
	}
	if c, _, ok := s.pending(); ok {
		s.refuseConfigured(w, r, c.Slug)
		return
	}
	if r.Method == http.MethodHead {
		// Link scanners probe with HEAD: neither spend the state nor
		// register an App for them.
		setupHeaders(w.Header())
		w.WriteHeader(http.StatusOK)
		return
	}
	// The state alone admits the callback: it is unguessable, single-use
	// and was issued only to a holder of the setup token. The cookie is not
	// required, because GitHub returns the browser to --public-url, which
	// may be another origin than the one the operator typed the token into.
	q := r.URL.Query()
	if !s.states.consume(q.Get("state"), s.key.sum, s.cfg.Clock.Now()) {
		s.cfg.Logger.Warn("setup: callback with an unknown, used or expired state", "remote", r.RemoteAddr)
		s.renderError(w, r, http.StatusBadRequest, errorPage{
			Heading:  "This registration link is not valid",
			Message:  "It was not issued by this Wavegate (or Wavegate restarted since), was already used, or is more than an hour old.",
			Next:     "Start again from the setup page. If GitHub created an App anyway, delete it in your GitHub settings (Developer settings → GitHub Apps) first.",
			RetryURL: "/",
		})
		return
	}
	code := q.Get("code")
	if !validManifestCode(code) {
		s.renderError(w, r, http.StatusBadRequest, errorPage{
			Heading:  "GitHub's answer has no usable code",
			Message:  "The return address lacks the one-time code GitHub adds after you confirm the App.",
			RetryURL: "/",
		})
		return
	}
	if !s.claim() {
		s.renderError(w, r, http.StatusConflict, errorPage{
			Heading: "A registration is already under way",
			Message: "Another browser is completing Wavegate's registration right now. Reload the home page in a moment.",
		})
		return
	}
	c, restart, page := s.register(r.Context(), code)
	s.release(c, restart, page == nil)
	if page != nil {
		s.renderError(w, r, page.status, *page)
		return
	}
	s.render(w, r, http.StatusOK, "setup-done.html", s.donePage(c, restart))
}

// register exchanges code and hands the credentials to Registered; a
// non-nil page says what failed.
func (s *Setup) register(reqCtx context.Context, code string) (appcreds.Credentials, bool, *errorPage) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), exchangeTimeout)
	defer cancel()
	log := s.cfg.Logger
	c, err := s.cfg.Exchange(ctx, code)
	if err != nil {
		detail := strings.ReplaceAll(err.Error(), code, "REDACTED")
		log.Error("setup: exchange the manifest code with GitHub", "err", detail)
		return c, false, &errorPage{
			status:   http.StatusBadGateway,
			Heading:  "GitHub did not hand over the App's credentials",
			Message:  "Wavegate asked GitHub for the new App's keys (exchanging the one-time registration code) and that failed:",
			Detail:   detail,
			Next:     "The code is valid for one hour and only once. If GitHub created the App, delete it in your GitHub settings (Developer settings → GitHub Apps), then start again.",
			RetryURL: "/",
		}
	}
	reloaded, err := s.cfg.Registered(ctx, c)
	if err != nil {
		log.Error("setup: save the GitHub App credentials", "app", c, "err", err)
		return c, false, &errorPage{
			status:  http.StatusInternalServerError,
			Heading: "Wavegate could not save the App's credentials",
			Message: fmt.Sprintf("GitHub created the App %s, but saving or loading its credentials failed:", c.Slug),
			Detail:  err.Error(),
			Next: "Fix the cause (often the data directory's permissions), delete the App in its GitHub settings" +
				appSettingsHint(c) + ", and start again: GitHub hands out the private key only once.",
			RetryURL: "/",
		}
	}
	log.Info("setup: GitHub App registered", "app", c, "reloaded", reloaded)
	return c, !reloaded, nil
}

func appSettingsHint(c appcreds.Credentials) string {
	if c.HTMLURL == "" {
		return ""
	}
	return " (" + c.HTMLURL + ")"
}

// claim marks a registration as running; false if one already is.
func (s *Setup) claim() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy || s.registered != nil {
		return false
	}
	s.busy = true
	return true
}

// release ends the claim, remembering a successful registration.
func (s *Setup) release(c appcreds.Credentials, restart, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = false
	if ok {
		s.registered = &c
		s.restart = restart
		s.states.clear()
	}
}

func (s *Setup) refuseConfigured(w http.ResponseWriter, r *http.Request, name string) {
	s.renderError(w, r, http.StatusConflict, errorPage{
		Heading:  "Wavegate is already configured",
		Message:  fmt.Sprintf("It runs as the GitHub App %s. Its credentials are not replaced from the web.", name),
		Next:     "To register a different App, stop Wavegate, move github-app.json and github-app.pem out of its data directory, and start it again.",
		RetryURL: "",
	})
}
