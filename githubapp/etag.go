package githubapp

import (
	"bytes"
	"container/list"
	"fmt"
	"io"
	"net/http"
	"sync"
)

const (
	cacheMaxEntries = 4096
	cacheMaxBytes   = 64 << 20
)

// etagCache turns repeated GETs into conditional requests. It never answers
// from memory without asking GitHub, so it cannot serve stale data; it only
// saves quota (a 304 does not count against the primary rate limit) and bytes.
type etagCache struct {
	next  http.RoundTripper
	scope string // keeps one installation's answers from being served to another
	store *etagStore
}

func (c *etagCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if !cacheable(req) {
		return c.next.RoundTrip(req)
	}
	key := c.scope + "\x00" + req.Method + "\x00" + req.URL.String() + "\x00" + req.Header.Get("Accept")
	cached, ok := c.store.get(key)
	out := req
	if ok {
		out = req.Clone(req.Context())
		if cached.etag != "" {
			out.Header.Set("If-None-Match", cached.etag)
		}
		if cached.lastModified != "" {
			out.Header.Set("If-Modified-Since", cached.lastModified)
		}
	}
	resp, err := c.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && ok:
		return c.revalidated(req, resp, key, cached), nil
	case resp.StatusCode == http.StatusOK:
		return c.remember(req, resp, key)
	}
	return resp, nil
}

// cacheable leaves alone requests whose caller manages validation or ranges
// itself, since answering them from our entry would change their meaning.
func cacheable(req *http.Request) bool {
	if req.Method != http.MethodGet {
		return false
	}
	for _, h := range []string{"If-None-Match", "If-Modified-Since", "Range", "Cache-Control"} {
		if req.Header.Get(h) != "" {
			return false
		}
	}
	return true
}

// revalidated answers a 304 as the cached 200 so go-github sees a normal
// response, taking the 304's headers (fresh rate-limit counts, new date) over
// the stored ones as RFC 9111 section 4.3.4 asks.
func (c *etagCache) revalidated(req *http.Request, notModified *http.Response, key string, e *cacheEntry) *http.Response {
	_, _ = io.Copy(io.Discard, io.LimitReader(notModified.Body, 64<<10))
	notModified.Body.Close()
	h := e.header.Clone()
	for k, v := range notModified.Header {
		switch k {
		case "Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding":
			continue
		}
		h[k] = append([]string(nil), v...)
	}
	c.store.put(key, &cacheEntry{
		header:       h.Clone(),
		body:         e.body,
		etag:         cmpOr(h.Get("Etag"), e.etag),
		lastModified: cmpOr(h.Get("Last-Modified"), e.lastModified),
	})
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         notModified.Proto,
		ProtoMajor:    notModified.ProtoMajor,
		ProtoMinor:    notModified.ProtoMinor,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(e.body)),
		ContentLength: int64(len(e.body)),
		Request:       req,
		TLS:           notModified.TLS,
	}
}

// remember stores a 200 that carries a validator. The body has to be read
// to be kept; a body larger than one entry may be is handed on unread past
// what was peeked, and not kept.
func (c *etagCache) remember(req *http.Request, resp *http.Response, key string) (*http.Response, error) {
	etag, lastModified := resp.Header.Get("Etag"), resp.Header.Get("Last-Modified")
	if etag == "" && lastModified == "" {
		return resp, nil
	}
	limit := c.store.maxEntryBytes()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("githubapp: read %s %s response: %w", req.Method, req.URL.Path, err)
	}
	if int64(len(body)) > limit {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	c.store.put(key, &cacheEntry{header: resp.Header.Clone(), body: body, etag: etag, lastModified: lastModified})
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

type cacheEntry struct {
	header             http.Header
	body               []byte
	etag, lastModified string
}

func (e *cacheEntry) size(key string) int64 {
	n := len(key) + len(e.body) + len(e.etag) + len(e.lastModified)
	for k, vs := range e.header {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return int64(n)
}

// etagStore is an LRU bounded both by entries and by bytes; one is shared by
// all clients of a Clients, the scope in the key keeping them apart.
type etagStore struct {
	maxEntries int
	maxBytes   int64

	mu    sync.Mutex
	bytes int64
	order *list.List // front = most recently used; values are *lruItem
	items map[string]*list.Element
}

type lruItem struct {
	key   string
	entry *cacheEntry
	size  int64
}

func newEtagStore(maxEntries int, maxBytes int64) *etagStore {
	return &etagStore{maxEntries: maxEntries, maxBytes: maxBytes, order: list.New(), items: make(map[string]*list.Element)}
}

// maxEntryBytes keeps one large answer from flushing everything else.
func (s *etagStore) maxEntryBytes() int64 { return s.maxBytes / 8 }

func (s *etagStore) get(key string) (*cacheEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.items[key]
	if !ok {
		return nil, false
	}
	s.order.MoveToFront(el)
	return el.Value.(*lruItem).entry, true
}

func (s *etagStore) put(key string, e *cacheEntry) {
	size := e.size(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.items[key]; ok {
		s.bytes -= el.Value.(*lruItem).size
		s.order.Remove(el)
		delete(s.items, key)
	}
	if size > s.maxEntryBytes() {
		return
	}
	s.items[key] = s.order.PushFront(&lruItem{key: key, entry: e, size: size})
	s.bytes += size
	for s.order.Len() > s.maxEntries || s.bytes > s.maxBytes {
		oldest := s.order.Back()
		it := oldest.Value.(*lruItem)
		s.order.Remove(oldest)
		delete(s.items, it.key)
		s.bytes -= it.size
	}
}

func (s *etagStore) len() (entries int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len(), s.bytes
}
