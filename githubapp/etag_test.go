package githubapp

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestRepeatedGETIsRevalidatedAndAnsweredFromCache(t *testing.T) {
	key, pemKey := newKey(t)
	f := newFakeGitHub(t, key, "")
	c := newTestClients(t, f, pemKey, nil)
	gh, err := c.Installation(1)
	if err != nil {
		t.Fatal(err)
	}

	repo1, resp1, err := gh.Repositories.Get(t.Context(), "octo", "hello")
	if err != nil {
		t.Fatal(err)
	}
	repo2, resp2, err := gh.Repositories.Get(t.Context(), "octo", "hello")
	if err != nil {
		t.Fatalf("second GET: %v", err)
	}

	got := f.requests("GET /repos/octo/hello")
	if len(got) != 2 {
		t.Fatalf("server saw %d GETs, want 2", len(got))
	}
	if inm := got[0].header.Get("If-None-Match"); inm != "" {
		t.Errorf("first GET carried If-None-Match %q", inm)
	}
	if inm := got[1].header.Get("If-None-Match"); inm != `W/"v1/repos/octo/hello"` {
		t.Errorf("second GET If-None-Match = %q, want the first ETag", inm)
	}
	if repo2.GetFullName() != "/repos/octo/hello" || repo2.GetFullName() != repo1.GetFullName() {
		t.Errorf("second GET decoded %q, want the cached body %q", repo2.GetFullName(), repo1.GetFullName())
	}
	if resp2.StatusCode != http.StatusOK {
		t.Errorf("caller saw status %d, want 200", resp2.StatusCode)
	}
	// The rate-limit headers come from the 304, not from the cache.
	if resp1.Rate.Remaining != 4999 || resp2.Rate.Remaining != 4990 {
		t.Errorf("remaining = %d then %d, want 4999 then the 304's 4990", resp1.Rate.Remaining, resp2.Rate.Remaining)
	}
	calls := c.Calls()
	if n := callsOf(calls, "GET", "/repos/{owner}/{repo}", "200"); n != 1 {
		t.Errorf("counted 200s = %d, want 1 (%+v)", n, calls)
	}
	if n := callsOf(calls, "GET", "/repos/{owner}/{repo}", "304"); n != 1 {
		t.Errorf("counted 304s = %d, want 1 (%+v)", n, calls)
	}
}

