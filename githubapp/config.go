package githubapp

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/internal/clock"
)

// DefaultBaseURL is the API base of github.com.
const DefaultBaseURL = "https://api.github.com/"

const defaultUserAgent = "wavegate"

// Config describes the App and how to reach GitHub.
type Config struct {
	// AppID is the numeric GitHub App id (the JWT issuer).
	AppID int64
	// PrivateKey is the App's PEM-encoded RSA private key (PKCS#1 or PKCS#8).
	PrivateKey []byte
	// BaseURL is the REST API base: https://api.github.com/ by default, or
	// https://ghe.example.com/api/v3/ for GitHub Enterprise Server. A missing
	// trailing slash is added.
	BaseURL string
	// Clock is the time source for rate-limit decisions; the wall clock when nil.
	Clock clock.Clock
	// Registerer receives the GitHub metrics; nil means they are not exported.
	Registerer prometheus.Registerer
	// Logger receives one Debug record per GitHub call; discarded when nil.
	Logger *slog.Logger
	// Base performs the network calls; http.DefaultTransport when nil.
	Base http.RoundTripper
	// UserAgent is sent with every API call; "wavegate" when empty.
	UserAgent string
}

// settings is a Config with defaults applied and the base URL parsed.
type settings struct {
	Config
	apiURL    *url.URL // always ends in "/"
	uploadURL *url.URL
}

func (cfg Config) settings() (settings, error) {
	s := settings{Config: cfg}
	if s.BaseURL == "" {
		s.BaseURL = DefaultBaseURL
	}
	if !strings.HasSuffix(s.BaseURL, "/") {
		s.BaseURL += "/"
	}
	u, err := url.Parse(s.BaseURL)
	if err != nil {
		return settings{}, fmt.Errorf("githubapp: base URL %q: %w", s.BaseURL, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return settings{}, fmt.Errorf("githubapp: base URL %q: want an absolute http(s) URL", s.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return settings{}, fmt.Errorf("githubapp: base URL %q: must not carry user info, query or fragment", s.BaseURL)
	}
	s.apiURL = u
	s.uploadURL = uploadURLFor(u)
	if s.Clock == nil {
		s.Clock = clock.Real()
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Base == nil {
		s.Base = http.DefaultTransport
	}
	if s.UserAgent == "" {
		s.UserAgent = defaultUserAgent
	}
	return s, nil
}

// basePath is the API base path without its trailing slash ("" on
// github.com, "/api/v3" on GHES); request paths are reported relative to it.
func (s settings) basePath() string { return strings.TrimSuffix(s.apiURL.EscapedPath(), "/") }

// uploadURLFor derives the uploads endpoint, which GitHub serves from a
// different place than the API; only release-asset uploads use it.
func uploadURLFor(api *url.URL) *url.URL {
	u := *api
	switch {
	case api.Host == "api.github.com":
		u.Host = "uploads.github.com"
	case strings.HasSuffix(api.Path, "/api/v3/"):
		u.Path = strings.TrimSuffix(api.Path, "v3/") + "uploads/"
		u.RawPath = ""
	}
	return &u
}

// WebURL maps an API base URL to the web address people open in a browser:
// https://api.github.com/ -> https://github.com,
// https://ghe.example.com/api/v3/ -> https://ghe.example.com, anything else
// to its scheme and host. An empty apiURL means github.com, like Config.
func WebURL(apiURL string) string {
	if apiURL == "" {
		apiURL = DefaultBaseURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	if strings.EqualFold(u.Host, "api.github.com") {
		return "https://github.com"
	}
	web := u.Scheme + "://" + u.Host
	// GHES may sit under a path prefix behind a proxy; keep what precedes /api/v3.
	if prefix, ok := strings.CutSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v3"); ok {
		web += prefix
	}
	return web
}
