// Package web serves Wavegate's web pages under /ui/: the pipelines with
// the release in each stage and what blocks them, and a page per release
// with its actions. Users sign in with GitHub (the App's OAuth client) and
// see the repositories GitHub says they can read; or, with --ui-public, the
// pages are read-only for anyone on a trusted network. With neither, every
// /ui/ path answers 404 with a page saying so.
package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/templates"
)

// Engine reads a pipeline's stored state and the pipeline it was planned
// with (effects.EngineStore).
type Engine interface {
	LoadWithPipeline(ctx context.Context, key pipeline.Key) (pipeline.Pipeline, pipeline.State, int64, error)
}

// Config is what the pages read from.
type Config struct {
	// Public serves the pages without sign-in (--ui-public).
	Public bool
	Index  store.EngineIndex
	Engine Engine
	Clock  clock.Clock
	Logger *slog.Logger
	// WebURL is GitHub's web address (https://github.com/), for links to
	// pull requests and for sign-in; none when empty.
	WebURL string
	// Audit, History and Live feed the audit page, the metrics page and
	// the live updates; each is not served while its source is nil.
	Audit   AuditSource
	History store.History
	Live    *Live

	// Sign-in (ignored with Public). OAuth returns the GitHub App's client
	// id and secret in force, read at each sign-in since the setup flow
	// may register the App while Wavegate runs; nil or empty: no sign-in.
	OAuth func() (clientID, clientSecret string)
	// APIURL is GitHub's REST base, with a trailing slash, for reading the
	// user and the repositories they can read.
	APIURL string
	// SessionKey (32 bytes, LoadSessionKey) seals the cookies.
	SessionKey []byte
	// PublicURL (--public-url) is where browsers reach Wavegate: cookies
	// are Secure when it is https, and GitHub returns signed-in users to
	// it. Empty: taken from each request.
	PublicURL string
	// HTTPClient calls GitHub for sign-in; a client with a 15s timeout
	// when nil.
	HTTPClient *http.Client
	// Commands runs the page's actions; without it the page shows none.
	Commands commandrun.Runner
	// ReleaseLinks, when set, gives a release's links as its reports give
	// them (changes since the previous release, its check run, the
	// deployments page).
	ReleaseLinks func(ctx context.Context, repo string, p pipeline.Pipeline, st pipeline.State, r *pipeline.Release) notify.Links
	// StepOutput, when set, reads the end of what a command deployer
	// printed for a step (effects.StepOutput).
	StepOutput func(ctx context.Context, key pipeline.Key, step pipeline.Step) (string, error)
	// SlackThread, when set, gives the web address of a release's Slack
	// message ("" when it has none).
	SlackThread func(ctx context.Context, key pipeline.Key, releaseID int64) (string, error)
	// Decisions is the engine's decision log, for the release page's
	// timeline; the timeline is rebuilt from the state when nil.
	Decisions store.Decisions
	// SessionClock times sign-in: sessions, their states and flashes, and
	// the cache of what a user can read; Clock when nil. The demo's clock
	// runs hundreds of times faster than a person's.
	SessionClock clock.Clock
}

// Pages is the /ui/ handler set.
type Pages struct {
	cfg   Config
	pages *template.Template
	css   []byte
	// sizeHint is the largest page rendered so far: growing the buffer to
	// it at once spares a page of a thousand pipelines a dozen copies.
	sizeHint atomic.Int64

	seal    *sealer // nil without a session key: nobody can sign in
	revoked revoked
	access  accessCache
}

// New parses the embedded templates.
func New(cfg Config) (*Pages, error) {
	if cfg.Index == nil || cfg.Engine == nil || cfg.Clock == nil {
		return nil, errors.New("web pages: Index, Engine and Clock are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionClock == nil {
		cfg.SessionClock = cfg.Clock
	}
	if cfg.WebURL != "" && !strings.HasSuffix(cfg.WebURL, "/") {
		cfg.WebURL += "/"
	}
	pages, err := template.New("ui").Funcs(template.FuncMap{
		"blockerTable": func(caption string, list []blockerView) blockerTable {
			return blockerTable{Caption: caption, List: list}
		},
		"live":        liveAttr,
		"frameOf":     frameOf,
		"overridable": overridable,
		"nonce":       newNonce,
		"releaseURL":  ReleaseURL,
	}).ParseFS(templates.Files(), "web/ui/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse web/ui templates: %w", err)
	}
	css, err := fs.ReadFile(templates.Files(), "web/ui/ui.css")
	if err != nil {
		return nil, fmt.Errorf("read web/ui/ui.css: %w", err)
	}
	p := &Pages{cfg: cfg, pages: pages, css: css}
	if err := p.initSignIn(); err != nil {
		return nil, err
	}
	return p, nil
}

// sessionNow is the time sign-in goes by (Config.SessionClock).
func (p *Pages) sessionNow() time.Time { return p.cfg.SessionClock.Now() }

