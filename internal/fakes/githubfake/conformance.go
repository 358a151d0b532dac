package githubfake

import (
	"strings"
	"sync"

	"github.com/wavegate/wavegate/internal/fakes/githubfake/openapi"
)

// loadSpec parses the embedded OpenAPI subset once per test binary. It is the
// package's one global, and unavoidably so: Go has no function-local statics,
// and parsing the description for every New in every test would dominate the
// fake's cost. The Spec is immutable, so sharing it is safe.
var loadSpec = sync.OnceValues(openapi.Load)

// checkConformance fails the test for every recorded request that GitHub's
// OpenAPI description does not have, or whose body its schema rejects.
func (s *Server) checkConformance() {
	spec, err := loadSpec()
	if err != nil {
		s.t.Errorf("githubfake: loading the OpenAPI description: %v", err)
		return
	}
	for _, r := range s.Requests() {
		// GitHub's OAuth pages and token exchange live on its web host, not
		// the REST API, so its OpenAPI description has no word on them;
		// oauth.go follows GitHub's OAuth documentation instead. A browser
		// shown the authorize page asks the web host for its icon too.
		if strings.HasPrefix(r.Path, "/login/oauth/") || r.Method == "GET" && r.Path == "/favicon.ico" {
			continue
		}
		op, template, ok := spec.Match(r.Method, r.Path)
		if !ok {
			s.t.Errorf("githubfake: %s %s: no such operation in GitHub's OpenAPI description", r.Method, r.Path)
			continue
		}
		if r.Template != "" && template != r.Template {
			s.t.Errorf("githubfake: %s %s: served as %s but the OpenAPI description has %s", r.Method, r.Path, r.Template, template)
		}
		if err := op.ValidateRequestBody(r.Body); err != nil {
			s.t.Errorf("githubfake: %s %s: request body: %v", r.Method, r.Path, err)
		}
	}
}
