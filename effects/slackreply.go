package effects

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wavegate/wavegate/slackbot"
	"github.com/wavegate/wavegate/store"
)

// KindSlackReply answers a Slack command or button press through its
// response URL.
const KindSlackReply = "slack-reply"

// SlackReply is a KindSlackReply effect's payload.
type SlackReply struct {
	ResponseURL string `json:"response_url"`
	// Text is Markdown, as commands answer on every surface.
	Text string `json:"text"`
}

// SlackReplyEffect queues the answer to the Slack request requestID: one
// per request, so a request processed again is not answered twice.
func SlackReplyEffect(requestID string, r SlackReply, now time.Time) (store.Effect, error) {
	payload, err := json.Marshal(r)
	if err != nil {
		return store.Effect{}, fmt.Errorf("encode the Slack reply to %s: %w", requestID, err)
	}
	return store.Effect{Key: "slack-reply/" + requestID, Kind: KindSlackReply, Payload: payload, CreatedAt: now}, nil
}

// SlackResponder posts to a response URL (slackbot.Responder).
type SlackResponder interface {
	Respond(ctx context.Context, responseURL, text string) error
}

// SlackReplies performs KindSlackReply effects.
//
// A response URL takes no idempotency key: a crash between Slack's answer
// and the effect being marked done posts the answer again when the effect
// is retried. The person sees the same ephemeral answer twice; nothing runs
// twice, since the command was applied before the reply was queued.
type SlackReplies struct {
	Responder SlackResponder
}

// Perform posts the reply.
func (s *SlackReplies) Perform(ctx context.Context, e store.Effect) ([]byte, error) {
	var r SlackReply
	if err := json.Unmarshal(e.Payload, &r); err != nil {
		return nil, fmt.Errorf("decode Slack reply %s: %w", e.Key, err)
	}
	if err := s.Responder.Respond(ctx, r.ResponseURL, slackbot.Mrkdwn(r.Text)); err != nil {
		return nil, fmt.Errorf("Slack reply %s: %w", e.Key, err)
	}
	return nil, nil
}
