package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/slack-go/slack"
)

// ErrResponseURL means a response URL is not one Wavegate answers through:
// not https, or not on Slack's hooks hosts.
var ErrResponseURL = errors.New("not a Slack response URL")

// SlackResponseURL says whether u is where Slack's response URLs live.
// Answering anywhere else would let whoever wrote the URL aim Wavegate's
// requests; verified requests carry Slack's own, but a stored row outlives
// the check.
func SlackResponseURL(u *url.URL) bool {
	return u.Scheme == "https" && (u.Host == "hooks.slack.com" || u.Host == "hooks.slack-gov.com")
}

// Responder answers slash commands and button presses through their
// response URLs.
type Responder struct {
	// HTTP is nil for a client with a 30s timeout.
	HTTP *http.Client
	// Allow is nil for SlackResponseURL (tests answer on loopback).
	Allow func(*url.URL) bool
}

// Respond posts text to responseURL as a message only the person who
// asked sees. Failures are sorted as the Web API's are: 5xx, 429 and
// network errors are IsTransient; an expired or used-up URL is not.
func (r Responder) Respond(ctx context.Context, responseURL, text string) error {
	u, err := url.Parse(responseURL)
	allow := r.Allow
	if allow == nil {
		allow = SlackResponseURL
	}
	if err != nil || !allow(u) {
		return fmt.Errorf("slackbot: respond: %w", ErrResponseURL)
	}
	body, err := json.Marshal(map[string]any{"response_type": "ephemeral", "text": text})
	if err != nil {
		return fmt.Errorf("slackbot: respond: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("slackbot: respond: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	c := r.HTTP
	if c == nil {
		c = &http.Client{Timeout: defaultHTTPTimeout}
	}
	resp, err := c.Do(req)
	if err != nil {
		// The URL is a capability: keep it out of the error.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("slackbot: respond to %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("slackbot: respond to %s: %q: %w", u.Host, strings.TrimSpace(string(answer)),
			slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status})
	}
	return nil
}

// Mrkdwn turns the Markdown a command's answer is written in into Slack's
// mrkdwn: &, < and > escaped (so no text in it can ping a channel),
// links and bold in Slack's syntax; code spans and blocks read the same.
func Mrkdwn(md string) string {
	// Compiled per answer, a few a minute: cheaper than a package global.
	link := regexp.MustCompile(`\[([^\]\n]+)\]\((https?://[^)\s]+)\)`)
	bold := regexp.MustCompile(`\*\*([^*\n]+)\*\*`)
	s := Escape(md)
	s = link.ReplaceAllString(s, "<$2|$1>")
	return bold.ReplaceAllString(s, "*$1*")
}

// Escape escapes the three characters Slack reads as control sequences
// (<!channel>, <@U123>, <url|text>), so that text shows as written.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
