package githubfake

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"
)

const testRepo = "acme/api"

// newFake starts a fake with acme/api in installation 1.
func newFake(t *testing.T) *Server {
	t.Helper()
	s := New(t)
	s.AddRepo("acme", "api", RepoOpts{})
	return s
}

// client is a go-github client on the fake with an installation token.
func client(t testing.TB, s *Server, installationID int64) *github.Client {
	t.Helper()
	return clientWithToken(t, s, s.Token(installationID))
}

func clientWithToken(t testing.TB, s *Server, tok string) *github.Client {
	t.Helper()
	c := clientWithTransport(t, s, nil)
	if tok != "" {
		c = c.WithAuthToken(tok)
	}
	return c
}

func clientWithTransport(t testing.TB, s *Server, rt http.RoundTripper) *github.Client {
	t.Helper()
	c := github.NewClient(&http.Client{Transport: rt})
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

// do sends a raw request to the fake, for what go-github hides (status codes
// of 304, headers).
func do(t testing.TB, s *Server, method, path, auth, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, strings.TrimSuffix(s.URL(), "/")+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func statusOf(resp *github.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// captureTB stands in for the test given to New when a test needs to see the
// errors the fake's cleanup reports instead of failing on them.
type captureTB struct {
	testing.TB
	mu       sync.Mutex
	errors   []string
	cleanups []func()
}

func (c *captureTB) Errorf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errors = append(c.errors, fmt.Sprintf(format, args...))
}

func (c *captureTB) Cleanup(f func()) { c.cleanups = append(c.cleanups, f) }

// runCleanups runs what New registered and returns the errors reported.
func (c *captureTB) runCleanups() []string {
	for i := len(c.cleanups) - 1; i >= 0; i-- {
		c.cleanups[i]()
	}
	c.cleanups = nil
	return c.errors
}

func ptr[T any](v T) *T { return &v }
