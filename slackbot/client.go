// Package slackbot owns Wavegate's use of the Slack Web API: posting,
// threading, updating and finding again the messages Wavegate reports with,
// paced per channel to Slack's limits, with failures sorted into gone
// (ErrGone), rate limited (RetryAt) and transient (IsTransient) for the
// outbox that drives it. It speaks slack-go types; what to say lives in
// notify.
package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/wavegate/wavegate/internal/clock"
)

const (
	defaultGap         = time.Second
	defaultHTTPTimeout = 30 * time.Second

	// metadataEventType marks Wavegate's messages so they can be told apart
	// from other apps' metadata when searching after a crash.
	metadataEventType = "wavegate_report"

	// maxBlocks is Slack's limit per message; checking it here turns a vague
	// invalid_blocks from Slack into an error that says what is wrong.
	maxBlocks = 50

	pageSize = 200
	// historyMaxPages bounds the search for a lost message: a report older
	// than 2,000 messages is not worth updating, a new one is posted instead.
	historyMaxPages = 10
)

// Options configures a Client.
type Options struct {
	Token string
	// APIURL is the Web API base URL; "" means Slack's own. Tests and
	// proxies give e.g. "http://127.0.0.1:port/".
	APIURL string
	// HTTPClient is nil for a client with a 30s timeout.
	HTTPClient *http.Client
	// Clock is nil for the wall clock.
	Clock clock.Clock
	// Gap is the least spacing of calls to one channel; 0 means 1s, Slack's
	// allowance of about one message per second per channel.
	Gap time.Duration
	// OnWait, when set, is told each time a call waits for its channel's
	// next slot, and until when (tests move their clock to it).
	OnWait func(until time.Time)
}

// Client posts and maintains Wavegate's Slack messages. It is safe for
// concurrent use; calls to one channel are spaced by Options.Gap.
type Client struct {
	api   *slack.Client
	clock clock.Clock
	token string
	pace  *pacer
	// listing is a one-slot semaphore so concurrent cache misses in
	// ResolveChannel walk conversations.list once, not once each.
	listing chan struct{}
}

// New returns a Client for the bot token in o.
func New(o Options) (*Client, error) {
	if o.Token == "" {
		return nil, errors.New("slackbot: new client: no token")
	}
	if o.Gap < 0 {
		return nil, fmt.Errorf("slackbot: new client: negative gap %s", o.Gap)
	}
	if o.Gap == 0 {
		o.Gap = defaultGap
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	opts := []slack.Option{slack.OptionHTTPClient(retryAfterGuard{o.HTTPClient})}
	if o.APIURL != "" {
		u, err := url.Parse(o.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("slackbot: new client: API URL %q is not an http(s) URL", o.APIURL)
		}
		// slack-go appends method names to the base without a separator.
		if !strings.HasSuffix(o.APIURL, "/") {
			o.APIURL += "/"
		}
		opts = append(opts, slack.OptionAPIURL(o.APIURL))
	}
	return &Client{
		api:     slack.New(o.Token, opts...),
		clock:   o.Clock,
		token:   o.Token,
		pace:    newPacer(o.Clock, o.Gap, o.OnWait),
		listing: make(chan struct{}, 1),
	}, nil
}

// Message is what Wavegate posts: Block Kit blocks plus a plain-text
// fallback (notifications, screen readers), and a Key put in the message's
// metadata (event_type "wavegate_report", event_payload {"key": Key}) so it
// can be found again after a crash.
//
// Text is sent unescaped because it is mrkdwn the caller built (links such as
// <url|label>); the caller escapes anything that came from users.
type Message struct {
	Text   string
	Blocks []slack.Block
	Key    string
}

// options renders m for chat.postMessage or chat.update. An update always
// sends blocks, possibly none, so a message that drops its blocks loses them
// instead of keeping stale ones.
func (m Message) options(update bool) ([]slack.MsgOption, error) {
	if len(m.Blocks) > maxBlocks {
		return nil, fmt.Errorf("message has %d blocks, Slack allows %d", len(m.Blocks), maxBlocks)
	}
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 || update {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if m.Key != "" {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType:    metadataEventType,
			EventPayload: map[string]any{"key": m.Key},
		}))
	}
	return opts, nil
}

