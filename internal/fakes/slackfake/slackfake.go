// Package slackfake is a stateful, recording fake of the Slack Web API methods
// Wavegate uses (chat.postMessage, chat.update, chat.delete,
// conversations.history, conversations.replies, conversations.list), served on
// loopback by slack-go's slacktest. Tests seed channels and messages, point a
// client at URL(), then read what was called (Calls) and what the channel now
// shows (Messages). FailNext scripts failures such as 429s and Slack error
// codes.
//
// The stock slacktest handlers are kept for everything else, but the methods
// above are replaced: slacktest's chat.postMessage stamps messages with the
// current second, so two posts within a second would collide, and it has no
// message store to update or page through.
package slackfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
)

// tsBase is the seconds part of the first timestamp; any fixed value works as
// long as timestamps only grow.
const tsBase = 1700000000

// defaultLimit is what Slack applies to history, replies and list when the
// caller gives no limit.
const defaultLimit = 100

// Call is one API request as the fake received it.
type Call struct {
	Method string
	// Channel is the channel parameter as sent (a name stays a name).
	Channel     string
	TS          string
	ThreadTS    string
	Text        string
	Blocks      json.RawMessage // nil when the request carried no blocks
	MetadataKey string
	// Params holds every form parameter except the token, so a recorded call
	// can be printed without leaking it.
	Params url.Values
}

// Message is a message as the channel currently shows it.
type Message struct {
	TS       string
	ThreadTS string // "" for a top-level message
	// Broadcast marks a reply also sent to the channel, which Slack lists in
	// conversations.history as well as in its thread.
	Broadcast bool
	Text      string
	Blocks    json.RawMessage
	// MetadataType and MetadataKey come from the message metadata's event_type
	// and event_payload.key; both are "" when the message has none.
	MetadataType string
	MetadataKey  string
}

type channel struct {
	id, name string
	msgs     []Message // ascending ts; replies interleaved with their parents
}

type failure struct {
	status     int
	header     http.Header
	slackError string
}

// Server is a fake Slack Web API. Its methods are safe for concurrent use.
type Server struct {
	srv *slacktest.Server

	// mu serialises every request and every test-side call: one lock keeps the
	// small state consistent under -race.
	mu       sync.Mutex
	calls    []Call
	changed  chan struct{} // closed and replaced whenever a call is recorded
	channels map[string]*channel
	order    []string          // channel IDs in the order added, for conversations.list
	names    map[string]string // channel name -> ID
	seq      int64
	fails    map[string][]failure
	// permalinkBase starts every permalink; SetPermalinkBase.
	permalinkBase string
}

// New starts a fake Slack on loopback; the test's cleanup stops it. The
// channel "deploys" (C0DEPLOYS) exists from the start.
func New(t testing.TB) *Server {
	t.Helper()
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake Slack on loopback outside any test, for `wavegate
// demo`; Close stops it. The channel "deploys" (C0DEPLOYS) exists from the
// start.
func Start() *Server {
	s := &Server{
		changed:  make(chan struct{}),
		channels: map[string]*channel{},
		names:    map[string]string{},
		fails:    map[string][]failure{},
	}
	s.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", s.serve("chat.postMessage", s.postMessage))
		c.Handle("/chat.update", s.serve("chat.update", s.update))
		c.Handle("/chat.delete", s.serve("chat.delete", s.deleteMessage))
		c.Handle("/conversations.history", s.serve("conversations.history", s.history))
		c.Handle("/conversations.replies", s.serve("conversations.replies", s.replies))
		c.Handle("/conversations.list", s.serve("conversations.list", s.list))
		c.Handle("/chat.getPermalink", s.serve("chat.getPermalink", s.permalink))
		// Anything neither above nor among slacktest's stock methods is a
		// method the fake does not know: record it so a test sees the call,
		// and answer as Slack does.
		c.Handle("/", func(w http.ResponseWriter, r *http.Request) {
			s.serve(strings.TrimPrefix(r.URL.Path, "/"), func(url.Values) answer {
				return fail("unknown_method")
			})(w, r)
		})
	})
	s.srv.Start()
	s.AddChannel("deploys", "C0DEPLOYS")
	return s
}

// SetPermalinkBase makes chat.getPermalink answer base + "archives/CHANNEL/pTS"
// (the demo points it at its own page of the channel); by default base is
// https://wavegate-fake.slack.com/.
func (s *Server) SetPermalinkBase(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.permalinkBase = base
}