// Routes registers every /ui/ path on mux.
func (p *Pages) Routes(mux *http.ServeMux) {
	// The stylesheet holds nothing about the pipelines, so even the page
	// saying the pages are off is styled.
	mux.HandleFunc("GET /ui/ui.css", p.stylesheet)
	mux.HandleFunc("GET /ui/live.js", p.script)
	if !p.cfg.Public && p.cfg.OAuth == nil {
		mux.HandleFunc("/ui/", p.off)
		return
	}
	if !p.cfg.Public {
		p.authRoutes(mux)
	}
	mux.HandleFunc("GET /ui/{$}", p.gate(p.overview))
	mux.HandleFunc("GET /ui/{owner}/{repo}/{pipeline}/releases/{id}", p.gate(p.release))
	p.moreRoutes(mux)
	mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		p.notFound(w, r, "There is no page at this address.")
	})
}

// blockerTable is what the "blockers" template takes.
type blockerTable struct {
	Caption string
	List    []blockerView
}

type messagePage struct {
	Title, Message string
	OverviewURL    string
	SignInURL      string
	Frame          frame
}

// off answers every /ui/ path while the pages are not served: 404, since
// there is nothing here for the caller, with what would change that.
func (p *Pages) off(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusNotFound, "message.html", messagePage{Title: "Web pages are off",
		Message: "This Wavegate does not serve its web pages: they need sign-in with GitHub, which needs the GitHub App's client id and secret (kept by the setup flow, or given with --github-client-id and --github-client-secret-file), or --ui-public for read-only pages on a trusted network."})
}

func (p *Pages) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	p.render(w, r, http.StatusNotFound, "message.html", messagePage{Title: "Not found", Message: msg, OverviewURL: "/ui/"})
}

func (p *Pages) stylesheet(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(p.css)
}

func (p *Pages) overview(w http.ResponseWriter, r *http.Request) {
	n := 1
	if q := r.URL.Query().Get("page"); q != "" {
		var err error
		if n, err = strconv.Atoi(q); err != nil || n < 1 {
			p.notFound(w, r, "Pages of the overview are numbered from 1, such as /ui/?page=2.")
			return
		}
	}
	page, err := p.overviewFor(r.Context(), n, p.reader(r))
	if errors.Is(err, errNoSuchPage) {
		p.notFound(w, r, fmt.Sprintf("The overview has no page %d: it has %d.", n, page.Pages))
		return
	}
	if err != nil {
		p.cfg.Logger.Error("web overview", "err", err)
		p.render(w, r, http.StatusInternalServerError, "message.html", messagePage{Title: "Could not read the pipelines",
			Message: "Wavegate could not read its pipelines from its database; its log says why. Reload the page to try again."})
		return
	}
	p.addPipelineActions(r, page.Pipelines)
	p.render(w, r, http.StatusOK, "overview.html", page)
}

// PerPage is how many pipelines a page of the overview shows: a thousand
// would make a page of megabytes, slow to render and to read on a phone.
const PerPage = 100

var errNoSuchPage = errors.New("no such page")

// Overview builds page n (from 1) of the overview, pipelines in the
// index's order (repository, then pipeline). A pipeline whose state cannot
// be read is named, not fatal: the others still show.
func (p *Pages) Overview(ctx context.Context, n int) (overviewPage, error) {
	return p.overviewFor(ctx, n, nil)
}

// overviewFor is Overview of the repositories readable says the viewer
// may see (all when nil).
func (p *Pages) overviewFor(ctx context.Context, n int, readable func(repo string) bool) (overviewPage, error) {
	keys, err := p.cfg.Index.EngineKeys(ctx, "")
	if err != nil {
		return overviewPage{}, fmt.Errorf("list pipelines: %w", err)
	}
	if readable != nil {
		keys = slices.DeleteFunc(keys, func(k store.EngineKey) bool { return !readable(k.Repository) })
	}
	b := builder{now: p.cfg.Clock.Now(), webURL: p.cfg.WebURL}
	page := overviewPage{Title: "Pipelines", Now: b.clock(b.now), Total: len(keys), Page: n,
		Pages: max(1, (len(keys)+PerPage-1)/PerPage)}
	if n > page.Pages {
		return page, errNoSuchPage
	}
	lo, hi := (n-1)*PerPage, min(n*PerPage, len(keys))
	page.First, page.Last = lo+1, hi
	if n > 1 {
		page.PrevURL = pageURL(n - 1)
	}
	if n < page.Pages {
		page.NextURL = pageURL(n + 1)
	}
	for i, k := range keys[lo:hi] {
		pl, st, _, err := p.cfg.Engine.LoadWithPipeline(ctx, pipeline.Key{Repository: k.Repository, Pipeline: k.Pipeline})
		if err != nil {
			if ctx.Err() != nil {
				return overviewPage{}, ctx.Err()
			}
			p.cfg.Logger.Warn("web overview: pipeline unreadable", "repository", k.Repository, "pipeline", k.Pipeline, "err", err)
			page.Unreadable = append(page.Unreadable, k.Repository+" "+k.Pipeline)
			continue
		}
		row := b.pipelineRow(k.Repository, pl, st)
		row.Index = lo + i
		page.Pipelines = append(page.Pipelines, row)
	}
	return page, nil
}

