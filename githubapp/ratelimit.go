package githubapp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"

	"github.com/wavegate/wavegate/internal/clock"
)

const (
	secondaryMinBackoff = time.Minute
	secondaryMaxBackoff = 30 * time.Minute
	// peekLimit bounds how much of a 403/429 body is read to tell a rate
	// limit from a permission error; GitHub's error bodies are far smaller.
	peekLimit = 64 << 10
)

// RateLimitError is returned by a client's transport instead of a response
// when GitHub limits us, and for every request made while the limit lasts
// (then without any network call). Callers retry no earlier than RetryAt.
type RateLimitError struct {
	// Until is when requests may be sent again.
	Until time.Time
	// Secondary is true for a secondary (abuse) limit, false for the primary
	// hourly quota running out.
	Secondary bool
	// Resource is the primary quota that ran out ("core", "search", ...).
	Resource string
	// Method and Endpoint identify the refused call (endpoint template).
	Method, Endpoint string
	// Status is GitHub's answer (403 or 429), 0 when the call was not sent.
	Status int
}

func (e *RateLimitError) Error() string {
	kind := "primary rate limit (" + e.Resource + ")"
	if e.Secondary {
		kind = "secondary rate limit"
	}
	how := "not sent"
	if e.Status != 0 {
		how = "GitHub answered " + strconv.Itoa(e.Status)
	}
	return fmt.Sprintf("githubapp: %s on %s %s, retry at %s (%s)",
		kind, e.Method, e.Endpoint, e.Until.UTC().Format(time.RFC3339), how)
}

// RetryAt is when the call may be tried again.
func (e *RateLimitError) RetryAt() time.Time { return e.Until }

// Transient is always true: a rate limit passes.
func (e *RateLimitError) Transient() bool { return true }

// rateLimit is the outermost layer: it remembers what GitHub said about our
// limits and refuses calls from memory until they lift, because every call
// made while limited is wasted and GitHub may ban an integration that keeps
// calling through secondary limits. State is per client.
type rateLimit struct {
	next     http.RoundTripper
	clock    clock.Clock
	basePath string

	mu             sync.Mutex
	primary        map[string]time.Time // resource -> quota reset
	secondaryUntil time.Time
	streak         int // consecutive secondary limits
	// epoch changes with every counted secondary limit, so that answers to
	// requests sent before it (a burst of concurrent calls hitting the same
	// limit) neither lengthen the streak again nor reset it.
	epoch uint64
}

func newRateLimit(next http.RoundTripper, c clock.Clock, basePath string) *rateLimit {
	return &rateLimit{next: next, clock: c, basePath: basePath, primary: make(map[string]time.Time)}
}

func (r *rateLimit) RoundTrip(req *http.Request) (*http.Response, error) {
	rel := relativePath(req.URL, r.basePath)
	resource := resourceFor(rel)
	r.mu.Lock()
	epoch := r.epoch
	blocked := r.blockedLocked(r.clock.Now(), resource)
	r.mu.Unlock()
	if blocked != nil {
		if req.Body != nil {
			req.Body.Close() // RoundTrip owns the body even when refusing
		}
		blocked.Method, blocked.Endpoint = req.Method, normalizeEndpoint(rel)
		return nil, blocked
	}

	resp, err := r.next.RoundTrip(req)
	if err != nil {
		// A failed installation token request comes back as an error holding
		// GitHub's response, which may itself be a rate limit.
		var he *ghinstallation.HTTPError
		if errors.As(err, &he) && he.Response != nil && he.Response.Body != nil {
			if rle := r.observe(req, he.Response, resource, epoch); rle != nil {
				return nil, rle
			}
			// ghinstallation leaves this body open for inspection; keep it
			// inspectable but release the connection.
			b, _ := io.ReadAll(io.LimitReader(he.Response.Body, peekLimit))
			he.Response.Body.Close()
			he.Response.Body = io.NopCloser(bytes.NewReader(b))
		}
		return nil, err
	}
	if rle := r.observe(req, resp, resource, epoch); rle != nil {
		return nil, rle
	}
	return resp, nil
}

func (r *rateLimit) blockedLocked(now time.Time, resource string) *RateLimitError {
	if now.Before(r.secondaryUntil) {
		return &RateLimitError{Until: r.secondaryUntil, Secondary: true}
	}
	if until, ok := r.primary[resource]; ok {
		if now.Before(until) {
			return &RateLimitError{Until: until, Resource: resource}
		}
		delete(r.primary, resource)
	}
	return nil
}

