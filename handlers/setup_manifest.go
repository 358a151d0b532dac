package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Routes the manifest points GitHub at; app.yml must name them, so that
// editing the manifest cannot silently break registration or delivery.
const (
	SetupCallbackPath   = "/setup/callback"
	manifestWebhookPath = "/webhooks/github"
	publicURLToken      = "${PUBLIC_URL}"
)

// appManifest is GitHub's App-manifest JSON, decoded from app.yml with
// unknown keys refused: a typo there would otherwise reach GitHub as an
// ignored parameter and register an App without, say, its events.
type appManifest struct {
	Name                  string            `yaml:"name" json:"name"`
	URL                   string            `yaml:"url" json:"url"`
	HookAttributes        hookAttributes    `yaml:"hook_attributes" json:"hook_attributes"`
	RedirectURL           string            `yaml:"redirect_url" json:"redirect_url"`
	CallbackURLs          []string          `yaml:"callback_urls" json:"callback_urls,omitempty"`
	SetupURL              string            `yaml:"setup_url" json:"setup_url,omitempty"`
	Description           string            `yaml:"description" json:"description,omitempty"`
	Public                bool              `yaml:"public" json:"public"`
	DefaultEvents         []string          `yaml:"default_events" json:"default_events"`
	DefaultPermissions    map[string]string `yaml:"default_permissions" json:"default_permissions"`
	RequestOAuthOnInstall bool              `yaml:"request_oauth_on_install" json:"request_oauth_on_install,omitempty"`
	SetupOnUpdate         bool              `yaml:"setup_on_update" json:"setup_on_update,omitempty"`
}

type hookAttributes struct {
	URL    string `yaml:"url" json:"url"`
	Active *bool  `yaml:"active" json:"active,omitempty"`
}

// parseManifest reads app.yml and checks what Wavegate relies on.
func parseManifest(data []byte) (appManifest, error) {
	var m appManifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return m, errors.New("app.yml is empty")
		}
		return m, fmt.Errorf("app.yml: %w", err)
	}
	var problems []string
	if m.Name == "" {
		problems = append(problems, "name is missing")
	}
	if m.URL != publicURLToken {
		problems = append(problems, fmt.Sprintf("url must be %s (Wavegate fills it in), not %q", publicURLToken, m.URL))
	}
	if want := publicURLToken + manifestWebhookPath; m.HookAttributes.URL != want {
		problems = append(problems, fmt.Sprintf("hook_attributes.url must be %s, the route that receives webhooks, not %q", want, m.HookAttributes.URL))
	}
	if m.HookAttributes.Active != nil && !*m.HookAttributes.Active {
		problems = append(problems, "hook_attributes.active is false: Wavegate is driven by webhooks")
	}
	if want := publicURLToken + SetupCallbackPath; m.RedirectURL != want {
		problems = append(problems, fmt.Sprintf("redirect_url must be %s, the route that completes registration, not %q", want, m.RedirectURL))
	}
	for _, u := range append([]string{m.SetupURL}, m.CallbackURLs...) {
		if u != "" && !strings.HasPrefix(u, publicURLToken) && !strings.HasPrefix(u, "https://") {
			problems = append(problems, fmt.Sprintf("%q is neither under %s nor an https URL", u, publicURLToken))
		}
	}
	if len(m.DefaultPermissions) == 0 {
		problems = append(problems, "default_permissions is empty")
	}
	for name, access := range m.DefaultPermissions {
		if access != "read" && access != "write" && access != "admin" {
			problems = append(problems, fmt.Sprintf("default_permissions.%s is %q; want read, write or admin", name, access))
		}
	}
	if len(m.DefaultEvents) == 0 {
		problems = append(problems, "default_events is empty")
	}
	if len(problems) > 0 {
		return m, fmt.Errorf("app.yml: %s", strings.Join(problems, "; "))
	}
	return m, nil
}

// forPublicURL returns the manifest JSON for an instance reachable at public
// (no trailing slash).
func (m appManifest) forPublicURL(public string) ([]byte, error) {
	fill := func(s string) string { return strings.Replace(s, publicURLToken, public, 1) }
	m.URL = fill(m.URL)
	m.HookAttributes.URL = fill(m.HookAttributes.URL)
	m.RedirectURL = fill(m.RedirectURL)
	m.SetupURL = fill(m.SetupURL)
	urls := make([]string, len(m.CallbackURLs))
	for i, u := range m.CallbackURLs {
		urls[i] = fill(u)
	}
	m.CallbackURLs = urls
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode the App manifest for %s: %w", public, err)
	}
	return data, nil
}

// publicURL is where GitHub and browsers reach this instance: --public-url,
// or else (derived) the address this request came to. Only the Host header
// and X-Forwarded-Proto (http or https, nothing else) are read, never
// X-Forwarded-Host: a derived URL is shown to the token holder, who sees
// what GitHub will be told, and --public-url takes the request out of it.
func publicURL(configured string, r *http.Request) (public string, derived bool, err error) {
	if configured != "" {
		return strings.TrimRight(configured, "/"), false, nil
	}
	host := r.Host
	u, err := url.Parse(requestScheme(r) + "://" + host)
	if host == "" || err != nil || u.Host != host || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", true, fmt.Errorf("the request names no usable host (Host header %q)", host)
	}
	return u.String(), true, nil
}

// requestScheme is the scheme the browser used: https when this server or,
// behind a proxy, X-Forwarded-Proto says so. A forged header changes only
// the forger's own page and cookie.
func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if fp := r.Header.Get("X-Forwarded-Proto"); fp != "" {
		first := strings.ToLower(strings.TrimSpace(strings.Split(fp, ",")[0]))
		if first == "http" || first == "https" {
			return first
		}
	}
	return "http"
}

// reachabilityWarnings explains why GitHub probably cannot call public. They
// are warnings, not errors: a GitHub Enterprise Server on the same network
// may reach a private address.
func reachabilityWarnings(public string) []string {
	u, err := url.Parse(public)
	if err != nil || u.Host == "" {
		return []string{fmt.Sprintf("%q is not an absolute URL.", public)}
	}
	var warnings []string
	host := u.Hostname()
	lower := strings.ToLower(strings.TrimSuffix(host, "."))
	addr, ipErr := netip.ParseAddr(host)
	switch {
	case lower == "localhost" || strings.HasSuffix(lower, ".localhost"):
		warnings = append(warnings, host+" is this machine only: GitHub cannot connect to it.")
	case ipErr == nil && (addr.IsLoopback() || addr.IsUnspecified()):
		warnings = append(warnings, host+" is a loopback address: GitHub cannot connect to it.")
	case ipErr == nil && (addr.IsPrivate() || addr.IsLinkLocalUnicast()):
		warnings = append(warnings, host+" is a private network address: GitHub.com cannot connect to it.")
	case ipErr != nil && !strings.Contains(lower, "."):
		warnings = append(warnings, host+" is not a public domain name.")
	case strings.HasSuffix(lower, ".local") || strings.HasSuffix(lower, ".internal"):
		warnings = append(warnings, host+" is a local-network name: GitHub.com cannot resolve it.")
	}
	if u.Scheme != "https" {
		warnings = append(warnings, "It is not https: webhook payloads and the registration code would travel unencrypted.")
	}
	return warnings
}

// gitHubWebURL validates the GitHub web base (github.com or a GHES host).
func gitHubWebURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = "https://github.com"
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return nil, fmt.Errorf("GitHub web URL %q: %w", raw, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("GitHub web URL %q: want an absolute http(s) URL such as https://github.com", raw)
	}
	return u, nil
}