func pageURL(n int) string {
	if n == 1 {
		return "/ui/"
	}
	return "/ui/?page=" + strconv.Itoa(n)
}

func (p *Pages) release(w http.ResponseWriter, r *http.Request) {
	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	name := r.PathValue("pipeline")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		p.notFound(w, r, "A release is named by its number, such as /releases/12.")
		return
	}
	key, found, err := p.find(r.Context(), repo, name)
	if err != nil {
		p.cfg.Logger.Error("web release: list pipelines", "repository", repo, "err", err)
		p.render(w, r, http.StatusInternalServerError, "message.html", messagePage{Title: "Could not read the pipeline",
			Message: "Wavegate could not read its pipelines from its database; its log says why. Reload the page to try again.", OverviewURL: "/ui/"})
		return
	}
	if !found || !p.canRead(r, key.Repository) {
		// The same answer whether it does not exist or may not be seen.
		p.notFound(w, r, fmt.Sprintf("Wavegate keeps no pipeline %q of %s.", name, repo))
		return
	}
	pl, st, _, err := p.cfg.Engine.LoadWithPipeline(r.Context(), key)
	if err != nil {
		p.cfg.Logger.Error("web release: load pipeline", "repository", key.Repository, "pipeline", key.Pipeline, "err", err)
		p.render(w, r, http.StatusInternalServerError, "message.html", messagePage{Title: "Could not read the pipeline",
			Message: "Wavegate could not read this pipeline's state; its log says why. Reload the page to try again.", OverviewURL: "/ui/"})
		return
	}
	b := builder{now: p.cfg.Clock.Now(), webURL: p.cfg.WebURL}
	var links notify.Links
	if rel := st.Release(id); rel != nil && p.cfg.ReleaseLinks != nil {
		links = p.cfg.ReleaseLinks(r.Context(), key.Repository, pl, st, rel)
	}
	page, err := b.releasePage(key.Repository, pl, st, id, links)
	if err == nil {
		page.Timeline = b.timeline(pl, st, st.Release(id), p.releaseCommands(r.Context(), key, id), p.releaseDecisions(r.Context(), key, id))
		p.fillOutputs(r.Context(), key, page.Stages)
		page.SlackURL = p.slackThread(r.Context(), key, id)
	}
	if errors.Is(err, pipeline.ErrNotFound) {
		p.notFound(w, r, fmt.Sprintf("Pipeline %s of %s holds no release #%d: it was never made, or it finished and has been dropped.", key.Pipeline, key.Repository, id))
		return
	}
	if err != nil {
		p.cfg.Logger.Error("web release: build view", "repository", key.Repository, "pipeline", key.Pipeline, "release", id, "err", err)
		p.render(w, r, http.StatusInternalServerError, "message.html", messagePage{Title: "Could not show the release",
			Message: "Wavegate could not show this release; its log says why.", OverviewURL: "/ui/"})
		return
	}
	p.render(w, r, http.StatusOK, "release.html", page)
}

// find looks the pipeline up in the index, which compares repositories
// without regard to case: the page then uses the stored spelling.
func (p *Pages) find(ctx context.Context, repo, name string) (pipeline.Key, bool, error) {
	keys, err := p.cfg.Index.EngineKeys(ctx, repo)
	if err != nil {
		return pipeline.Key{}, false, fmt.Errorf("list pipelines of %s: %w", repo, err)
	}
	for _, k := range keys {
		if k.Pipeline == name {
			return pipeline.Key{Repository: k.Repository, Pipeline: k.Pipeline}, true, nil
		}
	}
	return pipeline.Key{}, false, nil
}

// render executes into a buffer first, so a template error becomes a 500
// page rather than half a page after a 200.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	data = p.framed(w, r, data)
	var buf bytes.Buffer
	buf.Grow(int(p.sizeHint.Load()))
	if err := p.pages.ExecuteTemplate(&buf, name, data); err != nil {
		p.cfg.Logger.Error("web render", "template", name, "path", r.URL.Path, "err", err)
		http.Error(w, "Wavegate could not render this page; its log says why.", http.StatusInternalServerError)
		return
	}
	if n := int64(buf.Len()); n > p.sizeHint.Load() {
		p.sizeHint.Store(n)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The pages load their own stylesheet and script and nothing else;
	// the script reads only this origin (live updates); no frames; forms
	// post only back to Wavegate.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}
