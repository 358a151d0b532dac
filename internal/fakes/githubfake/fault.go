package githubfake

import "net/http"

// Fault is an answer to give instead of the real one.
type Fault struct {
	Status int
	Header http.Header
	// Body is sent as is; empty means GitHub's JSON error with the status text.
	Body string
	// Times is how many matching requests get the fault; 0 means once.
	Times int
}

type pendingFault struct {
	method, template string
	f                Fault
	left             int
}

// FailNext makes the next f.Times requests matching method and template (the
// OpenAPI template, e.g. "/repos/{owner}/{repo}/deployments") get f. An empty
// method or template matches any. Faults queue in the order they were added
// and are given before authentication, like an error from GitHub's edge.
//
// A secondary rate limit, for example:
//
//	s.FailNext("POST", "/repos/{owner}/{repo}/check-runs", githubfake.Fault{
//		Status: 403, Header: http.Header{"Retry-After": {"30"}},
//		Body: `{"message":"You have exceeded a secondary rate limit."}`,
//	})
func (s *Server) FailNext(method, template string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := f.Times
	if n <= 0 {
		n = 1
	}
	s.faults = append(s.faults, pendingFault{method: method, template: template, f: f, left: n})
}

// injectFault answers x with the first pending fault that matches it.
func (s *Server) injectFault(x *exchange) bool {
	for i := range s.faults {
		p := &s.faults[i]
		if (p.method != "" && p.method != x.r.Method) || (p.template != "" && p.template != x.template) {
			continue
		}
		p.left--
		f := p.f
		if p.left == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		for k, v := range f.Header {
			x.header[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
		}
		if f.Body == "" {
			x.fail(f.Status, http.StatusText(f.Status))
			return true
		}
		if x.header.Get("Content-Type") == "" {
			x.header.Set("Content-Type", "application/json; charset=utf-8")
		}
		x.WriteHeader(f.Status)
		x.out.WriteString(f.Body)
		return true
	}
	return false
}
