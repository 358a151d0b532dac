package githubfake

import (
	"net/http"
	"net/url"
	"slices"
)

// Request is one request the fake received, as it received it.
type Request struct {
	Method string
	Path   string // as sent, still escaped
	// Template is the OpenAPI path template of the route that served it, or ""
	// for a route the fake does not serve.
	Template string
	Query    url.Values
	Body     []byte
	// Header is the request's headers without Authorization, so recordings can
	// be printed without leaking credentials.
	Header http.Header
	Status int // the status the fake answered with
}

func (s *Server) record(x *exchange) {
	h := x.r.Header.Clone()
	h.Del("Authorization")
	s.recorded = append(s.recorded, Request{
		Method:   x.r.Method,
		Path:     x.r.URL.EscapedPath(),
		Template: x.template,
		Query:    x.r.URL.Query(),
		Body:     x.body,
		Header:   h,
		Status:   x.status,
	})
}

// Requests returns every request recorded since New or ResetRecording.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.recorded)
}

// Count is the number of recorded requests with this method and template,
// e.g. Count("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}").
func (s *Server) Count(method, template string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.recorded {
		if r.Method == method && r.Template == template {
			n++
		}
	}
	return n
}

// Calls is the number of recorded requests of any kind.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recorded)
}

// CountExcept is the number of recorded requests whose template is none of
// templates; CountExcept(TokenTemplate) counts the API calls proper, leaving
// out installation-token creation.
func (s *Server) CountExcept(templates ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.recorded {
		if !slices.Contains(templates, r.Template) {
			n++
		}
	}
	return n
}

// ResetRecording forgets the requests recorded so far, so a test can count
// only what one step does. The OpenAPI check at cleanup sees only what is
// recorded after the last reset.
func (s *Server) ResetRecording() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recorded = nil
}
