package githubfake

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// rateLimit is GitHub's primary limit for an installation, per hour.
const rateLimit = 5000

type rateWindow struct {
	used  int
	limit int
	reset time.Time
}

func (i identity) rateKey() string {
	switch i.kind {
	case authInstallation:
		return fmt.Sprintf("installation:%d", i.install.id)
	case authJWT:
		return "app"
	}
	return "anonymous"
}

// window returns the current window for key, starting a new one when the
// last has passed its reset time. The window runs on the wall clock, as the
// reset header is read by clients against theirs.
func (s *Server) window(key string) *rateWindow {
	w, ok := s.limits[key]
	if !ok || !time.Now().Before(w.reset) {
		limit := rateLimit
		if key == "anonymous" {
			limit = 60
		}
		w = &rateWindow{limit: limit, reset: time.Now().Add(time.Hour).Truncate(time.Second)}
		s.limits[key] = w
	}
	return w
}

// SetRateLimitRemaining sets how many requests the installation has left in
// the current window; at 0 every request gets GitHub's primary-limit 403.
func (s *Server) SetRateLimitRemaining(installationID int64, remaining int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.window(fmt.Sprintf("installation:%d", installationID))
	w.used = max(w.limit-remaining, 0)
}

// rateLimited answers 403 when the caller's window is spent, as GitHub does.
func (s *Server) rateLimited(x *exchange) bool {
	w := s.window(x.ident.rateKey())
	if w.used < w.limit {
		return false
	}
	msg := "API rate limit exceeded."
	if x.ident.kind == authInstallation {
		msg = fmt.Sprintf("API rate limit exceeded for installation ID %d.", x.ident.install.id)
	}
	x.fail(http.StatusForbidden, msg)
	return true
}

// rateLimit counts the request and sets the x-ratelimit-* headers, leaving any
// a fault already set. A 304 is free, as on GitHub.
func (s *Server) rateLimit(x *exchange) {
	w := s.window(x.ident.rateKey())
	if x.status != http.StatusNotModified && w.used < w.limit {
		w.used++
	}
	set := func(k, v string) {
		if x.header.Get(k) == "" {
			x.header.Set(k, v)
		}
	}
	set("X-Ratelimit-Limit", strconv.Itoa(w.limit))
	set("X-Ratelimit-Remaining", strconv.Itoa(w.limit-w.used))
	set("X-Ratelimit-Reset", strconv.FormatInt(w.reset.Unix(), 10))
	set("X-Ratelimit-Used", strconv.Itoa(w.used))
	set("X-Ratelimit-Resource", "core")
}
