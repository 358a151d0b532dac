package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/wavegate/wavegate/store"
)

// AuditSource reads the audit log of commands (store.Audit).
type AuditSource interface {
	AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error)
}

// AuditLimit is how many of the most recent commands the audit page reads:
// the whole log would make a page of megabytes; `wavegate audit` reads it all.
const AuditLimit = 200

// auditPage is /ui/audit: the most recent commands, newest first.
type auditPage struct {
	Title      string
	Frame      frame // who is signed in; render fills it
	Now        string
	Repository string // the ?repo= filter, or ""
	Limit      int
	Rows       []auditRow
	// Hidden counts the entries read but not shown: of repositories the
	// viewer cannot read, or about no repository (Slack links).
	Hidden int
}

type auditRow struct {
	When, Who, Surface string
	SourceURL          string // the comment or check run, when it is a web address
	Line, Decision     string
	Reason, Answer     string
	Release            string // "#12"
	ReleaseURL         string
	Repository         string
}

func (p *Pages) audit(w http.ResponseWriter, r *http.Request) {
	repo := strings.TrimSpace(r.URL.Query().Get("repo"))
	if repo != "" {
		owner, name, ok := strings.Cut(repo, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			p.notFound(w, r, "The audit page filters by a repository named owner/name, such as /ui/audit?repo=acme/api.")
			return
		}
		// The same answer whether the repository exists or not: no one
		// learns of a repository they cannot read.
		if !p.canRead(r, repo) {
			p.notFound(w, r, fmt.Sprintf("Wavegate shows no audit log of %s to you.", repo))
			return
		}
	}
	entries, err := p.cfg.Audit.AuditLog(r.Context(), store.AuditFilter{Repository: repo, Limit: AuditLimit})
	if err != nil {
		p.cfg.Logger.Error("web audit: read the audit log", "repository", repo, "err", err)
		p.render(w, r, http.StatusInternalServerError, "message.html", messagePage{Title: "Could not read the audit log",
			Message: "Wavegate could not read its audit log from its database; its log says why. Reload the page to try again.", OverviewURL: "/ui/"})
		return
	}
	b := builder{now: p.cfg.Clock.Now(), webURL: p.cfg.WebURL}
	page := auditPage{Title: "Audit log", Now: b.clock(b.now), Repository: repo, Limit: AuditLimit}
	if repo != "" {
		page.Title = "Audit log of " + repo
	}
	// canRead may ask GitHub: once per repository, not per row.
	readable := map[string]bool{}
	for _, e := range slices.Backward(entries) {
		ok, seen := readable[e.Repository]
		if !seen {
			ok = e.Repository != "" && p.canRead(r, e.Repository)
			readable[e.Repository] = ok
		}
		if !ok {
			page.Hidden++
			continue
		}
		page.Rows = append(page.Rows, b.auditRow(e))
	}
	p.render(w, r, http.StatusOK, "audit.html", page)
}

func (b builder) auditRow(e store.AuditEntry) auditRow {
	row := auditRow{When: b.clock(e.At), Surface: e.Surface, Line: e.Line, Decision: e.Decision,
		Reason: e.Reason, Answer: e.Why, Repository: e.Repository}
	switch {
	case e.Login != "":
		row.Who = "@" + e.Login
	case e.SlackUser != "":
		row.Who = "Slack user " + e.SlackUser + " (not linked)"
	default:
		row.Who = "unknown"
	}
	// Only web addresses become links: a Slack source is a channel id.
	if u, err := url.Parse(e.Source); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		row.SourceURL = e.Source
	}
	if e.ReleaseID > 0 {
		row.Release = fmt.Sprintf("#%d", e.ReleaseID)
		if e.Pipeline != "" {
			row.ReleaseURL = ReleaseURL(e.Repository, e.Pipeline, e.ReleaseID)
		}
	}
	return row
}
