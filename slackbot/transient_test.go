package slackbot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/wavegate/wavegate/slackbot"
)

func TestIsTransient(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "https://slack.com/api/chat.postMessage", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"canceled", context.Canceled, false},
		{"canceled in url.Error", &url.Error{Op: "Post", URL: "u", Err: context.Canceled}, false},
		{"deadline", fmt.Errorf("post: %w", context.DeadlineExceeded), true},
		{"429 with Retry-After", &slack.RateLimitedError{RetryAfter: 5 * time.Second}, true},
		{"429 without Retry-After", slack.StatusCodeError{Code: 429, Status: "429 Too Many Requests"}, true},
		{"500", slack.StatusCodeError{Code: 500, Status: "500 Internal Server Error"}, true},
		{"503 wrapped", fmt.Errorf("update: %w", slack.StatusCodeError{Code: 503, Status: "503"}), true},
		{"404", slack.StatusCodeError{Code: 404, Status: "404 Not Found"}, false},
		{"internal_error", slack.SlackErrorResponse{Err: "internal_error"}, true},
		{"fatal_error", slack.SlackErrorResponse{Err: "fatal_error"}, true},
		{"service_unavailable", slack.SlackErrorResponse{Err: "service_unavailable"}, true},
		{"request_timeout", slack.SlackErrorResponse{Err: "request_timeout"}, true},
		{"ratelimited", slack.SlackErrorResponse{Err: "ratelimited"}, true},
		{"invalid_auth", slack.SlackErrorResponse{Err: "invalid_auth"}, false},
		{"not_in_channel", slack.SlackErrorResponse{Err: "not_in_channel"}, false},
		{"channel_not_found", slack.SlackErrorResponse{Err: "channel_not_found"}, false},
		{"message_not_found as ErrGone", fmt.Errorf("x: %w: %w", slackbot.ErrGone, slack.SlackErrorResponse{Err: "message_not_found"}), false},
		{"connection refused", refused, true},
		{"dns", &url.Error{Op: "Post", URL: "u", Err: &net.DNSError{Err: "no such host", Name: "slack.com", IsTemporary: true}}, true},
		{"server hung up", &url.Error{Op: "Post", URL: "u", Err: io.EOF}, true},
		{"truncated answer", fmt.Errorf("decode: %w", io.ErrUnexpectedEOF), true},
		{"bad scheme", &url.Error{Op: "Post", URL: "ftp://x", Err: errors.New("unsupported protocol scheme \"ftp\"")}, false},
		{"plain", errors.New("json: cannot unmarshal"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := slackbot.IsTransient(tc.err); got != tc.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestRetryAtIsOnlyForRateLimits(t *testing.T) {
	for _, err := range []error{nil, errors.New("x"), &slack.RateLimitedError{RetryAfter: time.Second}} {
		// A raw slack-go error has no clock reading to anchor it; only the
		// Client's own errors carry a time.
		if at, ok := slackbot.RetryAt(err); ok {
			t.Errorf("RetryAt(%v) = %s, true", err, at)
		}
	}
}
