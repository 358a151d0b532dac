package githubapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

func statusError(code int) error {
	return &github.ErrorResponse{Response: &http.Response{StatusCode: code, Request: &http.Request{Method: "GET", URL: &url.URL{Path: "/x"}}}}
}

func urlError(err error) error {
	return &url.Error{Op: "Get", URL: "https://api.github.com/x", Err: err}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestIsTransient(t *testing.T) {
	retryAfter := time.Minute
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"502", statusError(502), true},
		{"500", statusError(500), true},
		{"429", statusError(429), true},
		{"404", statusError(404), false},
		{"422", statusError(422), false},
		{"403 permission", statusError(403), false},
		{"our rate limit", &RateLimitError{Until: time.Now()}, true},
		{"our rate limit in url.Error", urlError(&RateLimitError{}), true},
		{"go-github rate limit", &github.RateLimitError{}, true},
		{"go-github secondary limit", &github.AbuseRateLimitError{RetryAfter: &retryAfter}, true},
		{"go-github accepted (job scheduled)", &github.AcceptedError{}, true},
		{"canceled", context.Canceled, false},
		{"canceled in url.Error", urlError(context.Canceled), false},
		// Canceled wins: a body read cut short by shutdown is not a flaky network.
		{"canceled and unexpected EOF", errors.Join(context.Canceled, io.ErrUnexpectedEOF), false},
		{"deadline exceeded", context.DeadlineExceeded, true},
		{"deadline in url.Error", urlError(context.DeadlineExceeded), true},
		{"net timeout in url.Error", urlError(&net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}), true},
		{"os deadline", urlError(os.ErrDeadlineExceeded), true},
		{"connection refused", urlError(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), true},
		{"connection reset", urlError(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), true},
		{"unexpected EOF", urlError(io.ErrUnexpectedEOF), true},
		{"wrapped 502", fmt.Errorf("update check run: %w", statusError(502)), true},
		{"wrapped 404", fmt.Errorf("get config: %w", statusError(404)), false},
		{"token request 503", fmt.Errorf("refresh: %w", &ghinstallation.HTTPError{Response: &http.Response{StatusCode: 503}}), true},
		{"token request 401", fmt.Errorf("refresh: %w", &ghinstallation.HTTPError{Response: &http.Response{StatusCode: 401}}), false},
		{"plain error", errors.New("yaml: bad indentation"), false},
	}
	for _, tt := range tests {
		if got := IsTransient(tt.err); got != tt.want {
			t.Errorf("%s: IsTransient(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// The same classification for errors as go-github really returns them.
func TestIsTransientThroughGoGitHub(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/repos/o/bad-gateway":
			http.Error(w, `{"message":"Bad Gateway"}`, http.StatusBadGateway)
		case "/repos/o/missing":
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		case "/repos/o/invalid":
			http.Error(w, `{"message":"Validation Failed"}`, http.StatusUnprocessableEntity)
		case "/repos/o/hangup":
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + "/"
	closed.Close()

	gh := NewAnonymous(Config{BaseURL: srv.URL, Clock: newFakeClock()})
	refused := NewAnonymous(Config{BaseURL: closedURL, Clock: newFakeClock()})
	canceledCtx, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name string
		call func() error
		want bool
	}{
		{"502", func() error { _, _, err := gh.Repositories.Get(t.Context(), "o", "bad-gateway"); return err }, true},
		{"404", func() error { _, _, err := gh.Repositories.Get(t.Context(), "o", "missing"); return err }, false},
		{"422", func() error { _, _, err := gh.Repositories.Get(t.Context(), "o", "invalid"); return err }, false},
		{"server hung up", func() error { _, _, err := gh.Repositories.Get(t.Context(), "o", "hangup"); return err }, true},
		{"connection refused", func() error { _, _, err := refused.Repositories.Get(t.Context(), "o", "r"); return err }, true},
		{"canceled", func() error { _, _, err := gh.Repositories.Get(canceledCtx, "o", "missing"); return err }, false},
	}
	for _, tt := range tests {
		err := tt.call()
		if err == nil {
			t.Fatalf("%s: call succeeded, want an error", tt.name)
		}
		if got := IsTransient(err); got != tt.want {
			t.Errorf("%s: IsTransient(%T %v) = %v, want %v", tt.name, err, err, got, tt.want)
		}
	}
}

func TestRetryAt(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	retryAfter := 90 * time.Second
	reset := now.Add(time.Hour)
	tests := []struct {
		name   string
		err    error
		want   time.Time
		wantOK bool
	}{
		{"ours", &RateLimitError{Until: now.Add(time.Minute)}, now.Add(time.Minute), true},
		{"ours in url.Error", urlError(&RateLimitError{Until: now.Add(time.Minute)}), now.Add(time.Minute), true},
		{"go-github primary", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: reset}}}, reset, true},
		{"go-github secondary", fmt.Errorf("x: %w", &github.AbuseRateLimitError{RetryAfter: &retryAfter}), now.Add(retryAfter), true},
		{"go-github secondary without retry-after", &github.AbuseRateLimitError{}, time.Time{}, false},
		{"502", statusError(502), time.Time{}, false},
		{"nil", nil, time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := RetryAt(tt.err, now)
		if ok != tt.wantOK || !got.Equal(tt.want) {
			t.Errorf("%s: RetryAt = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}
