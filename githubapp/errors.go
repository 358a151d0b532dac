package githubapp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

// IsTransient reports whether a GitHub call that failed with err may succeed
// if tried again later: rate limits, server errors, timeouts and dropped
// connections. A 404 or a 422 will not pass by itself; neither will a
// canceled context, which means we are shutting down or gave up.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var (
		ours     *RateLimitError
		primary  *github.RateLimitError
		abuse    *github.AbuseRateLimitError
		accepted *github.AcceptedError
	)
	if errors.As(err, &ours) || errors.As(err, &primary) || errors.As(err, &abuse) || errors.As(err, &accepted) {
		return true
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return transientStatus(er.Response.StatusCode)
	}
	// A failed installation token request: GitHub's answer, or the transport
	// error behind it, which the checks below find through Unwrap.
	var he *ghinstallation.HTTPError
	if errors.As(err, &he) && he.Response != nil {
		return transientStatus(he.Response.StatusCode)
	}
	if errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || // the server hung up before answering
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func transientStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests
}

// RetryAt reports the earliest time a call that failed with err should be
// tried again, when GitHub said so: our *RateLimitError, go-github's
// *RateLimitError (the quota reset) and *AbuseRateLimitError (its RetryAfter,
// counted from now, which callers take from their clock).
func RetryAt(err error, now time.Time) (time.Time, bool) {
	var ours *RateLimitError
	if errors.As(err, &ours) {
		return ours.Until, true
	}
	var primary *github.RateLimitError
	if errors.As(err, &primary) && !primary.Rate.Reset.Time.IsZero() {
		return primary.Rate.Reset.Time, true
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) && abuse.RetryAfter != nil {
		return now.Add(*abuse.RetryAfter), true
	}
	return time.Time{}, false
}
