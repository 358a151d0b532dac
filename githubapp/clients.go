package githubapp

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"
)

// Clients hands out go-github clients authenticated as the App and as its
// installations. It is safe for concurrent use.
type Clients struct {
	s       settings
	key     *rsa.PrivateKey
	metrics *metrics
	tally   *tally
	cache   *etagStore
	app     *github.Client

	mu            sync.Mutex
	installations map[int64]*github.Client
}

// New parses the App's key and builds the App client. Installation clients
// are built on first use.
func New(cfg Config) (*Clients, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	if s.AppID <= 0 {
		return nil, fmt.Errorf("githubapp: app id %d: want a positive GitHub App id", s.AppID)
	}
	key, err := parseKey(s.PrivateKey)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(s.Registerer)
	if err != nil {
		return nil, err
	}
	c := &Clients{
		s:             s,
		key:           key,
		metrics:       m,
		tally:         newTally(),
		cache:         newEtagStore(cacheMaxEntries, cacheMaxBytes),
		installations: make(map[int64]*github.Client),
	}
	c.app = c.build(scopeApp, func(inner http.RoundTripper) http.RoundTripper {
		return cloning{c.appsTransport(inner)}
	})
	return c, nil
}

// parseKey reports why the key is unusable without ever quoting it: parser
// errors may carry pieces of their input.
func parseKey(pem []byte) (*rsa.PrivateKey, error) {
	key, err := jwt.ParseRSAPrivateKeyFromPEM(pem)
	if err == nil {
		return key, nil
	}
	reason := "not a PKCS#1 or PKCS#8 RSA private key"
	switch {
	case len(pem) == 0:
		reason = "it is empty"
	case errors.Is(err, jwt.ErrKeyMustBePEMEncoded):
		reason = "it is not PEM-encoded"
	case errors.Is(err, jwt.ErrNotRSAPrivateKey):
		reason = "it is not an RSA private key"
	}
	return nil, fmt.Errorf("githubapp: the App private key (%d bytes) could not be parsed: %s", len(pem), reason)
}

const (
	scopeApp       = "app"
	scopeAnonymous = "anonymous"
)

func installationScope(id int64) string { return "installation:" + strconv.FormatInt(id, 10) }

// App returns the client authenticated as the App itself (a JWT), for the
// /app endpoints: listing installations, minting tokens, the App's hook.
func (c *Clients) App() *github.Client { return c.app }

// Installation returns the client acting as installation id. The same
// client is returned for the same id, so its token and rate-limit state are
// shared by everyone working on that installation.
func (c *Clients) Installation(id int64) (*github.Client, error) {
	if id <= 0 {
		return nil, fmt.Errorf("githubapp: installation id %d: want a positive id", id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gh, ok := c.installations[id]; ok {
		return gh, nil
	}
	gh := c.build(installationScope(id), func(inner http.RoundTripper) http.RoundTripper {
		// Token requests go to the apps transport's BaseURL, set in appsTransport.
		return ghinstallation.NewFromAppsTransport(c.appsTransport(inner), id)
	})
	c.installations[id] = gh
	return gh, nil
}

// Calls returns how many requests this Clients sent, by method, endpoint
// template and status, sorted by endpoint.
func (c *Clients) Calls() []CallCount { return c.tally.snapshot() }

// appsTransport signs requests with a fresh JWT; inner carries them, so
// token requests made by an installation transport are counted too.
func (c *Clients) appsTransport(inner http.RoundTripper) *ghinstallation.AppsTransport {
	t := ghinstallation.NewAppsTransportFromPrivateKey(inner, c.s.AppID, c.key)
	t.BaseURL = c.ghinstallationBase()
	return t
}

// ghinstallationBase is the API base the way ghinstallation wants it: it
// appends "/app/installations/..." itself.
func (c *Clients) ghinstallationBase() string {
	u := *c.s.apiURL
	u.Path = c.s.basePath()
	u.RawPath = ""
	return u.String()
}

func (c *Clients) build(scope string, auth func(inner http.RoundTripper) http.RoundTripper) *github.Client {
	return buildClient(c.s, scope, c.metrics, c.tally, c.cache, auth)
}

// NewAnonymous returns a client without credentials on the same stack, for
// the App-manifest code exchange, which happens before there is a key. A bad
// cfg.BaseURL cannot be reported here; every call through the client then
// fails with that error instead of silently going to github.com.
func NewAnonymous(cfg Config) *github.Client {
	s, err := cfg.settings()
	if err != nil {
		gh := github.NewClient(&http.Client{Transport: failing{err}})
		return gh
	}
	m, err := newMetrics(s.Registerer)
	if err != nil {
		s.Logger.Warn("githubapp: anonymous client metrics not exported", "error", err)
		m, _ = newMetrics(nil)
	}
	return buildClient(s, scopeAnonymous, m, newTally(), newEtagStore(cacheMaxEntries/16, cacheMaxBytes/16), nil)
}

// buildClient assembles rateLimit -> etagCache -> auth -> count -> Base.
func buildClient(s settings, scope string, m *metrics, t *tally, store *etagStore, auth func(http.RoundTripper) http.RoundTripper) *github.Client {
	var rt http.RoundTripper = &count{
		next: s.Base, scope: scope, basePath: s.basePath(),
		clock: s.Clock, logger: s.Logger, metrics: m, tally: t,
	}
	if auth != nil {
		rt = auth(rt)
	}
	rt = &etagCache{next: rt, scope: scope, store: store}
	rt = newRateLimit(rt, s.Clock, s.basePath())

	gh := github.NewClient(&http.Client{Transport: rt})
	base, upload := *s.apiURL, *s.uploadURL
	gh.BaseURL, gh.UploadURL = &base, &upload
	gh.UserAgent = s.UserAgent
	return gh
}

// cloning protects the caller's request from ghinstallation's
// AppsTransport, which sets Authorization (the JWT) on the request it is
// given instead of on a copy, against the RoundTripper contract.
type cloning struct{ next http.RoundTripper }

func (c cloning) RoundTrip(req *http.Request) (*http.Response, error) {
	return c.next.RoundTrip(req.Clone(req.Context()))
}

// failing stands in for a transport that could not be configured.
type failing struct{ err error }

func (f failing) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, f.err
}