// permalink answers chat.getPermalink for a message the channel has, in
// Slack's format: the ts without its dot after "p".
func (s *Server) permalink(form url.Values) answer {
	ch, ok := s.channels[form.Get("channel")]
	if !ok {
		return fail("channel_not_found")
	}
	ts := form.Get("message_ts")
	if _, ok := ch.find(ts); !ok {
		return fail("message_not_found")
	}
	base := s.permalinkBase
	if base == "" {
		base = "https://wavegate-fake.slack.com/"
	}
	return answer{"channel": ch.id, "permalink": base + "archives/" + ch.id + "/p" + strings.ReplaceAll(ts, ".", "")}
}

// Close stops a fake started with Start.
func (s *Server) Close() { s.srv.Stop() }

// URL is the API base URL with the trailing slash slack.OptionAPIURL needs.
func (s *Server) URL() string { return s.srv.GetAPIURL() }

// AddChannel creates a channel; name is given without '#'.
func (s *Server) AddChannel(name, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = strings.TrimPrefix(name, "#")
	if _, ok := s.channels[id]; !ok {
		s.order = append(s.order, id)
	}
	s.channels[id] = &channel{id: id, name: name}
	s.names[name] = id
}

// AddMessage puts a message in a channel as if someone had posted it, without
// recording a call; its TS is assigned and returned. It panics on an unknown
// channel, which is a mistake in the test.
func (s *Server) AddMessage(channelID string, m Message) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channelID]
	if !ok {
		panic(fmt.Sprintf("slackfake: AddMessage to unknown channel %q", channelID))
	}
	m.TS = s.nextTS()
	ch.msgs = append(ch.msgs, m)
	return m.TS
}

// Calls returns every API call received, in order, including those answered
// with a failure and those to methods the fake does not know. Calls to the
// methods slacktest still serves itself (auth.test, users.info, ...) are not
// recorded: Wavegate's Slack client does not make them.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the recorded calls of one method, in order.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the messages a channel shows now, replies included, in ts
// order: updates are applied and deleted messages are gone.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channelID]
	if !ok {
		return nil
	}
	return append([]Message(nil), ch.msgs...)
}

// Delete removes a message as a person deleting it would; the call is not
// recorded because it does not come from the client under test.
func (s *Server) Delete(channelID, ts string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.channels[channelID]; ok {
		ch.remove(ts)
	}
}

// FailNext makes the next call of method fail. With status 200 (or 0) the
// answer is {"ok":false,"error":slackError}; with any other status the answer
// carries that status and header (e.g. 429 with Retry-After) and, if
// slackError is set, the same JSON body. Failures queue up in order.
func (s *Server) FailNext(method string, status int, header http.Header, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	s.fails[method] = append(s.fails[method], failure{status: status, header: header.Clone(), slackError: slackError})
}

// WaitCalls blocks until at least n calls have been recorded. It gives up
// after 10 seconds with t.Fatal, so it must run on the test's goroutine.
func (s *Server) WaitCalls(t testing.TB, n int) {
	t.Helper()
	guard := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		got, changed := len(s.calls), s.changed
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-guard:
			t.Fatalf("slackfake: waited 10s for %d calls, got %d: %+v", n, got, s.Calls())
		}
	}
}

// answer is what a method handler returns: a JSON body for a 200.
type answer map[string]any

func fail(code string) answer { return answer{"ok": false, "error": code} }

// serve records the call, applies a scripted failure if one is queued, and
// otherwise runs h under the lock.
func (s *Server) serve(method string, h func(url.Values) answer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, fmt.Sprintf("parse form of %s: %v", method, err), http.StatusBadRequest)
			return
		}
		form := r.Form
		authed := form.Get("token") != "" || strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")

		s.mu.Lock()
		s.record(method, form)
		var f *failure
		if q := s.fails[method]; len(q) > 0 {
			f = &q[0]
			s.fails[method] = q[1:]
		}
		var body answer
		switch {
		case f != nil:
		case !authed:
			body = fail("not_authed")
		default:
			body = h(form)
		}
		s.mu.Unlock()

		w.Header().Set("Content-Type", "application/json")
		if f != nil {
			for k, vs := range f.header {
				w.Header()[k] = vs
			}
			w.WriteHeader(f.status)
			if f.slackError != "" || f.status == http.StatusOK {
				_ = json.NewEncoder(w).Encode(fail(f.slackError))
			}
			return
		}
		if _, ok := body["ok"]; !ok {
			body["ok"] = true
		}
		_ = json.NewEncoder(w).Encode(body)
	}
}

// record must be called with s.mu held.
func (s *Server) record(method string, form url.Values) {
	params := url.Values{}
	for k, vs := range form {
		if k != "token" {
			params[k] = append([]string(nil), vs...)
		}
	}
	c := Call{
		Method:   method,
		Channel:  form.Get("channel"),
		TS:       form.Get("ts"),
		ThreadTS: form.Get("thread_ts"),
		Text:     form.Get("text"),
		Params:   params,
	}
	if b := form.Get("blocks"); b != "" {
		c.Blocks = json.RawMessage(b)
	}
	_, c.MetadataKey = parseMetadata(form.Get("metadata"))
	s.calls = append(s.calls, c)
	close(s.changed)
	s.changed = make(chan struct{})
}