// Post posts m to channel, a name such as "#deploys" or an ID, and returns
// the channel ID Slack answered with and the new message's ts.
func (c *Client) Post(ctx context.Context, channel string, m Message) (channelID, ts string, err error) {
	op := fmt.Sprintf("post message %q to %s", m.Key, channel)
	opts, err := m.options(false)
	if err != nil {
		return "", "", fmt.Errorf("slackbot: %s: %w", op, err)
	}
	key, err := c.pace.wait(ctx, channel)
	if err != nil {
		return "", "", fmt.Errorf("slackbot: %s: wait for the channel's turn: %w", op, err)
	}
	channelID, ts, err = c.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", "", c.fail(err, key, op)
	}
	c.pace.learn(channel, channelID)
	return channelID, ts, nil
}

// Reply posts m in the thread of threadTS. If the parent is gone Slack does
// not refuse: it posts the reply as a top-level message. Reply reports that
// as ErrGone so the caller recreates the parent; the stray message stays.
func (c *Client) Reply(ctx context.Context, channelID, threadTS string, m Message) (ts string, err error) {
	op := fmt.Sprintf("reply %q in %s to thread %s", m.Key, channelID, threadTS)
	opts, err := m.options(false)
	if err != nil {
		return "", fmt.Errorf("slackbot: %s: %w", op, err)
	}
	opts = append(opts, slack.MsgOptionTS(threadTS))
	key, err := c.pace.wait(ctx, channelID)
	if err != nil {
		return "", fmt.Errorf("slackbot: %s: wait for the channel's turn: %w", op, err)
	}
	gotChannel, ts, posted, err := c.api.PostMessageWithResponseContext(ctx, channelID, opts...)
	if err != nil {
		return "", c.fail(err, key, op)
	}
	c.pace.learn(channelID, gotChannel)
	// An answer without the message object says nothing either way.
	if posted.Timestamp != "" && posted.ThreadTimestamp != threadTS {
		return "", fmt.Errorf("slackbot: %s: parent not found, Slack posted the reply top-level as %s: %w", op, ts, ErrGone)
	}
	return ts, nil
}

// Update replaces the text, blocks and metadata of the message at ts.
func (c *Client) Update(ctx context.Context, channelID, ts string, m Message) error {
	op := fmt.Sprintf("update message %q at %s in %s", m.Key, ts, channelID)
	opts, err := m.options(true)
	if err != nil {
		return fmt.Errorf("slackbot: %s: %w", op, err)
	}
	key, err := c.pace.wait(ctx, channelID)
	if err != nil {
		return fmt.Errorf("slackbot: %s: wait for the channel's turn: %w", op, err)
	}
	if _, _, _, err := c.api.UpdateMessageContext(ctx, channelID, ts, opts...); err != nil {
		return c.fail(err, key, op)
	}
	return nil
}

// ResolveChannel returns the ID of channel ("#name" or "name"); an ID is
// returned as is. Names are looked up with conversations.list (public and
// private, not archived) and every name seen is cached for the Client's
// life, so a workspace is listed once, not once per channel. The listing is
// not paced per channel: it addresses none.
func (c *Client) ResolveChannel(ctx context.Context, channel string) (string, error) {
	if isChannelID(channel) {
		return channel, nil
	}
	if id, ok := c.pace.lookup(channel); ok {
		return id, nil
	}
	select {
	case c.listing <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("slackbot: resolve channel %q: wait for a running listing: %w", channel, ctx.Err())
	}
	defer func() { <-c.listing }()
	// Another caller may have listed while this one waited.
	if id, ok := c.pace.lookup(channel); ok {
		return id, nil
	}

	cursor, seen := "", 0
	for page := 1; ; page++ {
		chans, next, err := c.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
			Cursor:          cursor,
			ExcludeArchived: true,
			Limit:           pageSize,
			Types:           []string{"public_channel", "private_channel"},
		})
		if err != nil {
			return "", c.fail(err, "", fmt.Sprintf("resolve channel %q: list conversations (page %d)", channel, page))
		}
		for _, ch := range chans {
			c.pace.learn(ch.Name, ch.ID)
		}
		seen += len(chans)
		if next == "" {
			break
		}
		cursor = next
	}
	if id, ok := c.pace.lookup(channel); ok {
		return id, nil
	}
	return "", fmt.Errorf("slackbot: resolve channel %q: not among %d unarchived channels visible to the bot: channel_not_found: %w", channel, seen, ErrGone)
}

