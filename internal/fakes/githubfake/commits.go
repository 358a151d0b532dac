package githubfake

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Commit is a commit as a test sets it up.
type Commit struct {
	SHA         string
	Message     string
	Author      string // GitHub login; "" when the email matches no account (JSON null)
	AuthorName  string
	AuthorEmail string
	Parents     []string
	Files       []File
	Date        time.Time // the fake's clock when zero
}

// AddCommit adds (or replaces) a commit, for GET .../commits/{ref}.
func (s *Server) AddCommit(fullName string, c Commit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addCommit(s.repo(fullName), c)
}

func (s *Server) addCommit(r *repo, c Commit) {
	if c.Date.IsZero() {
		c.Date = s.now()
	}
	c.Parents = slices.Clone(c.Parents)
	c.Files = slices.Clone(c.Files)
	r.commits[c.SHA] = &c
}

// SetCompare sets what GET .../compare/{base}...{head} returns: commits, oldest
// first, which are also added as with AddCommit. The comparison's files are
// the union of the commits' files, the latest change to a file winning.
func (s *Server) SetCompare(fullName, base, head string, commits ...Commit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(fullName)
	shas := make([]string, 0, len(commits))
	for _, c := range commits {
		s.addCommit(r, c)
		shas = append(shas, c.SHA)
	}
	r.compares[base+"..."+head] = shas
}

func (s *Server) getCommit(x *exchange) {
	ref := x.r.PathValue("ref")
	c, ok := x.repo.commits[x.repo.resolve(ref)]
	if !ok {
		x.fail(http.StatusUnprocessableEntity, "No commit found for SHA: "+ref)
		return
	}
	m := s.commitJSON(x.repo, c)
	adds, dels := 0, 0
	files := []any{}
	for _, f := range c.Files {
		adds += f.Additions
		dels += f.Deletions
		files = append(files, s.fileJSON(x.repo, c.SHA, f))
	}
	m["stats"] = map[string]any{"additions": adds, "deletions": dels, "total": adds + dels}
	m["files"] = files
	x.reply(http.StatusOK, m)
}

func (s *Server) compare(x *exchange) {
	basehead := x.r.PathValue("basehead")
	shas, ok := x.repo.compares[basehead]
	if !ok {
		x.fail(http.StatusNotFound, "Not Found")
		return
	}
	var commits []*Commit
	for _, sha := range shas {
		commits = append(commits, x.repo.commits[sha])
	}
	// GitHub pages the commits but always reports every file.
	pg, ok := x.paginate(len(commits))
	if !ok {
		return
	}
	list := []any{}
	for _, c := range commits[pg.lo:pg.hi] {
		list = append(list, s.commitJSON(x.repo, c))
	}
	var order []string
	latest := map[string]File{}
	for _, c := range commits {
		for _, f := range c.Files {
			if _, seen := latest[f.Filename]; !seen {
				order = append(order, f.Filename)
			}
			latest[f.Filename] = f
		}
	}
	files := []any{}
	for _, name := range order {
		files = append(files, s.fileJSON(x.repo, shas[len(shas)-1], latest[name]))
	}
	base := &Commit{SHA: basehead}
	if len(commits) > 0 && len(commits[0].Parents) > 0 {
		if c, ok := x.repo.commits[commits[0].Parents[0]]; ok {
			base = c
		} else {
			base = &Commit{SHA: commits[0].Parents[0], Date: commits[0].Date}
		}
	}
	status := "ahead"
	if len(commits) == 0 {
		status = "identical"
	}
	u := s.apiURL("/repos/" + x.repo.fullName() + "/compare/" + basehead)
	x.reply(http.StatusOK, map[string]any{
		"url":               u,
		"html_url":          "https://github.com/" + x.repo.fullName() + "/compare/" + basehead,
		"permalink_url":     "https://github.com/" + x.repo.fullName() + "/compare/" + basehead,
		"diff_url":          "https://github.com/" + x.repo.fullName() + "/compare/" + basehead + ".diff",
		"patch_url":         "https://github.com/" + x.repo.fullName() + "/compare/" + basehead + ".patch",
		"base_commit":       s.commitJSON(x.repo, base),
		"merge_base_commit": s.commitJSON(x.repo, base),
		"status":            status,
		"ahead_by":          len(commits),
		"behind_by":         0,
		"total_commits":     len(commits),
		"commits":           list,
		"files":             files,
	})
}

func (s *Server) commitJSON(r *repo, c *Commit) map[string]any {
	u := s.apiURL("/repos/" + r.fullName() + "/commits/" + c.SHA)
	parents := []any{}
	for _, p := range c.Parents {
		parents = append(parents, map[string]any{
			"sha":      p,
			"url":      s.apiURL("/repos/" + r.fullName() + "/commits/" + p),
			"html_url": "https://github.com/" + r.fullName() + "/commit/" + p,
		})
	}
	person := map[string]any{
		"name":  cmp.Or(c.AuthorName, c.Author, "Unknown"),
		"email": cmp.Or(c.AuthorEmail, "unknown@example.com"),
		"date":  stamp(c.Date),
	}
	tree := blobSHA("tree:" + c.SHA)
	return map[string]any{
		"url":          u,
		"sha":          c.SHA,
		"node_id":      fmt.Sprintf("C_fake_%s", c.SHA),
		"html_url":     "https://github.com/" + r.fullName() + "/commit/" + c.SHA,
		"comments_url": u + "/comments",
		"commit": map[string]any{
			"url":           s.apiURL("/repos/" + r.fullName() + "/git/commits/" + c.SHA),
			"author":        person,
			"committer":     person,
			"message":       c.Message,
			"comment_count": 0,
			"tree":          map[string]any{"sha": tree, "url": s.apiURL("/repos/" + r.fullName() + "/git/trees/" + tree)},
		},
		"author":    s.userJSON(c.Author),
		"committer": s.userJSON(c.Author),
		"parents":   parents,
	}
}
