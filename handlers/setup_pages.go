package handlers

import (
	"bytes"
	"net/http"
)

// Data of the pages in templates/web.
type (
	setupPage struct {
		Title       string
		GitHubHost  string
		PublicURL   string
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
		Slug       string
		WebhookURL string
		InstallURL string
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
