package githubfake

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Pull is a pull request as a test sets it up.
type Pull struct {
	Number         int
	Title, Body    string
	User           string // author's login
	State          string // "open" when empty, or "closed"
	Draft          bool
	HeadRef        string
	HeadSHA        string
	BaseRef        string // the default branch when empty
	BaseSHA        string
	Merged         bool
	MergedBy       string
	MergeCommitSHA string
	Labels         []string
	Files          []File
	CreatedAt      time.Time // the fake's clock when zero

	reviews []Review
}

// File is a changed file, in a pull request or a commit.
type File struct {
	Filename         string
	Status           string // "modified" when empty; added, removed, renamed, ...
	Additions        int
	Deletions        int
	Patch            string
	PreviousFilename string
}

// Review is a pull-request review.
type Review struct {
	ID                int64  // assigned by AddReview
	User              string // "" is a deleted account: JSON null, as GitHub sends
	State             string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
	CommitID          string
	Body              string
	SubmittedAt       time.Time // the fake's clock when zero
	AuthorAssociation string    // derived from SetPermission when empty
}

// AddPull adds a pull request, or replaces the one with the same number (its
// reviews and comments stay), so a test can move its head or merge it.
func (s *Server) AddPull(fullName string, p Pull) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(fullName)
	if p.Number <= 0 {
		s.t.Fatalf("githubfake: AddPull %s: Number must be positive", fullName)
	}
	if p.State == "" {
		p.State = "open"
	}
	if p.BaseRef == "" {
		p.BaseRef = r.defaultBranch
	}
	if p.CreatedAt.IsZero() {
		if old, ok := r.pulls[p.Number]; ok {
			p.CreatedAt = old.CreatedAt
		} else {
			p.CreatedAt = s.now()
		}
	}
	p.Labels = slices.Clone(p.Labels)
	p.Files = slices.Clone(p.Files)
	if old, ok := r.pulls[p.Number]; ok {
		p.reviews = old.reviews
	}
	r.pulls[p.Number] = &p
}

// AddReview adds a review to a pull request and returns its id.
func (s *Server) AddReview(fullName string, number int, rv Review) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.repo(fullName).pulls[number]
	if !ok {
		s.t.Fatalf("githubfake: AddReview: no pull request %s#%d", fullName, number)
	}
	rv.ID = s.newID()
	if rv.SubmittedAt.IsZero() {
		rv.SubmittedAt = s.now()
	}
	p.reviews = append(p.reviews, rv)
	return rv.ID
}

// SetCommitPulls sets the pull requests GET .../commits/{sha}/pulls returns,
// in that order.
func (s *Server) SetCommitPulls(fullName, sha string, numbers ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(fullName).commitPulls[sha] = slices.Clone(numbers)
}

// association is the author_association GitHub would give login.
func (r *repo) association(login string) string {
	switch {
	case strings.EqualFold(login, r.owner):
		return "OWNER"
	case r.perms[strings.ToLower(login)] != "":
		return "COLLABORATOR"
	}
	return "NONE"
}

func (x *exchange) pull() *Pull {
	n, err := strconv.Atoi(x.r.PathValue("pull_number"))
	p, ok := x.repo.pulls[n]
	if err != nil || !ok {
		x.fail(http.StatusNotFound, "Not Found")
		return nil
	}
	return p
}

// pullID is the pull request's id, distinct from its number as on GitHub.
func (s *Server) pullID(r *repo, number int) int64 {
	return s.stableID("pull", fmt.Sprintf("%s#%d", r.fullName(), number))
}

func (s *Server) getPull(x *exchange) {
	if p := x.pull(); p != nil {
		x.reply(http.StatusOK, s.pullJSON(x.repo, p, true))
	}
}

