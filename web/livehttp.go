package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/templates"
)

// Heartbeat is how often an idle event stream sends a comment, so that
// proxies which close quiet connections keep it open.
const Heartbeat = 15 * time.Second

// writeTimeout bounds each write to a stream: a reader that stops reading
// loses its stream rather than holding a slot and a goroutine for ever.
const writeTimeout = 10 * time.Second

// moreRoutes registers the pages whose sources are configured.
func (p *Pages) moreRoutes(mux *http.ServeMux) {
	if p.cfg.Audit != nil {
		mux.HandleFunc("GET /ui/audit", p.gate(p.audit))
	}
	if p.cfg.History != nil {
		mux.HandleFunc("GET /ui/metrics", p.gate(p.metrics))
	}
	if p.cfg.Live != nil {
		mux.HandleFunc("GET /ui/events", p.gate(p.events))
	}
}

// liveEvent is the data of a "saved" event.
type liveEvent struct {
	Repository string `json:"repository"`
	Pipeline   string `json:"pipeline"`
}

// liveAttr is what <main data-live> tells live.js a page shows: "all" for
// pages of every pipeline, the pipeline of a release page, "" for pages
// that do not change (messages).
func liveAttr(data any) string {
	switch v := data.(type) {
	case overviewPage, auditPage, metricsPage:
		return "all"
	case releasePage:
		b, err := json.Marshal(liveEvent{Repository: v.View.Repository, Pipeline: v.View.Pipeline})
		if err != nil {
			return ""
		}
		return string(b)
	}
	return ""
}

// events streams "saved" events (text/event-stream). ?repository= and
// ?pipeline= narrow the stream to one pipeline, as a release page asks.
func (p *Pages) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	repo, pipe := q.Get("repository"), q.Get("pipeline")
	if repo != "" && !p.canRead(r, repo) {
		p.notFound(w, r, fmt.Sprintf("Wavegate sends no updates of %s to you.", repo))
		return
	}
	s, err := p.cfg.Live.Subscribe(func(repository string) bool {
		if repo != "" && (!strings.EqualFold(repository, repo)) {
			return false
		}
		return p.canRead(r, repository)
	})
	if err != nil {
		// A browser's event stream does not retry after a 503: the page
		// shows its "reload" hint again.
		w.Header().Set("Retry-After", "30")
		http.Error(w, "Wavegate cannot send live updates now ("+err.Error()+"); reload the page later.", http.StatusServiceUnavailable)
		return
	}
	defer s.Close()
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok {
		p.cfg.Live.closeOnShutdown(srv)
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	// retry: how soon a browser reconnects after the stream breaks.
	if !p.send(w, rc, ": live updates of Wavegate\nretry: 2000\n\n") {
		return
	}
	beat := p.cfg.Clock.NewTimer(Heartbeat)
	defer func() { beat.Stop() }()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-p.cfg.Live.Done():
			return
		case <-beat.C():
			if !p.send(w, rc, ": heartbeat\n\n") {
				return
			}
			beat = p.cfg.Clock.NewTimer(Heartbeat)
		case <-s.Ready():
			keys, dropped := s.Take()
			if dropped > 0 {
				p.cfg.Logger.Warn("web events: a reader fell behind; updates dropped", "dropped", dropped)
			}
			var b strings.Builder
			for _, k := range keys {
				if pipe != "" && k.Pipeline != pipe {
					continue
				}
				writeEvent(&b, k)
			}
			if b.Len() > 0 && !p.send(w, rc, b.String()) {
				return
			}
		}
	}
}

func writeEvent(b *strings.Builder, k pipeline.Key) {
	// JSON escapes newlines, which would otherwise end the data field.
	data, _ := json.Marshal(liveEvent{Repository: k.Repository, Pipeline: k.Pipeline})
	b.WriteString("event: saved\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
}

// send writes and flushes s; false when the stream is broken.
func (p *Pages) send(w http.ResponseWriter, rc *http.ResponseController, s string) bool {
	// A connection's deadline is on the kernel's clock, not the injected one.
	if err := rc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return false
	}
	if _, err := w.Write([]byte(s)); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// script serves live.js: it holds nothing about the pipelines.
func (p *Pages) script(w http.ResponseWriter, _ *http.Request) {
	js, err := fs.ReadFile(templates.Files(), "web/ui/live.js")
	if err != nil {
		p.cfg.Logger.Error("web: read web/ui/live.js", "err", err)
		http.Error(w, "Wavegate could not read its script; its log says why.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(js)
}