// FindMessage returns the ts of the newest top-level message in channelID
// posted since oldest whose metadata key is key, or "" if there is none. It
// reads at most 10 pages of 200 messages, newest first.
func (c *Client) FindMessage(ctx context.Context, channelID, key string, oldest time.Time) (string, error) {
	params := slack.GetConversationHistoryParameters{
		ChannelID:          channelID,
		Limit:              pageSize,
		Inclusive:          true,
		IncludeAllMetadata: true,
	}
	if !oldest.IsZero() {
		params.Oldest = slackTS(oldest)
	}
	for page := 1; page <= historyMaxPages; page++ {
		op := fmt.Sprintf("find message %q in %s (history page %d)", key, channelID, page)
		pk, err := c.pace.wait(ctx, channelID)
		if err != nil {
			return "", fmt.Errorf("slackbot: %s: wait for the channel's turn: %w", op, err)
		}
		resp, err := c.api.GetConversationHistoryContext(ctx, &params)
		if err != nil {
			return "", c.fail(err, pk, op)
		}
		for _, msg := range resp.Messages {
			// History also carries replies broadcast to the channel; only
			// a thread's parent is a report.
			topLevel := msg.ThreadTimestamp == "" || msg.ThreadTimestamp == msg.Timestamp
			if topLevel && metadataKey(msg) == key {
				return msg.Timestamp, nil
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			break
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
	return "", nil
}

// FindReplies returns, for each metadata key Wavegate put on a reply in the
// thread of threadTS, the ts of that reply. When a key appears twice (a crash
// between posting and recording), the earliest reply wins so the answer is
// stable.
func (c *Client) FindReplies(ctx context.Context, channelID, threadTS string) (map[string]string, error) {
	params := slack.GetConversationRepliesParameters{
		ChannelID:          channelID,
		Timestamp:          threadTS,
		Limit:              pageSize,
		Inclusive:          true,
		IncludeAllMetadata: true,
	}
	found := map[string]string{}
	for page := 1; ; page++ {
		op := fmt.Sprintf("find replies in %s to thread %s (page %d)", channelID, threadTS, page)
		pk, err := c.pace.wait(ctx, channelID)
		if err != nil {
			return nil, fmt.Errorf("slackbot: %s: wait for the channel's turn: %w", op, err)
		}
		msgs, _, next, err := c.api.GetConversationRepliesContext(ctx, &params)
		if err != nil {
			return nil, c.fail(err, pk, op)
		}
		for _, msg := range msgs {
			k := metadataKey(msg)
			if msg.Timestamp == threadTS || k == "" {
				continue
			}
			if _, dup := found[k]; !dup {
				found[k] = msg.Timestamp
			}
		}
		if next == "" {
			return found, nil
		}
		params.Cursor = next
	}
}

// metadataKey returns the key of a Wavegate message, "" for anything else.
func metadataKey(msg slack.Message) string {
	if msg.Metadata.EventType != metadataEventType {
		return ""
	}
	k, _ := msg.Metadata.EventPayload["key"].(string)
	return k
}

// slackTS renders t as a Slack timestamp ("seconds.micros").
func slackTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// retryAfterGuard makes every 429 readable by slack-go, which fails with a
// bare parse error (neither a rate limit nor transient) when Retry-After is
// not whole seconds, such as an HTTP date. Dropping such a header makes it a
// plain 429, which this package treats as "retry in one second".
type retryAfterGuard struct{ c *http.Client }

func (g retryAfterGuard) Do(req *http.Request) (*http.Response, error) {
	resp, err := g.c.Do(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		if _, perr := strconv.ParseUint(resp.Header.Get("Retry-After"), 10, 31); perr != nil {
			resp.Header.Del("Retry-After")
		}
	}
	return resp, err
}

// Permalink is the web address of the message ts in channel (an ID),
// as Slack gives it; the same for as long as the message exists.
func (c *Client) Permalink(ctx context.Context, channel, ts string) (string, error) {
	link, err := c.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
	if err != nil {
		return "", fmt.Errorf("slackbot: permalink of message %s in %s: %w", ts, channel, err)
	}
	return link, nil
}
