package githubfake

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
)

// Server is a fake GitHub REST API. Its methods are safe for concurrent use.
type Server struct {
	t   reporter
	srv *httptest.Server
	// onDeployment is told each deployment created (Options.OnDeployment).
	onDeployment func(fullName string, d Deployment)
	// web serves GitHub's web pages the demo links to; nil under New.
	web *http.ServeMux
	// viewer acts on those pages through onComment and onPress
	// (Options); formToken guards their forms.
	viewer    string
	onComment func(fullName string, number int, body string) error
	onPress   func(fullName string, run CheckRun, identifier string) error
	formToken string

	// muxes are tried in order: GitHub has routes that Go's ServeMux rejects as
	// conflicting (issues/comments/{comment_id} against
	// issues/{issue_number}/comments), so the literal-first ones live in an
	// earlier mux, which is also how GitHub resolves them.
	muxes []*http.ServeMux

	// mu serialises every request and every test-side call: the fake is small
	// and a single lock keeps its state trivially consistent under -race.
	mu    sync.Mutex
	clock clock.Clock

	recorded []Request
	faults   []pendingFault
	limits   map[string]*rateWindow

	app          App
	appKey       *rsa.PublicKey // nil: JWTs are not verified
	installs     map[int64]*installation
	tokens       map[string]*token
	manifests    map[string]AppConversion
	stableIDs    map[string]int64
	repos        map[string]*repo // by lower-case "owner/name"
	teams        map[string]string
	nextObjectID int64

	users        []string // who may sign in, in the order AddUser added them
	selectedUser string
	clientSecret string
	oauthCodes   map[string]*oauthCode
	userTokens   map[string]*userToken
}

// reporter is where the fake reports its caller's mistakes (seeding an
// unknown repository) and what GitHub would refuse: the test under New;
// under Start, a panic for the first and a log line for the second.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// New starts a fake GitHub on a loopback httptest server. Cleanup closes it
// and checks every recorded request against GitHub's OpenAPI description.
func New(t testing.TB) *Server {
	t.Helper()
	s := newServer(t, clock.Real())
	s.srv = httptest.NewServer(s)
	t.Cleanup(func() {
		s.srv.Close()
		s.checkConformance()
	})
	return s
}

// Options configure a fake started outside a test.
type Options struct {
	// Clock stamps the objects the fake creates; the wall clock when nil.
	Clock clock.Clock
	// Logger receives what a test would have failed on; discarded when nil.
	Logger *slog.Logger
	// OnDeployment is told each deployment the fake creates, after the
	// request is served, so that a simulated deployment system can carry it
	// out (and call back into the fake) without deadlocking.
	OnDeployment func(fullName string, d Deployment)
	// Viewer, when set, lets whoever reads the pull request pages act as
	// this login: comment (OnComment) and press check-run buttons
	// (OnPress). The callbacks do what GitHub would (record the comment,
	// deliver the webhook); an error is shown on the page.
	Viewer    string
	OnComment func(fullName string, number int, body string) error
	OnPress   func(fullName string, run CheckRun, identifier string) error
}

// Start starts a fake GitHub on 127.0.0.1 outside any test, for
// `wavegate demo`, with a web page per pull request for the demo's viewer;
// Close stops it. Misusing its seeding methods (an unknown
// repository, a bad role) panics: that is a mistake in the caller.
func Start(o Options) (*Server, error) {
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("githubfake: listen on 127.0.0.1: %w", err)
	}
	s := newServer(panicReporter{o.Logger}, o.Clock)
	s.onDeployment = o.OnDeployment
	s.viewer, s.onComment, s.onPress = o.Viewer, o.OnComment, o.OnPress
	s.formToken = rand.Text()
	s.web = s.webMux()
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	return s, nil
}

// Close stops a fake started with Start, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }

func newServer(t reporter, c clock.Clock) *Server {
	s := &Server{
		t:            t,
		clock:        c,
		limits:       map[string]*rateWindow{},
		installs:     map[int64]*installation{},
		tokens:       map[string]*token{},
		manifests:    map[string]AppConversion{},
		stableIDs:    map[string]int64{},
		repos:        map[string]*repo{},
		teams:        map[string]string{},
		nextObjectID: 1000,
		clientSecret: DefaultClientSecret,
		oauthCodes:   map[string]*oauthCode{},
		userTokens:   map[string]*userToken{},
		app: App{
			ID: 1, Slug: "wavegate", Name: "Wavegate", ClientID: "Iv1.fakeclientid", Owner: "wavegate",
		},
	}
	s.muxes = s.routes()
	return s
}

// panicReporter reports outside a test: a caller's mistake panics, a
// request GitHub would refuse is logged.
type panicReporter struct{ log *slog.Logger }

