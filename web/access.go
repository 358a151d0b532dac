package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// canRead says whether the person asking may see repository's pipelines.
// Every page that names a repository asks it, so that sign-in decides in
// one place: everyone with --ui-public, else a signed-in user GitHub says
// can read the repository.
func (p *Pages) canRead(r *http.Request, repository string) bool {
	return p.reader(r)(repository)
}

// reader is canRead for many repositories of one request, such as the
// overview's: the session is opened once.
func (p *Pages) reader(r *http.Request) func(repository string) bool {
	if p.cfg.Public {
		return func(string) bool { return true }
	}
	s, ok := p.session(r)
	if !ok {
		return func(string) bool { return false }
	}
	// The gate asked GitHub already: this is the cache's answer, unless
	// the minute ran out in between.
	repos, err := p.readable(r.Context(), s)
	if err != nil {
		p.cfg.Logger.Warn("web: repositories the user can read", "login", s.Login, "err", err)
	}
	return func(repository string) bool { return repos[strings.ToLower(repository)] }
}

// viewerLogin is the signed-in GitHub login, or "" for nobody.
func (p *Pages) viewerLogin(r *http.Request) string {
	if p.cfg.Public {
		return ""
	}
	s, _ := p.session(r)
	return s.Login
}

// accessTTL is how long what GitHub said a user can read is believed: long
// enough that a page and its links cost GitHub nothing, short enough that
// access taken away shows within a minute.
const accessTTL = time.Minute

// maxAccessPages bounds the pages read of each list (100 a page).
const maxAccessPages = 10

type accessEntry struct {
	repos map[string]bool // lower-case owner/name
	at    time.Time
}

// accessCache holds, per session, the repositories its user can read.
type accessCache struct {
	mu sync.Mutex
	m  map[string]accessEntry
}

func (c *accessCache) get(id string, now time.Time) (map[string]bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || now.Sub(e.at) >= accessTTL {
		return nil, false
	}
	return e.repos, true
}

func (c *accessCache) put(id string, repos map[string]bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]accessEntry{}
	}
	for k, e := range c.m {
		if now.Sub(e.at) >= accessTTL {
			delete(c.m, k)
		}
	}
	c.m[id] = accessEntry{repos: repos, at: now}
}

func (c *accessCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// readable asks GitHub, through the user's token, which repositories of
// the App's installations the user can read: the installations the user
// can reach, then each one's repositories.
func (p *Pages) readable(ctx context.Context, s session) (map[string]bool, error) {
	if repos, ok := p.access.get(s.ID, p.sessionNow()); ok {
		return repos, nil
	}
	repos := map[string]bool{}
	var installs []int64
	for page := 1; page <= maxAccessPages; page++ {
		var out struct {
			Installations []struct {
				ID int64 `json:"id"`
			} `json:"installations"`
		}
		if err := p.gitHubGet(ctx, s.Token, "user/installations?per_page=100&page="+strconv.Itoa(page), &out); err != nil {
			return nil, fmt.Errorf("installations of %s: %w", s.Login, err)
		}
		for _, in := range out.Installations {
			installs = append(installs, in.ID)
		}
		if len(out.Installations) < 100 {
			break
		}
	}
	for _, id := range installs {
		for page := 1; page <= maxAccessPages; page++ {
			var out struct {
				Repositories []struct {
					FullName string `json:"full_name"`
				} `json:"repositories"`
			}
			path := "user/installations/" + strconv.FormatInt(id, 10) + "/repositories?per_page=100&page=" + strconv.Itoa(page)
			err := p.gitHubGet(ctx, s.Token, path, &out)
			if se := (*statusError)(nil); errors.As(err, &se) && se.code == http.StatusNotFound {
				break // none of this installation's repositories is the user's
			}
			if err != nil {
				return nil, fmt.Errorf("repositories of installation %d for %s: %w", id, s.Login, err)
			}
			for _, r := range out.Repositories {
				repos[strings.ToLower(r.FullName)] = true
			}
			if len(out.Repositories) < 100 {
				break
			}
		}
	}
	p.access.put(s.ID, repos, p.sessionNow())
	return repos, nil
}
