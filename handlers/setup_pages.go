package handlers

import (
	"bytes"
	"net/http"
	"net/url"

	"github.com/wavegate/wavegate/internal/appcreds"
)

// Data of the pages in templates/web.
type (
	setupPage struct {
		Title       string
		GitHubHost  string
		PublicURL   string
		Derived     bool // PublicURL comes from the request, not --public-url
		WebhookURL  string
		CallbackURL string
		Warnings    []string
		FormAction  string
		Manifest    string // JSON; html/template escapes it into the attribute
		Org         string
	}
	donePage struct {
		Title      string
		Slug       string
		Name       string
		InstallURL string
		AppURL     string
		Restart    bool
	}
	configuredPage struct {
		Title      string
		Name       string
		WebhookURL string // empty when the request's Host is unusable
		InstallURL string // empty when the App's slug is unknown
	}
	tokenPage struct {
		Title     string
		TokenFile string
		Wrong     bool // a token was presented and it is not this one
		NoToken   bool // this Wavegate has none: nobody can set it up
	}
	errorPage struct {
		status   int
		Title    string
		Heading  string
		Message  string
		Detail   string
		Next     string
		RetryURL string
	}
)

// setupHeaders are set on every setup page: it must not be framed (the
// button registers an App), cached (it holds a one-time state) or sniffed.
func setupHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// No scripts at all; form-action is left open because GitHub's form
	// may redirect through a sign-in or SSO host.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
}

// render executes page into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (s *Setup) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, page, data); err != nil {
		s.cfg.Logger.Error("setup: render page", "page", page, "err", err)
		setupHeaders(w.Header())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("Wavegate could not render its setup page; see its log.\n"))
		return
	}
	setupHeaders(w.Header())
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

func (s *Setup) renderError(w http.ResponseWriter, r *http.Request, status int, p errorPage) {
	if p.Title == "" {
		p.Title = http.StatusText(status)
	}
	s.render(w, r, status, "setup-error.html", p)
}

// newAppURL is GitHub's "register an App from a manifest" form target; the
// state goes in the query string, where GitHub expects it and returns it.
func (s *Setup) newAppURL(state string) string {
	u := *s.webURL
	if s.cfg.Org != "" {
		u.Path += "/organizations/" + s.cfg.Org + "/settings/apps/new"
	} else {
		u.Path += "/settings/apps/new"
	}
	u.RawQuery = url.Values{"state": {state}}.Encode()
	return u.String()
}

// installURL is where the App is installed on repositories; empty when
// the slug is unknown, since any guess would be a broken link.
func (s *Setup) installURL(slug string) string {
	if slug == "" {
		return ""
	}
	u := *s.webURL
	u.Path += "/apps/" + slug + "/installations/new"
	return u.String()
}

func (s *Setup) donePage(c appcreds.Credentials, restart bool) donePage {
	return donePage{
		Title:      "Registered",
		Slug:       c.Slug,
		Name:       c.Name,
		InstallURL: s.installURL(c.Slug),
		AppURL:     c.HTMLURL,
		Restart:    restart,
	}
}