func TestCacheDoesNotCrossScopes(t *testing.T) {
	key, pemKey := newKey(t)
	f := newFakeGitHub(t, key, "")
	c := newTestClients(t, f, pemKey, nil)
	for _, id := range []int64{1, 2} {
		gh, err := c.Installation(id)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := gh.Repositories.Get(t.Context(), "octo", "shared"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.App().Repositories.Get(t.Context(), "octo", "shared"); err != nil {
		t.Fatal(err)
	}
	for i, s := range f.requests("GET /repos/octo/shared") {
		if inm := s.header.Get("If-None-Match"); inm != "" {
			t.Errorf("request %d (a different installation or the App) revalidated another scope's entry: If-None-Match %q", i, inm)
		}
	}
}

func TestCacheOnlyKeepsGET200WithValidator(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		first     reply
		wantReval bool
	}{
		{"200 with ETag", http.MethodGet, reply{200, map[string]string{"ETag": `"a"`}, `{}`}, true},
		{"200 with Last-Modified", http.MethodGet, reply{200, map[string]string{"Last-Modified": "Mon, 02 Jan 2006 15:04:05 GMT"}, `{}`}, true},
		{"200 without validator", http.MethodGet, reply{200, nil, `{}`}, false},
		{"404 with ETag", http.MethodGet, reply{404, map[string]string{"ETag": `"a"`}, `{"message":"Not Found"}`}, false},
		{"PATCH 200 with ETag", http.MethodPatch, reply{200, map[string]string{"ETag": `"a"`}, `{}`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGitHub(t, nil, "")
			f.on(tt.method+" /thing", tt.first, reply{200, nil, `{}`})
			hc := NewAnonymous(Config{BaseURL: f.baseURL(), Clock: newFakeClock()}).Client()
			for range 2 {
				req, err := http.NewRequestWithContext(t.Context(), tt.method, f.baseURL()+"thing", nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			second := f.requests(tt.method + " /thing")[1].header
			reval := second.Get("If-None-Match") != "" || second.Get("If-Modified-Since") != ""
			if reval != tt.wantReval {
				t.Errorf("second request conditional = %v, want %v (headers %v)", reval, tt.wantReval, second)
			}
		})
	}
}

func TestCache304BodyAndHeaders(t *testing.T) {
	f := newFakeGitHub(t, nil, "")
	f.on("GET /x",
		reply{200, map[string]string{"Last-Modified": "Mon, 02 Jan 2006 15:04:05 GMT", "X-Custom": "kept", "X-RateLimit-Remaining": "10"}, "original body"},
		reply{304, map[string]string{"X-RateLimit-Remaining": "9"}, ""},
	)
	hc := NewAnonymous(Config{BaseURL: f.baseURL(), Clock: newFakeClock()}).Client()
	var bodies []string
	var last *http.Response
	for range 2 {
		resp, err := hc.Get(f.baseURL() + "x")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bodies = append(bodies, string(b))
		last = resp
	}
	if got := f.requests("GET /x")[1].header.Get("If-Modified-Since"); got != "Mon, 02 Jan 2006 15:04:05 GMT" {
		t.Errorf("If-Modified-Since = %q", got)
	}
	if bodies[1] != "original body" || last.StatusCode != 200 || last.ContentLength != int64(len("original body")) {
		t.Errorf("after 304 caller got %d %q (length %d), want 200 %q", last.StatusCode, bodies[1], last.ContentLength, "original body")
	}
	if last.Header.Get("X-Custom") != "kept" || last.Header.Get("X-RateLimit-Remaining") != "9" {
		t.Errorf("headers after 304 = %v, want cached X-Custom and the 304's remaining count", last.Header)
	}
}

func TestEtagStoreEvictsLeastRecentlyUsed(t *testing.T) {
	entry := func(n int) *cacheEntry { return &cacheEntry{body: []byte(strings.Repeat("x", n)), etag: `"e"`} }

	t.Run("by entries", func(t *testing.T) {
		s := newEtagStore(2, 1<<20)
		s.put("a", entry(1))
		s.put("b", entry(1))
		s.get("a") // a is now more recent than b
		s.put("c", entry(1))
		if _, ok := s.get("b"); ok {
			t.Error("b survived, want it evicted as least recently used")
		}
		for _, k := range []string{"a", "c"} {
			if _, ok := s.get(k); !ok {
				t.Errorf("%s evicted", k)
			}
		}
	})
	t.Run("by bytes", func(t *testing.T) {
		s := newEtagStore(100, 8000) // entries up to 1000 bytes
		for i := range 10 {
			s.put(fmt.Sprint(i), entry(900))
		}
		n, b := s.len()
		if b > 8000 || n != 8 {
			t.Errorf("store holds %d entries, %d bytes; want 8 within 8000 bytes", n, b)
		}
		if _, ok := s.get("0"); ok {
			t.Error("oldest entry survived")
		}
		if _, ok := s.get("9"); !ok {
			t.Error("newest entry evicted")
		}
	})
	t.Run("oversized entry is not kept and drops the old one", func(t *testing.T) {
		s := newEtagStore(100, 8000)
		s.put("k", entry(10))
		s.put("k", entry(5000))
		if _, ok := s.get("k"); ok {
			t.Error("oversized entry kept")
		}
		if n, b := s.len(); n != 0 || b != 0 {
			t.Errorf("store holds %d entries, %d bytes; want empty", n, b)
		}
	})
}

func TestLargeBodyPassesThroughUncached(t *testing.T) {
	f := newFakeGitHub(t, nil, "")
	big := strings.Repeat("y", 3000)
	f.on("GET /big", reply{200, map[string]string{"ETag": `"big"`}, big}, reply{200, map[string]string{"ETag": `"big"`}, big})
	cache := &etagCache{next: http.DefaultTransport, scope: "t", store: newEtagStore(10, 8000)}
	hc := &http.Client{Transport: cache}
	for i := range 2 {
		resp, err := hc.Get(f.baseURL() + "big")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != big {
			t.Fatalf("request %d: body of %d bytes, want all %d", i, len(b), len(big))
		}
	}
	if inm := f.requests("GET /big")[1].header.Get("If-None-Match"); inm != "" {
		t.Errorf("oversized body was cached: second request sent If-None-Match %q", inm)
	}
}