// observe learns from one response. It returns a *RateLimitError, having
// closed the body, when the response is a rate limit; otherwise the response
// is left for the caller, its body intact.
func (r *rateLimit) observe(req *http.Request, resp *http.Response, resource string, epoch uint64) *RateLimitError {
	h := resp.Header
	if res := h.Get("X-Ratelimit-Resource"); res != "" {
		resource = res
	}
	remaining := h.Get("X-Ratelimit-Remaining")
	reset, hasReset := parseUnix(h.Get("X-Ratelimit-Reset"))
	limited := resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests
	var body []byte
	if limited {
		body = peek(resp)
	}
	now := r.clock.Now()
	retryAfter, hasRetryAfter := parseRetryAfter(h.Get("Retry-After"), now)
	secondary := limited && (hasRetryAfter || mentionsSecondary(body) ||
		(resp.StatusCode == http.StatusTooManyRequests && remaining != "0"))
	primary := limited && !secondary && remaining == "0"

	r.mu.Lock()
	defer r.mu.Unlock()
	if remaining == "0" && hasReset && reset.After(now) {
		// Even a successful last call tells us the next one would be refused.
		r.blockPrimaryLocked(resource, reset)
	}
	var rle *RateLimitError
	switch {
	case secondary:
		if epoch == r.epoch {
			r.streak++
			r.epoch++
		}
		until := now.Add(max(retryAfter, secondaryBackoff(r.streak)))
		if remaining == "0" && hasReset && reset.After(until) {
			until = reset
		}
		if until.After(r.secondaryUntil) {
			r.secondaryUntil = until
		}
		rle = &RateLimitError{Until: r.secondaryUntil, Secondary: true}
	case primary:
		until := reset
		switch {
		case !hasReset:
			until = now.Add(secondaryMinBackoff)
		case !reset.After(now):
			// Our clock is ahead of GitHub's; a short pause lets its reset pass.
			until = now.Add(time.Second)
		}
		r.blockPrimaryLocked(resource, until)
		rle = &RateLimitError{Until: r.primary[resource], Resource: resource}
	default:
		if resp.StatusCode < 400 && epoch == r.epoch {
			r.streak = 0
		}
		return nil
	}
	resp.Body.Close()
	rle.Method = req.Method
	rle.Endpoint = normalizeEndpoint(relativePath(req.URL, r.basePath))
	rle.Status = resp.StatusCode
	return rle
}

func (r *rateLimit) blockPrimaryLocked(resource string, until time.Time) {
	if until.After(r.primary[resource]) {
		r.primary[resource] = until
	}
}

// secondaryBackoff is 1 minute for the first secondary limit, then doubles
// for each consecutive one, capped: GitHub asks for "exponentially
// increasing" waits when limits repeat.
func secondaryBackoff(streak int) time.Duration {
	if streak <= 1 {
		return secondaryMinBackoff
	}
	if streak > 8 {
		return secondaryMaxBackoff
	}
	return min(secondaryMinBackoff<<(streak-1), secondaryMaxBackoff)
}

// resourceFor predicts which primary quota a request draws on, so a spent
// search quota does not block core calls. GitHub names the quota of each
// answer in X-RateLimit-Resource; these names match it.
func resourceFor(rel string) string {
	switch {
	case rel == "/graphql":
		return "graphql"
	case rel == "/search/code" || strings.HasPrefix(rel, "/search/code/"):
		return "code_search"
	case strings.HasPrefix(rel, "/search/"):
		return "search"
	case strings.HasPrefix(rel, "/app-manifests/"):
		return "integration_manifest"
	}
	return "core"
}

// peek reads the start of the body and puts it back in front of the rest.
func peek(resp *http.Response) []byte {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	return b
}

func mentionsSecondary(body []byte) bool {
	s := strings.ToLower(string(body))
	return strings.Contains(s, "secondary rate limit") ||
		strings.Contains(s, "secondary-rate-limits") ||
		strings.Contains(s, "abuse-rate-limits") ||
		strings.Contains(s, "abuse detection")
}

func parseUnix(v string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// parseRetryAfter accepts both forms of RFC 9110: delay-seconds and an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		// A day is longer than any wait GitHub asks for and keeps the product in range.
		return time.Duration(min(n, 86400)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
