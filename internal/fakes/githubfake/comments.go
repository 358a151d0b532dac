package githubfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Comment is an issue (pull-request) comment.
type Comment struct {
	ID        int64
	Issue     int
	User      string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Reactions []Reaction
	deleted   bool
}

// Reaction is a reaction to a comment.
type Reaction struct {
	ID        int64
	User      string
	Content   string // +1, -1, laugh, confused, heart, hooray, rocket, eyes
	CreatedAt time.Time
}

// maxCommentBody is GitHub's limit on a comment body.
const maxCommentBody = 65536

// AddComment adds a comment by user (a person, not the App) to a pull request
// and returns its id.
func (s *Server) AddComment(fullName string, issue int, user, body string) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(fullName)
	if _, ok := r.pulls[issue]; !ok {
		s.t.Fatalf("githubfake: AddComment: no pull request %s#%d", fullName, issue)
	}
	c := &Comment{ID: s.newID(), Issue: issue, User: user, Body: body, CreatedAt: s.now(), UpdatedAt: s.now()}
	r.comments = append(r.comments, c)
	return c.ID
}

// DeleteComment deletes a comment as a person would in the UI, so a test can
// check that the App notices and posts a new one.
func (s *Server) DeleteComment(fullName string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.repo(fullName).comments {
		if c.ID == id {
			c.deleted = true
		}
	}
}

// Comments returns the comments on a pull request that are not deleted,
// oldest first.
func (s *Server) Comments(fullName string, issue int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.repo(fullName).commentsOn(issue) {
		cp := *c
		cp.Reactions = slices.Clone(c.Reactions)
		out = append(out, cp)
	}
	return out
}

func (r *repo) commentsOn(issue int) []*Comment {
	var out []*Comment
	for _, c := range r.comments {
		if c.Issue == issue && !c.deleted {
			out = append(out, c)
		}
	}
	return out
}

// issue checks the path's issue exists; issues here are the pull requests.
func (x *exchange) issue() (int, bool) {
	n, err := strconv.Atoi(x.r.PathValue("issue_number"))
	if _, ok := x.repo.pulls[n]; err != nil || !ok {
		x.fail(http.StatusNotFound, "Not Found")
		return 0, false
	}
	return n, true
}

func (x *exchange) comment() *Comment {
	return byPathID(x, "comment_id", x.repo.comments, func(c *Comment) bool { return !c.deleted }, func(c *Comment) int64 { return c.ID })
}

// commentBody reads {"body": ...}, which GitHub requires and bounds.
func (x *exchange) commentBody() (string, bool) {
	var b struct {
		Body *string `json:"body"`
	}
	if !x.decode(&b) {
		return "", false
	}
	if b.Body == nil {
		x.invalid("body", "missing_field")
		return "", false
	}
	if utf8.RuneCountInString(*b.Body) > maxCommentBody {
		x.invalid("body", "too_long")
		return "", false
	}
	return *b.Body, true
}

func (s *Server) listComments(x *exchange) {
	n, ok := x.issue()
	if !ok {
		return
	}
	list := x.repo.commentsOn(n)
	pg, ok := x.paginate(len(list))
	if !ok {
		return
	}
	out := []any{}
	for _, c := range list[pg.lo:pg.hi] {
		out = append(out, s.commentJSON(x.repo, c))
	}
	x.reply(http.StatusOK, out)
}

func (s *Server) createComment(x *exchange) {
	n, ok := x.issue()
	if !ok {
		return
	}
	body, ok := x.commentBody()
	if !ok {
		return
	}
	c := &Comment{ID: s.newID(), Issue: n, User: s.botLogin(), Body: body, CreatedAt: s.now(), UpdatedAt: s.now()}
	x.repo.comments = append(x.repo.comments, c)
	x.reply(http.StatusCreated, s.commentJSON(x.repo, c))
}

func (s *Server) getComment(x *exchange) {
	if c := x.comment(); c != nil {
		x.reply(http.StatusOK, s.commentJSON(x.repo, c))
	}
}

func (s *Server) updateComment(x *exchange) {
	c := x.comment()
	if c == nil {
		return
	}
	body, ok := x.commentBody()
	if !ok {
		return
	}
	c.Body = body
	c.UpdatedAt = s.now()
	x.reply(http.StatusOK, s.commentJSON(x.repo, c))
}

func (s *Server) deleteComment(x *exchange) {
	if c := x.comment(); c != nil {
		c.deleted = true
		x.noContent()
	}
}

func (s *Server) createReaction(x *exchange) {
	c := x.comment()
	if c == nil {
		return
	}
	var b struct {
		Content string `json:"content"`
	}
	if !x.decode(&b) {
		return
	}
	switch b.Content {
	case "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes":
	default:
		x.invalid("content", "invalid")
		return
	}
	// Reacting twice with the same content is not an error: GitHub answers 200
	// with the existing reaction.
	for _, re := range c.Reactions {
		if re.User == s.botLogin() && re.Content == b.Content {
			x.reply(http.StatusOK, s.reactionJSON(re))
			return
		}
	}
	re := Reaction{ID: s.newID(), User: s.botLogin(), Content: b.Content, CreatedAt: s.now()}
	c.Reactions = append(c.Reactions, re)
	x.reply(http.StatusCreated, s.reactionJSON(re))
}

func (s *Server) reactionJSON(re Reaction) map[string]any {
	return map[string]any{
		"id":         re.ID,
		"node_id":    fmt.Sprintf("REA_fake%d", re.ID),
		"user":       s.userJSON(re.User),
		"content":    re.Content,
		"created_at": stamp(re.CreatedAt),
	}
}

func (s *Server) commentJSON(r *repo, c *Comment) map[string]any {
	counts := map[string]any{"total_count": len(c.Reactions)}
	for _, k := range []string{"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"} {
		counts[k] = 0
	}
	for _, re := range c.Reactions {
		counts[re.Content] = counts[re.Content].(int) + 1
	}
	u := s.apiURL(fmt.Sprintf("/repos/%s/issues/comments/%d", r.fullName(), c.ID))
	counts["url"] = u + "/reactions"
	return map[string]any{
		"id":                 c.ID,
		"node_id":            fmt.Sprintf("IC_fake%d", c.ID),
		"url":                u,
		"html_url":           fmt.Sprintf("https://github.com/%s/pull/%d#issuecomment-%d", r.fullName(), c.Issue, c.ID),
		"issue_url":          s.apiURL(fmt.Sprintf("/repos/%s/issues/%d", r.fullName(), c.Issue)),
		"body":               c.Body,
		"user":               s.userJSON(c.User),
		"created_at":         stamp(c.CreatedAt),
		"updated_at":         stamp(c.UpdatedAt),
		"author_association": r.association(c.User),
		"reactions":          counts,
	}
}