// parseMetadata reads the JSON that slack-go sends in the metadata form field.
func parseMetadata(raw string) (eventType, key string) {
	if raw == "" {
		return "", ""
	}
	var m struct {
		EventType    string         `json:"event_type"`
		EventPayload map[string]any `json:"event_payload"`
	}
	if json.Unmarshal([]byte(raw), &m) != nil {
		return "", ""
	}
	k, _ := m.EventPayload["key"].(string)
	return m.EventType, k
}

// nextTS must be called with s.mu held.
func (s *Server) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", tsBase+s.seq/1_000_000, s.seq%1_000_000)
}

// lookup accepts an ID, "name" or "#name", as chat.postMessage does.
func (s *Server) lookup(ref string) (*channel, bool) {
	if ch, ok := s.channels[ref]; ok {
		return ch, true
	}
	if id, ok := s.names[strings.TrimPrefix(ref, "#")]; ok {
		return s.channels[id], true
	}
	return nil, false
}

func (ch *channel) find(ts string) (int, bool) {
	for i, m := range ch.msgs {
		if m.TS == ts {
			return i, true
		}
	}
	return 0, false
}

func (ch *channel) remove(ts string) bool {
	i, ok := ch.find(ts)
	if ok {
		ch.msgs = append(ch.msgs[:i], ch.msgs[i+1:]...)
	}
	return ok
}

func topLevel(m Message) bool { return m.ThreadTS == "" || m.ThreadTS == m.TS }

func (s *Server) postMessage(form url.Values) answer {
	ch, ok := s.lookup(form.Get("channel"))
	if !ok {
		return fail("channel_not_found")
	}
	m := Message{TS: s.nextTS(), Text: form.Get("text")}
	if b := form.Get("blocks"); b != "" {
		m.Blocks = json.RawMessage(b)
	}
	m.MetadataType, m.MetadataKey = parseMetadata(form.Get("metadata"))
	// Slack posts a reply whose parent is gone (or never was) as a top-level
	// message rather than failing; the answer's message then has no
	// thread_ts, which is the only sign of it.
	if parent := form.Get("thread_ts"); parent != "" {
		if i, ok := ch.find(parent); ok && topLevel(ch.msgs[i]) {
			m.ThreadTS = parent
		}
	}
	ch.msgs = append(ch.msgs, m)
	return answer{"channel": ch.id, "ts": m.TS, "message": wire(m, true)}
}

func (s *Server) update(form url.Values) answer {
	// chat.update takes IDs only, unlike chat.postMessage.
	ch, ok := s.channels[form.Get("channel")]
	if !ok {
		return fail("channel_not_found")
	}
	i, ok := ch.find(form.Get("ts"))
	if !ok {
		return fail("message_not_found")
	}
	m := &ch.msgs[i]
	if form.Has("text") {
		m.Text = form.Get("text")
	}
	if form.Has("blocks") {
		m.Blocks = json.RawMessage(form.Get("blocks"))
		if string(m.Blocks) == "[]" {
			m.Blocks = nil
		}
	}
	if form.Has("metadata") {
		m.MetadataType, m.MetadataKey = parseMetadata(form.Get("metadata"))
	}
	return answer{"channel": ch.id, "ts": m.TS, "text": m.Text, "message": wire(*m, true)}
}

func (s *Server) deleteMessage(form url.Values) answer {
	ch, ok := s.channels[form.Get("channel")]
	if !ok {
		return fail("channel_not_found")
	}
	if !ch.remove(form.Get("ts")) {
		return fail("message_not_found")
	}
	return answer{"channel": ch.id, "ts": form.Get("ts")}
}

func (s *Server) history(form url.Values) answer {
	ch, ok := s.channels[form.Get("channel")]
	if !ok {
		return fail("channel_not_found")
	}
	limit, ok := parseLimit(form.Get("limit"))
	if !ok {
		return fail("invalid_limit")
	}
	after, ok := decodeCursor(form.Get("cursor"))
	if !ok {
		return fail("invalid_cursor")
	}
	inclusive := truthy(form.Get("inclusive"))
	oldest, latest := form.Get("oldest"), form.Get("latest")
	withMeta := truthy(form.Get("include_all_metadata"))

	var page []map[string]any
	next := ""
	// Newest first; the cursor names the last ts already returned.
	for i := len(ch.msgs) - 1; i >= 0; i-- {
		m := ch.msgs[i]
		if (!topLevel(m) && !m.Broadcast) || (after != "" && !tsLess(m.TS, after)) {
			continue
		}
		if oldest != "" && (tsLess(m.TS, oldest) || (!inclusive && m.TS == oldest)) {
			break
		}
		if latest != "" && (tsLess(latest, m.TS) || (!inclusive && m.TS == latest)) {
			continue
		}
		if len(page) == limit {
			next = encodeCursor(page[len(page)-1]["ts"].(string))
			break
		}
		page = append(page, wire(m, withMeta))
	}
	return messagesPage(page, next)
}