func (panicReporter) Helper() {}
func (p panicReporter) Errorf(format string, args ...any) {
	p.log.Error(fmt.Sprintf(format, args...))
}
func (panicReporter) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// URL is the API base URL with a trailing slash, as --github-api-url takes it.
func (s *Server) URL() string { return s.srv.URL + "/" }

// SetClock sets the clock that stamps created_at and updated_at on objects the
// fake creates. Token expiry stays on the wall clock, because clients such as
// ghinstallation compare expires_at with the wall clock.
func (s *Server) SetClock(c clock.Clock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = c
}

func (s *Server) now() time.Time { return s.clock.Now().UTC().Truncate(time.Second) }

func (s *Server) newID() int64 {
	s.nextObjectID++
	return s.nextObjectID
}

// exchange is one request and its buffered answer: handlers write here so the
// outer layer can add ETags and rate-limit headers, and record the outcome,
// before anything reaches the client.
type exchange struct {
	s        *Server
	r        *http.Request
	body     []byte
	template string
	ident    identity
	repo     *repo // the path's repository, once bindRepo found it

	header http.Header
	status int
	out    bytes.Buffer
	// after runs once the fake's lock is released: callbacks into the
	// caller, which may call the fake again.
	after []func()
}

func (x *exchange) Header() http.Header { return x.header }
func (x *exchange) Write(b []byte) (int, error) {
	if x.status == 0 {
		x.status = http.StatusOK
	}
	return x.out.Write(b)
}
func (x *exchange) WriteHeader(code int) {
	if x.status == 0 {
		x.status = code
	}
}

// maxBody bounds what the fake reads; GitHub's own limit is far larger, but no
// Wavegate request comes close and a runaway client should fail fast.
const maxBody = 32 << 20

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.web != nil {
		if _, pattern := s.web.Handler(r); pattern != "" {
			s.web.ServeHTTP(w, r) // not the handler alone: it sets the path values
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	x := &exchange{s: s, r: r, body: body, header: http.Header{}}

	s.mu.Lock()
	x.ident = s.identify(r)
	if mux := s.pick(r); mux != nil {
		mux.ServeHTTP(x, r)
	} else {
		x.fail(http.StatusNotFound, "Not Found")
	}
	if x.status == 0 {
		x.status = http.StatusOK
	}
	s.conditional(x)
	s.rateLimit(x)
	s.record(x)
	s.mu.Unlock()
	for _, f := range x.after {
		f()
	}

	for k, v := range x.header {
		w.Header()[k] = v
	}
	w.WriteHeader(x.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(x.out.Bytes())
	}
}

func (s *Server) pick(r *http.Request) *http.ServeMux {
	for _, m := range s.muxes {
		if _, pattern := m.Handler(r); pattern != "" {
			return m
		}
	}
	return nil
}

// reply writes v as JSON with the given status.
func (x *exchange) reply(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		x.s.t.Errorf("githubfake: encoding %s reply: %v", x.template, err)
		x.fail(http.StatusInternalServerError, err.Error())
		return
	}
	x.header.Set("Content-Type", "application/json; charset=utf-8")
	x.WriteHeader(status)
	x.out.Write(b)
}

// fail answers with GitHub's error shape.
func (x *exchange) fail(status int, message string) {
	x.reply(status, map[string]any{
		"message":           message,
		"documentation_url": "https://docs.github.com/rest",
		"status":            itoa(status),
	})
}

func (x *exchange) noContent() { x.WriteHeader(http.StatusNoContent) }

// decode reads the JSON request body into v, answering 400 as GitHub does when
// it cannot be parsed.
func (x *exchange) decode(v any) bool {
	if len(bytes.TrimSpace(x.body)) == 0 {
		return true
	}
	if err := json.Unmarshal(x.body, v); err != nil {
		x.fail(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// invalid answers 422 for a body GitHub would refuse.
func (x *exchange) invalid(field, code string) {
	x.reply(http.StatusUnprocessableEntity, map[string]any{
		"message":           "Invalid request.",
		"errors":            []any{map[string]any{"field": field, "code": code}},
		"documentation_url": "https://docs.github.com/rest",
		"status":            "422",
	})
}

func (x *exchange) wantsRaw() bool {
	return strings.Contains(x.r.Header.Get("Accept"), "application/vnd.github.raw")
}

// byPathID finds the live item whose id is the path parameter param, or
// answers 404 as GitHub does for an id it does not know.
func byPathID[T any](x *exchange, param string, items []*T, live func(*T) bool, idOf func(*T) int64) *T {
	id, _ := strconv.ParseInt(x.r.PathValue(param), 10, 64)
	for _, it := range items {
		if idOf(it) == id && live(it) {
			return it
		}
	}
	x.fail(http.StatusNotFound, "Not Found")
	return nil
}