func (s *Server) listPulls(x *exchange) {
	q := x.r.URL.Query()
	state := cmp.Or(q.Get("state"), "open")
	var list []*Pull
	for _, p := range x.repo.pulls {
		if state != "all" && p.State != state {
			continue
		}
		if b := q.Get("base"); b != "" && p.BaseRef != b {
			continue
		}
		if h := q.Get("head"); h != "" && h != x.repo.owner+":"+p.HeadRef && h != p.HeadRef {
			continue
		}
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b *Pull) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.Number, b.Number))
	})
	if q.Get("direction") != "asc" {
		slices.Reverse(list)
	}
	pg, ok := x.paginate(len(list))
	if !ok {
		return
	}
	out := []any{}
	for _, p := range list[pg.lo:pg.hi] {
		out = append(out, s.pullJSON(x.repo, p, false))
	}
	x.reply(http.StatusOK, out)
}

func (s *Server) listPullFiles(x *exchange) {
	p := x.pull()
	if p == nil {
		return
	}
	pg, ok := x.paginate(len(p.Files))
	if !ok {
		return
	}
	out := []any{}
	for _, f := range p.Files[pg.lo:pg.hi] {
		out = append(out, s.fileJSON(x.repo, p.HeadSHA, f))
	}
	x.reply(http.StatusOK, out)
}

func (s *Server) listReviews(x *exchange) {
	p := x.pull()
	if p == nil {
		return
	}
	pg, ok := x.paginate(len(p.reviews))
	if !ok {
		return
	}
	out := []any{}
	for _, rv := range p.reviews[pg.lo:pg.hi] {
		out = append(out, s.reviewJSON(x.repo, p, rv))
	}
	x.reply(http.StatusOK, out)
}

func (s *Server) listCommitPulls(x *exchange) {
	numbers := x.repo.commitPulls[x.r.PathValue("commit_sha")]
	pg, ok := x.paginate(len(numbers))
	if !ok {
		return
	}
	out := []any{}
	for _, n := range numbers[pg.lo:pg.hi] {
		if p, ok := x.repo.pulls[n]; ok {
			out = append(out, s.pullJSON(x.repo, p, false))
		}
	}
	x.reply(http.StatusOK, out)
}

func (s *Server) pullJSON(r *repo, p *Pull, full bool) map[string]any {
	u := s.apiURL(fmt.Sprintf("/repos/%s/pulls/%d", r.fullName(), p.Number))
	issue := s.apiURL(fmt.Sprintf("/repos/%s/issues/%d", r.fullName(), p.Number))
	html := fmt.Sprintf("https://github.com/%s/pull/%d", r.fullName(), p.Number)
	statuses := s.apiURL("/repos/" + r.fullName() + "/statuses/" + p.HeadSHA)
	labels := []any{}
	for _, l := range p.Labels {
		id := s.stableID("label", l)
		labels = append(labels, map[string]any{
			"id": id, "node_id": fmt.Sprintf("LA_fake%d", id), "url": s.apiURL("/repos/" + r.fullName() + "/labels/" + l),
			"name": l, "description": nil, "color": "ededed", "default": false,
		})
	}
	var closed, merged any
	if p.State == "closed" {
		closed = stamp(p.CreatedAt)
	}
	if p.Merged {
		merged = stamp(p.CreatedAt)
	}
	href := func(h string) map[string]any { return map[string]any{"href": h} }
	m := map[string]any{
		"url":                 u,
		"id":                  s.pullID(r, p.Number),
		"node_id":             fmt.Sprintf("PR_fake%d", p.Number),
		"html_url":            html,
		"diff_url":            html + ".diff",
		"patch_url":           html + ".patch",
		"issue_url":           issue,
		"commits_url":         u + "/commits",
		"review_comments_url": u + "/comments",
		"review_comment_url":  s.apiURL("/repos/" + r.fullName() + "/pulls/comments{/number}"),
		"comments_url":        issue + "/comments",
		"statuses_url":        statuses,
		"number":              p.Number,
		"state":               p.State,
		"locked":              false,
		"title":               p.Title,
		"user":                s.userJSON(p.User),
		"body":                orNull(p.Body),
		"labels":              labels,
		"milestone":           nil,
		"created_at":          stamp(p.CreatedAt),
		"updated_at":          stamp(p.CreatedAt),
		"closed_at":           closed,
		"merged_at":           merged,
		"merge_commit_sha":    orNull(p.MergeCommitSHA),
		"assignee":            nil,
		"assignees":           []any{},
		"requested_reviewers": []any{},
		"requested_teams":     []any{},
		"head":                s.branchJSON(r, p.HeadRef, p.HeadSHA),
		"base":                s.branchJSON(r, p.BaseRef, p.BaseSHA),
		"_links": map[string]any{
			"self": href(u), "html": href(html), "issue": href(issue), "comments": href(issue + "/comments"),
			"review_comments": href(u + "/comments"), "review_comment": href(s.apiURL("/repos/" + r.fullName() + "/pulls/comments{/number}")),
			"commits": href(u + "/commits"), "statuses": href(statuses),
		},
		"author_association": r.association(p.User),
		"auto_merge":         nil,
		"draft":              p.Draft,
	}
	if full {
		adds, dels := 0, 0
		for _, f := range p.Files {
			adds += f.Additions
			dels += f.Deletions
		}
		var mergedBy any
		if p.Merged {
			mergedBy = s.userJSON(p.MergedBy)
		}
		m["merged"] = p.Merged
		m["mergeable"] = nil
		m["rebaseable"] = nil
		m["mergeable_state"] = "unknown"
		m["merged_by"] = mergedBy
		m["comments"] = len(r.commentsOn(p.Number))
		m["review_comments"] = 0
		m["maintainer_can_modify"] = false
		m["commits"] = 1
		m["additions"] = adds
		m["deletions"] = dels
		m["changed_files"] = len(p.Files)
	}
	return m
}

