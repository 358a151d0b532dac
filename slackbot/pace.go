package slackbot

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
)

// pacer hands out per-channel call slots spaced by gap. Slack throttles
// posting to about one message per second per channel, and going over earns
// 429s that stall every report in that channel, so waiting a little up front
// is cheaper than being told to back off.
type pacer struct {
	clock clock.Clock
	gap   time.Duration

	mu sync.Mutex
	// next is the earliest time the next call to a channel may go out, keyed
	// by channel ID, or by "#name" while a name's ID is not known yet.
	next map[string]time.Time
	// onWait, when set, is told each wait and until when.
	onWait func(until time.Time)
	// ids maps a normalised channel name to its ID, learnt from Post answers
	// and conversations.list, so calls by name and by ID share one schedule.
	ids map[string]string
}

func newPacer(clk clock.Clock, gap time.Duration, onWait func(time.Time)) *pacer {
	return &pacer{clock: clk, gap: gap, onWait: onWait, next: map[string]time.Time{}, ids: map[string]string{}}
}

// wait reserves the channel's next slot and blocks until it comes or ctx
// ends. The slot is taken under the lock but waited for outside it, so
// concurrent callers queue up one gap apart instead of all waking at once,
// and callers of other channels never wait behind them. It returns the pacing
// key the call was charged to, for backoff after a 429.
func (p *pacer) wait(ctx context.Context, channel string) (string, error) {
	// A dead context would only waste a slot that a live caller could use.
	if err := ctx.Err(); err != nil {
		return "", err
	}
	p.mu.Lock()
	key := p.keyLocked(channel)
	slot := p.clock.Now()
	if n := p.next[key]; n.After(slot) {
		slot = n
	}
	p.next[key] = slot.Add(p.gap)
	p.mu.Unlock()

	// Read the clock again so the timer's deadline is the slot itself even
	// if time moved while the lock was held.
	d := slot.Sub(p.clock.Now())
	if d <= 0 {
		return key, nil
	}
	if p.onWait != nil {
		p.onWait(slot)
	}
	t := p.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return key, nil
	case <-ctx.Done():
		return key, ctx.Err()
	}
}

// backoff pushes a channel's next slot to at least until, after Slack said
// to retry then. Callers that already hold earlier slots keep them: they
// were promised a time, and a second 429 simply pushes the slot again.
func (p *pacer) backoff(key string, until time.Time) {
	if key == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.next[key]) {
		p.next[key] = until
	}
}

// learn records that channel (a name, with or without '#') is id, and moves
// the name's schedule onto the ID's so neither can be used to jump the queue.
func (p *pacer) learn(channel, id string) {
	if id == "" || isChannelID(channel) {
		return
	}
	name := normalizeName(channel)
	if name == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids[name] = id
	if t, ok := p.next["#"+name]; ok {
		if t.After(p.next[id]) {
			p.next[id] = t
		}
		delete(p.next, "#"+name)
	}
}

// lookup returns the ID learnt for a channel name.
func (p *pacer) lookup(channel string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, ok := p.ids[normalizeName(channel)]
	return id, ok
}

func (p *pacer) keyLocked(channel string) string {
	if isChannelID(channel) {
		return channel
	}
	name := normalizeName(channel)
	if id, ok := p.ids[name]; ok {
		return id
	}
	return "#" + name
}

// isChannelID reports whether s looks like a conversation ID (C…, G… or D…
// followed by upper-case letters and digits). Slack channel names are
// lower-case, so no name passes.
func isChannelID(s string) bool {
	if len(s) < 2 || !strings.ContainsRune("CGD", rune(s[0])) {
		return false
	}
	for _, r := range s[1:] {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func normalizeName(channel string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(channel), "#"))
}
