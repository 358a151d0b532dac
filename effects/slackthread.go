package effects

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// slackReleaseKey is how the store files a release's Slack message.
func slackReleaseKey(pipelineName string, releaseID int64) string {
	return fmt.Sprintf("%s/%d", pipelineName, releaseID)
}

// SlackPermalinks asks Slack for a message's web address
// (slackbot.Client).
type SlackPermalinks interface {
	Permalink(ctx context.Context, channel, ts string) (string, error)
}

// SlackThreads finds the web address of a release's Slack message, whose
// thread tells its events. Slack's answer is kept: a message's permalink
// does not change, and a page viewed again asks Slack nothing.
type SlackThreads struct {
	Store SlackStore
	Slack SlackPermalinks

	mu    sync.Mutex
	links map[string]string // channel ID + "/" + ts → permalink
}

// ThreadLink is the permalink of release id's Slack message in key's
// pipeline; "" when it has none (Slack reports off, not posted yet).
func (t *SlackThreads) ThreadLink(ctx context.Context, key pipeline.Key, id int64) (string, error) {
	m, err := t.Store.SlackMessage(ctx, key.Repository, slackReleaseKey(key.Pipeline, id))
	if errors.Is(err, store.ErrNotFound) || (err == nil && (m.ChannelID == "" || m.TS == "")) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the Slack message of release %d of %s %s: %w", id, key.Repository, key.Pipeline, err)
	}
	k := m.ChannelID + "/" + m.TS
	t.mu.Lock()
	link, ok := t.links[k]
	t.mu.Unlock()
	if ok {
		return link, nil
	}
	link, err = t.Slack.Permalink(ctx, m.ChannelID, m.TS)
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	if t.links == nil {
		t.links = map[string]string{}
	}
	t.links[k] = link
	t.mu.Unlock()
	return link, nil
}
