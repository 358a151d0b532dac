package effects

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/slackbot"
	"github.com/wavegate/wavegate/store"
)

// SlackPoster posts and finds Slack messages (slackbot.Client).
type SlackPoster interface {
	Post(ctx context.Context, channel string, m slackbot.Message) (channelID, ts string, err error)
	Reply(ctx context.Context, channelID, threadTS string, m slackbot.Message) (ts string, err error)
	Update(ctx context.Context, channelID, ts string, m slackbot.Message) error
	ResolveChannel(ctx context.Context, channel string) (string, error)
	FindMessage(ctx context.Context, channelID, key string, oldest time.Time) (string, error)
	FindReplies(ctx context.Context, channelID, threadTS string) (map[string]string, error)
}

// SlackStore records each release's Slack message.
type SlackStore interface {
	SlackMessage(ctx context.Context, repository, releaseKey string) (store.SlackMessage, error)
	SaveSlackMessage(ctx context.Context, m store.SlackMessage) error
}

// Slack performs Slack effects.
type Slack struct {
	// Client is nil when Slack reports are off.
	Client   SlackPoster
	Releases *Releases
	Store    SlackStore
	Renderer *notify.Renderer
	// Buttons puts Approve, Reject, Pause or Resume and Roll back on the
	// message: only when Slack can send their presses to Wavegate.
	Buttons bool
}

// Perform brings a release's Slack message up to date: posted once in
// its pipeline's channel, updated in place, reposted if someone deleted it,
// with a thread reply for each event the thread has not told yet.
//
// Slack has no idempotency keys, so each post is recorded as intended
// before it is made; a run that finds an intent left by a crash looks for
// the message (or the replies) by the key in their metadata before posting.
func (s *Slack) Perform(ctx context.Context, e store.Effect) ([]byte, error) {
	if s.Client == nil {
		return nil, nil // Slack was turned off since the effect was queued
	}
	rr, unlock, err := s.Releases.load(ctx, e, KindSlack)
	if err != nil || rr.r == nil {
		return nil, err
	}
	defer unlock()
	p, r, v := rr.p, rr.r, rr.v
	channel := rr.st.PipelineOf(r, rr.pl).SlackChannel
	if channel == "" {
		return nil, nil
	}
	var buttons []string
	if s.Buttons {
		buttons = slackButtons(rr.st, r, v)
	}
	rendered, err := s.Renderer.SlackReleaseWithButtons(v, buttons)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(rendered)
	if err != nil {
		return nil, fmt.Errorf("encode the Slack message of %s: %w", e.Key, err)
	}
	hash := contentHash(data)
	metaKey := fmt.Sprintf("%s/%s/%d", strings.ToLower(p.Repository), p.Pipeline, r.ID)
	msg := slackbot.Message{Text: rendered.Text, Blocks: rendered.Blocks, Key: metaKey}
	t := slackThread{s: s, channel: channel, metaKey: metaKey}
	releaseKey := slackReleaseKey(p.Pipeline, r.ID)
	t.rec, err = s.Store.SlackMessage(ctx, p.Repository, releaseKey)
	switch {
	case errors.Is(err, store.ErrNotFound):
		t.rec = store.SlackMessage{Repository: p.Repository, ReleaseKey: releaseKey}
	case err != nil:
		return nil, err
	default:
		t.orphan = t.rec.TS == ""
	}
	if err := t.message(ctx, msg, hash); err != nil {
		return nil, err
	}
	err = t.replies(ctx, v)
	if errors.Is(err, slackbot.ErrGone) {
		// The message went while its replies were posted: post it again
		// and tell its new thread what is still owed.
		t.rec.TS, t.rec.BodyHash = "", ""
		if err := t.message(ctx, msg, hash); err != nil {
			return nil, err
		}
		err = t.replies(ctx, v)
	}
	return nil, err
}

