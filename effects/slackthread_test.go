package effects

import (
	"context"
	"errors"
	"testing"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

type slackMessages map[string]store.SlackMessage

func (m slackMessages) SlackMessage(_ context.Context, repo, releaseKey string) (store.SlackMessage, error) {
	if msg, ok := m[repo+" "+releaseKey]; ok {
		return msg, nil
	}
	return store.SlackMessage{}, store.ErrNotFound
}

func (m slackMessages) SaveSlackMessage(context.Context, store.SlackMessage) error { return nil }

type countingPermalinks struct {
	asked int
	err   error
}

func (c *countingPermalinks) Permalink(_ context.Context, channel, ts string) (string, error) {
	c.asked++
	return "https://acme.slack.com/archives/" + channel + "/p" + ts, c.err
}

func TestSlackThreadLink(t *testing.T) {
	key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	msgs := slackMessages{
		"acme/api app/1": {ChannelID: "C1", TS: "1700000000.000100"},
		"acme/api app/2": {ChannelID: "C1"}, // an intent, never posted
	}
	slack := &countingPermalinks{}
	threads := &SlackThreads{Store: msgs, Slack: slack}
	for range 2 {
		link, err := threads.ThreadLink(context.Background(), key, 1)
		if err != nil || link != "https://acme.slack.com/archives/C1/p1700000000.000100" {
			t.Fatalf("release 1: %q, %v", link, err)
		}
	}
	if slack.asked != 1 {
		t.Errorf("Slack asked %d times for one message's permalink, want once", slack.asked)
	}
	for _, id := range []int64{2, 3} {
		if link, err := threads.ThreadLink(context.Background(), key, id); link != "" || err != nil {
			t.Errorf("release %d: %q, %v; want none", id, link, err)
		}
	}
	msgs["acme/api app/4"] = store.SlackMessage{ChannelID: "C1", TS: "4"}
	slack.err = errors.New("ratelimited")
	if _, err := threads.ThreadLink(context.Background(), key, 4); err == nil {
		t.Error("a Slack failure was not reported")
	}
}