func (s *Server) replies(form url.Values) answer {
	ch, ok := s.channels[form.Get("channel")]
	if !ok {
		return fail("channel_not_found")
	}
	parent := form.Get("ts")
	if i, ok := ch.find(parent); !ok || !topLevel(ch.msgs[i]) {
		return fail("thread_not_found")
	}
	limit, ok := parseLimit(form.Get("limit"))
	if !ok {
		return fail("invalid_limit")
	}
	after, ok := decodeCursor(form.Get("cursor"))
	if !ok {
		return fail("invalid_cursor")
	}
	withMeta := truthy(form.Get("include_all_metadata"))

	var page []map[string]any
	next := ""
	for _, m := range ch.msgs {
		if m.TS != parent && m.ThreadTS != parent {
			continue
		}
		if after != "" && !tsLess(after, m.TS) {
			continue
		}
		if len(page) == limit {
			next = encodeCursor(page[len(page)-1]["ts"].(string))
			break
		}
		page = append(page, wire(m, withMeta))
	}
	return messagesPage(page, next)
}

// messagesPage answers one page of messages, with the cursor of the next.
func messagesPage(page []map[string]any, next string) answer {
	return answer{
		"messages":          nonNil(page),
		"has_more":          next != "",
		"response_metadata": map[string]string{"next_cursor": next},
	}
}

func (s *Server) list(form url.Values) answer {
	limit, ok := parseLimit(form.Get("limit"))
	if !ok {
		return fail("invalid_limit")
	}
	start := 0
	if c := form.Get("cursor"); c != "" {
		raw, ok := decodeCursor(c)
		n, err := strconv.Atoi(raw)
		if !ok || err != nil || n < 0 || n > len(s.order) {
			return fail("invalid_cursor")
		}
		start = n
	}
	end := min(start+limit, len(s.order))
	chans := make([]map[string]any, 0, end-start)
	for _, id := range s.order[start:end] {
		ch := s.channels[id]
		chans = append(chans, map[string]any{
			"id": ch.id, "name": ch.name, "is_channel": true, "is_member": true,
		})
	}
	next := ""
	if end < len(s.order) {
		next = encodeCursor(strconv.Itoa(end))
	}
	return answer{"channels": chans, "response_metadata": map[string]string{"next_cursor": next}}
}

// wire renders a message as Slack's API does; metadata only when asked for,
// as Slack omits it without include_all_metadata.
func wire(m Message, withMeta bool) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Broadcast {
		out["subtype"] = "thread_broadcast"
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if withMeta && (m.MetadataType != "" || m.MetadataKey != "") {
		out["metadata"] = map[string]any{
			"event_type":    m.MetadataType,
			"event_payload": map[string]any{"key": m.MetadataKey},
		}
	}
	return out
}

func nonNil(page []map[string]any) []map[string]any {
	if page == nil {
		return []map[string]any{}
	}
	return page
}

func parseLimit(raw string) (int, bool) {
	if raw == "" {
		return defaultLimit, true
	}
	n, err := strconv.Atoi(raw)
	// Slack caps limit at 1000 rather than rejecting larger values.
	return min(n, 1000), err == nil && n > 0
}

func truthy(v string) bool { return v == "1" || v == "true" }

// Cursors are opaque to clients, as Slack's are, so a client that builds its
// own instead of echoing next_cursor fails.
func encodeCursor(pos string) string {
	return base64.StdEncoding.EncodeToString([]byte("pos:" + pos))
}

func decodeCursor(c string) (string, bool) {
	if c == "" {
		return "", true
	}
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "pos:") {
		return "", false
	}
	return strings.TrimPrefix(string(b), "pos:"), true
}

// tsLess compares Slack timestamps ("seconds.micros") numerically.
func tsLess(a, b string) bool {
	as, af, _ := strings.Cut(a, ".")
	bs, bf, _ := strings.Cut(b, ".")
	ai, _ := strconv.ParseInt(as, 10, 64)
	bi, _ := strconv.ParseInt(bs, 10, 64)
	if ai != bi {
		return ai < bi
	}
	// Fractions compare as decimals: pad to the same width first.
	for len(af) < len(bf) {
		af += "0"
	}
	for len(bf) < len(af) {
		bf += "0"
	}
	return af < bf
}
