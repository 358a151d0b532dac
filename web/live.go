package web

import (
	"errors"
	"net/http"
	"sync"

	"github.com/wavegate/wavegate/pipeline"
)

// Live tells open pages which pipelines' states were saved, so they fetch
// themselves again (/ui/events, live.js). The engine publishes from its
// save hook: Publish never waits for a reader, and a reader that falls
// behind gets each pipeline once however often it was saved meanwhile.
type Live struct {
	maxStreams int

	mu      sync.Mutex
	streams map[*Stream]struct{}
	closed  bool
	done    chan struct{}
	servers map[*http.Server]bool // whose shutdown closes l
	// onStreamClosed, when set, is told each stream closed (tests).
	onStreamClosed func()
}

// MaxStreams is how many event streams a Wavegate keeps open at once by
// default: each holds a connection and a goroutine.
const MaxStreams = 500

// maxPending bounds the distinct pipelines a stream holds for a reader that
// does not keep up; more are dropped.
const maxPending = 256

var (
	errLiveClosed = errors.New("live updates are closed: the server is shutting down")
	errTooMany    = errors.New("too many live update streams open")
)

// NewLive makes a broker serving at most maxStreams streams at once.
func NewLive(maxStreams int) *Live {
	return &Live{maxStreams: maxStreams, streams: map[*Stream]struct{}{}, done: make(chan struct{}),
		servers: map[*http.Server]bool{}}
}

// Stream is one reader's subscription: Ready says there is something to
// Take.
type Stream struct {
	live  *Live
	allow func(repository string) bool
	ready chan struct{}

	mu      sync.Mutex
	pending []pipeline.Key
	seen    map[pipeline.Key]bool
	dropped int
}

// Publish tells every stream that key's state was saved. It never blocks
// on a reader.
func (l *Live) Publish(key pipeline.Key) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.streams {
		s.add(key)
	}
}

// Subscribe opens a stream whose reader sees only the pipelines of
// repositories allow accepts, asked again at each event: access can be
// lost while a page stays open.
func (l *Live) Subscribe(allow func(repository string) bool) (*Stream, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errLiveClosed
	}
	if len(l.streams) >= l.maxStreams {
		return nil, errTooMany
	}
	s := &Stream{live: l, allow: allow, ready: make(chan struct{}, 1), seen: map[pipeline.Key]bool{}}
	l.streams[s] = struct{}{}
	return s, nil
}

// Done is closed when l is.
func (l *Live) Done() <-chan struct{} { return l.done }

// Close ends every stream, and refuses new ones: an open stream would
// otherwise keep the HTTP server's graceful shutdown waiting until its
// deadline, since Shutdown does not cancel the requests it waits for.
func (l *Live) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.done)
	}
}

// closeOnShutdown makes srv's Shutdown close l, once per server.
func (l *Live) closeOnShutdown(srv *http.Server) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.servers[srv] {
		l.servers[srv] = true
		srv.RegisterOnShutdown(l.Close)
	}
}

// Streams is how many streams are open.
func (l *Live) Streams() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.streams)
}

// Close ends the subscription.
func (s *Stream) Close() {
	s.live.mu.Lock()
	delete(s.live.streams, s)
	hook := s.live.onStreamClosed
	s.live.mu.Unlock()
	if hook != nil {
		hook()
	}
}

func (s *Stream) add(key pipeline.Key) {
	s.mu.Lock()
	switch {
	case s.seen[key]:
	case len(s.pending) >= maxPending:
		s.dropped++
	default:
		s.seen[key] = true
		s.pending = append(s.pending, key)
	}
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default: // already signalled
	}
}

// Ready receives when Take has something.
func (s *Stream) Ready() <-chan struct{} { return s.ready }

// Take returns the pipelines saved since the last Take, in the order they
// were first saved, of the repositories allow accepts now; and how many
// were dropped because the reader fell too far behind.
func (s *Stream) Take() ([]pipeline.Key, int) {
	s.mu.Lock()
	keys, dropped := s.pending, s.dropped
	s.pending, s.dropped = nil, 0
	clear(s.seen)
	s.mu.Unlock()
	// allow may ask GitHub: outside the lock, so Publish never waits on it.
	out := keys[:0]
	for _, k := range keys {
		if s.allow(k.Repository) {
			out = append(out, k)
		}
	}
	return out, dropped
}
