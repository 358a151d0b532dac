package githubapp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/wavegate/wavegate/internal/clock"
)

const (
	testAppID = 4242
	// testToken is what the fake GitHub mints; tests search logs for it.
	testToken = "ghs_TESTinstallationTOKENmustNotLeak0123"
)

func newKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate RSA key: %v", err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return key, p
}

// reply is one scripted answer of the fake GitHub.
type reply struct {
	status int
	header map[string]string
	body   string
}

// seen is what the fake GitHub recorded of one request.
type seen struct {
	method, path string
	header       http.Header
}

// fakeGitHub is a loopback GitHub: it mints installation tokens for JWTs
// signed by key, answers other requests from a script (then 200 with an ETag),
// and records everything.
type fakeGitHub struct {
	t   *testing.T
	key *rsa.PrivateKey
	srv *httptest.Server
	// prefix is the API base path ("" or "/api/v3").
	prefix string

	mu     sync.Mutex
	script map[string][]reply // "METHOD /path" -> answers in order
	seen   []seen
	jwts   []string
}

func newFakeGitHub(t *testing.T, key *rsa.PrivateKey, prefix string) *fakeGitHub {
	f := &fakeGitHub{t: t, key: key, prefix: prefix, script: make(map[string][]reply)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) baseURL() string { return f.srv.URL + f.prefix + "/" }

// on queues answers for "METHOD /path" (path without the prefix).
func (f *fakeGitHub) on(route string, replies ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[route] = append(f.script[route], replies...)
}

func (f *fakeGitHub) requests(route string) []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []seen
	for _, s := range f.seen {
		if s.method+" "+s.path == route {
			out = append(out, s)
		}
	}
	return out
}

func (f *fakeGitHub) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

// issuedJWTs returns every Bearer JWT the server was sent.
func (f *fakeGitHub) issuedJWTs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.jwts...)
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, f.prefix)
	if !ok {
		http.Error(w, "outside the API base", http.StatusNotFound)
		return
	}
	route := r.Method + " " + path
	f.mu.Lock()
	f.seen = append(f.seen, seen{method: r.Method, path: path, header: r.Header.Clone()})
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		f.jwts = append(f.jwts, bearer)
	}
	var rep *reply
	if q := f.script[route]; len(q) > 0 {
		rep = &q[0]
		f.script[route] = q[1:]
	}
	f.mu.Unlock()

	if rep != nil {
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		fmt.Fprint(w, rep.body)
		return
	}
	if r.Method == http.MethodPost && strings.HasPrefix(path, "/app/installations/") && strings.HasSuffix(path, "/access_tokens") {
		f.mintToken(w, r)
		return
	}
	etag := `W/"v1` + path + `"`
	if r.Header.Get("If-None-Match") == etag {
		w.Header().Set("X-RateLimit-Remaining", "4990")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Resource", "core")
	fmt.Fprintf(w, `{"id":1,"name":"r","full_name":%q}`, path)
}

func (f *fakeGitHub) mintToken(w http.ResponseWriter, r *http.Request) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		http.Error(w, `{"message":"want a JWT"}`, http.StatusUnauthorized)
		return
	}
	if _, err := f.verifyJWT(raw); err != nil {
		http.Error(w, `{"message":"bad JWT"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	// Real time: ghinstallation judges token expiry by the wall clock.
	_ = json.NewEncoder(w).Encode(map[string]any{"token": testToken, "expires_at": time.Now().Add(time.Hour)})
}

// verifyJWT checks a JWT against the App's public key.
func (f *fakeGitHub) verifyJWT(raw string) (*jwt.RegisteredClaims, error) {
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		if tok.Method != jwt.SigningMethodRS256 {
			return nil, fmt.Errorf("signed with %v", tok.Header["alg"])
		}
		return &f.key.PublicKey, nil
	})
	if err != nil {
		return nil, err
	}
	return claims, nil
}

// newFakeClock starts at the wall clock (whole second, as GitHub's reset
// headers are) because go-github and ghinstallation read the wall clock.
func newFakeClock() *clock.Fake { return clock.NewFake(time.Now().Truncate(time.Second)) }

// callsOf returns the tallied number for one method/endpoint/status.
func callsOf(calls []CallCount, method, endpoint, status string) int {
	for _, c := range calls {
		if c.Method == method && c.Endpoint == endpoint && c.Status == status {
			return c.N
		}
	}
	return 0
}
