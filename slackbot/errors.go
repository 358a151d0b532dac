package slackbot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/slack-go/slack"
)

// ErrGone means the message, thread or channel addressed no longer exists or
// can no longer be edited. Callers post a fresh message instead of retrying.
var ErrGone = errors.New("message or channel gone")

// goneCode reports whether err carries a Slack error code that means the
// target is gone for good.
func goneCode(err error) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return false
	}
	switch se.Err {
	case "message_not_found", "channel_not_found", "cant_update_message", "is_archived", "thread_not_found":
		return true
	}
	return false
}

// rateLimitedError carries the time Slack allows the next call to the
// channel, for the caller's outbox to reschedule the effect rather than
// this package sleeping on it.
type rateLimitedError struct {
	at  time.Time
	err error
}

func (e *rateLimitedError) Error() string { return e.err.Error() }
func (e *rateLimitedError) Unwrap() error { return e.err }

// RetryAt returns when a call that failed with a rate limit may be made again.
func RetryAt(err error) (time.Time, bool) {
	var rl *rateLimitedError
	if errors.As(err, &rl) {
		return rl.at, true
	}
	return time.Time{}, false
}

// retryAfter returns how long Slack asked to wait, if err is a rate limit.
// A missing or zero Retry-After still means "not now", so it counts as one
// second rather than an immediate retry that would be refused again.
func retryAfter(err error) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		if rl.RetryAfter <= 0 {
			return time.Second, true
		}
		return rl.RetryAfter, true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests {
		return time.Second, true
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "ratelimited" {
		return time.Second, true
	}
	return 0, false
}

// IsTransient reports whether a failed call may succeed if made again later:
// rate limits, Slack server errors, network failures and timeouts. Anything
// else (bad token, bot not in channel, unknown channel) needs a person.
// Cancellation is not transient: whoever cancelled chose to stop.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if _, ok := RetryAt(err); ok {
		return true
	}
	if _, ok := retryAfter(err); ok {
		return true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= 500
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited":
			return true
		}
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	// *url.Error is itself a net.Error whatever it wraps, so judge its cause:
	// a refused or reset connection passes, a malformed request does not.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

// redactedError hides the token in an error's text while keeping the chain
// for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// fail turns an error from slack-go into this package's: rate limits push
// the channel's schedule and carry RetryAt, gone targets wrap ErrGone, and
// the Slack error code stays in the text. key is the pacing key the call was
// charged to ("" for calls not paced per channel).
func (c *Client) fail(err error, key, op string) error {
	if d, ok := retryAfter(err); ok {
		at := c.clock.Now().Add(d)
		c.pace.backoff(key, at)
		return c.redact(&rateLimitedError{
			at:  at,
			err: fmt.Errorf("slackbot: %s: rate limited until %s: %w", op, at.UTC().Format(time.RFC3339), err),
		})
	}
	if goneCode(err) {
		return c.redact(fmt.Errorf("slackbot: %s: %w: %w", op, ErrGone, err))
	}
	return c.redact(fmt.Errorf("slackbot: %s: %w", op, err))
}

// redact guards against the token reaching logs through an error: slack-go
// sends it in the form body, and a proxy or transport error that echoes the
// request would otherwise carry it along.
func (c *Client) redact(err error) error {
	if err == nil || c.token == "" || !strings.Contains(err.Error(), c.token) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), c.token, "[redacted]"), err: err}
}