// slackThread is one release's message and what its thread has told.
type slackThread struct {
	s       *Slack
	channel string // as configured: a name or an id
	metaKey string
	rec     store.SlackMessage
	// orphan: an earlier run recorded its intent to post but not the ts, so
	// a crash may have come after the post.
	orphan bool
}

// message posts or updates the message itself.
func (t *slackThread) message(ctx context.Context, msg slackbot.Message, hash string) error {
	if t.orphan {
		t.orphan = false
		id, err := t.s.Client.ResolveChannel(ctx, t.channel)
		if err != nil {
			return err
		}
		// Not bounded by time: Slack's timestamps come from Slack's clock.
		// FindMessage looks through the channel's latest pages only.
		ts, err := t.s.Client.FindMessage(ctx, id, t.metaKey, time.Time{})
		if err != nil {
			return err
		}
		t.rec.ChannelID, t.rec.TS, t.rec.BodyHash = id, ts, ""
	}
	if t.rec.TS != "" && t.rec.BodyHash == hash {
		return nil
	}
	if t.rec.TS != "" {
		err := t.s.Client.Update(ctx, t.rec.ChannelID, t.rec.TS, msg)
		if err == nil {
			t.rec.BodyHash = hash
			return t.save(ctx)
		}
		if !errors.Is(err, slackbot.ErrGone) {
			return err
		}
		// Deleted: post it again. What the old thread told is not retold.
	}
	t.rec.ChannelID, t.rec.TS, t.rec.BodyHash = t.channel, "", ""
	if err := t.save(ctx); err != nil {
		return err
	}
	id, ts, err := t.s.Client.Post(ctx, t.channel, msg)
	if err != nil {
		return err
	}
	t.rec.ChannelID, t.rec.TS, t.rec.BodyHash = id, ts, hash
	return t.save(ctx)
}

// replies posts the thread replies the view owes.
func (t *slackThread) replies(ctx context.Context, v notify.ReleaseView) error {
	var seen notify.SlackSeen
	if len(t.rec.Seen) > 0 {
		if err := json.Unmarshal(t.rec.Seen, &seen); err != nil {
			return fmt.Errorf("decode what the thread of %s told: %w", t.metaKey, err)
		}
	}
	events, next := notify.SlackEvents(seen, v)
	posted := map[string]string{}
	if len(seen.Pending) > 0 {
		var err error
		if posted, err = t.s.Client.FindReplies(ctx, t.rec.ChannelID, t.rec.TS); err != nil {
			return err
		}
	}
	if len(events) > 0 {
		// Recorded before posting, so a crash in between looks first.
		seen.Pending = seen.Pending[:0]
		for _, ev := range events {
			seen.Pending = append(seen.Pending, ev.Key)
		}
		if err := t.saveSeen(ctx, seen); err != nil {
			return err
		}
	}
	for _, ev := range events {
		replyKey := t.metaKey + "/" + ev.Key
		if _, done := posted[replyKey]; done {
			continue
		}
		text, err := t.s.Renderer.SlackEventText(ev)
		if err != nil {
			return err
		}
		if _, err := t.s.Client.Reply(ctx, t.rec.ChannelID, t.rec.TS, slackbot.Message{Text: text, Key: replyKey}); err != nil {
			return err
		}
	}
	return t.saveSeen(ctx, next)
}

func (t *slackThread) saveSeen(ctx context.Context, seen notify.SlackSeen) error {
	data, err := json.Marshal(seen)
	if err != nil {
		return fmt.Errorf("encode what the thread of %s told: %w", t.metaKey, err)
	}
	if bytes.Equal(data, t.rec.Seen) {
		return nil
	}
	t.rec.Seen = data
	return t.save(ctx)
}

func (t *slackThread) save(ctx context.Context) error {
	return t.s.Store.SaveSlackMessage(context.WithoutCancel(ctx), t.rec)
}

// contentHash tells whether a rendering changed.
func contentHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}