func (s *Server) branchJSON(r *repo, ref, sha string) map[string]any {
	return map[string]any{
		"label": r.owner + ":" + ref,
		"ref":   ref,
		"sha":   sha,
		"user":  s.orgJSON(r.owner),
		"repo":  s.repoJSON(r),
	}
}

func (s *Server) fileJSON(r *repo, ref string, f File) map[string]any {
	status := cmp.Or(f.Status, "modified")
	m := map[string]any{
		"sha":          blobSHA(f.Filename + "@" + ref),
		"filename":     f.Filename,
		"status":       status,
		"additions":    f.Additions,
		"deletions":    f.Deletions,
		"changes":      f.Additions + f.Deletions,
		"blob_url":     "https://github.com/" + r.fullName() + "/blob/" + ref + "/" + f.Filename,
		"raw_url":      "https://github.com/" + r.fullName() + "/raw/" + ref + "/" + f.Filename,
		"contents_url": s.apiURL("/repos/" + r.fullName() + "/contents/" + f.Filename + "?ref=" + ref),
	}
	if f.Patch != "" {
		m["patch"] = f.Patch
	}
	if f.PreviousFilename != "" {
		m["previous_filename"] = f.PreviousFilename
	}
	return m
}

func (s *Server) reviewJSON(r *repo, p *Pull, rv Review) map[string]any {
	html := fmt.Sprintf("https://github.com/%s/pull/%d#pullrequestreview-%d", r.fullName(), p.Number, rv.ID)
	pr := s.apiURL(fmt.Sprintf("/repos/%s/pulls/%d", r.fullName(), p.Number))
	return map[string]any{
		"id":                 rv.ID,
		"node_id":            fmt.Sprintf("PRR_fake%d", rv.ID),
		"user":               s.userJSON(rv.User),
		"body":               rv.Body,
		"state":              rv.State,
		"html_url":           html,
		"pull_request_url":   pr,
		"_links":             map[string]any{"html": map[string]any{"href": html}, "pull_request": map[string]any{"href": pr}},
		"submitted_at":       stamp(rv.SubmittedAt),
		"commit_id":          orNull(rv.CommitID),
		"author_association": cmp.Or(rv.AuthorAssociation, r.association(rv.User)),
	}
}
