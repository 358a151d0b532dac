package githubfake

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// CheckRun is a check run's latest state, as the App left it.
type CheckRun struct {
	ID          int64
	Name        string
	HeadSHA     string
	Status      string // queued, in_progress or completed
	Conclusion  string // "" until completed
	DetailsURL  string
	ExternalID  string
	StartedAt   time.Time
	CompletedAt time.Time
	Output      CheckRunOutput
	Actions     []CheckRunAction
	Updates     int // PATCHes applied since it was created
}

// CheckRunOutput is a check run's output. Annotations accumulate over
// updates, as on GitHub; the other fields hold the latest value sent.
type CheckRunOutput struct {
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
}

// Annotation is a check-run annotation, in GitHub's JSON shape.
type Annotation struct {
	Path            string `json:"path"`
	StartLine       int    `json:"start_line"`
	EndLine         int    `json:"end_line"`
	StartColumn     int    `json:"start_column,omitempty"`
	EndColumn       int    `json:"end_column,omitempty"`
	AnnotationLevel string `json:"annotation_level"`
	Message         string `json:"message"`
	Title           string `json:"title,omitempty"`
	RawDetails      string `json:"raw_details,omitempty"`
}

// CheckRunAction is a button on a check run, in GitHub's JSON shape.
type CheckRunAction struct {
	Label       string `json:"label"`
	Description string `json:"description"`
	Identifier  string `json:"identifier"`
}

// GitHub's limits on check runs; the fake answers 422 past them, as GitHub does.
const (
	maxCheckText         = 65535
	maxAnnotationsPerReq = 50
	maxActions           = 3
	maxActionLabel       = 20
	maxActionIdentifier  = 20
	maxActionDescription = 40
)

// CheckRuns returns the repository's check runs in the order they were created.
func (s *Server) CheckRuns(fullName string) []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CheckRun
	for _, c := range s.repo(fullName).checkRuns {
		cp := *c
		cp.Actions = slices.Clone(c.Actions)
		cp.Output.Annotations = slices.Clone(c.Output.Annotations)
		out = append(out, cp)
	}
	return out
}

// checkRunBody is the body of both create and update; nil means "not sent",
// which on update means "unchanged".
type checkRunBody struct {
	Name        *string           `json:"name"`
	HeadSHA     *string           `json:"head_sha"`
	DetailsURL  *string           `json:"details_url"`
	ExternalID  *string           `json:"external_id"`
	Status      *string           `json:"status"`
	StartedAt   *time.Time        `json:"started_at"`
	Conclusion  *string           `json:"conclusion"`
	CompletedAt *time.Time        `json:"completed_at"`
	Actions     *[]CheckRunAction `json:"actions"`
	Output      *struct {
		Title       *string      `json:"title"`
		Summary     *string      `json:"summary"`
		Text        *string      `json:"text"`
		Annotations []Annotation `json:"annotations"`
	} `json:"output"`
}

// check returns the field GitHub would reject, or "".
func (b *checkRunBody) check() (field, code string) {
	if o := b.Output; o != nil {
		if o.Summary != nil && utf8.RuneCountInString(*o.Summary) > maxCheckText {
			return "output.summary", "invalid"
		}
		if o.Text != nil && utf8.RuneCountInString(*o.Text) > maxCheckText {
			return "output.text", "invalid"
		}
		if len(o.Annotations) > maxAnnotationsPerReq {
			return "output.annotations", "invalid"
		}
	}
	if b.Actions != nil {
		if len(*b.Actions) > maxActions {
			return "actions", "invalid"
		}
		for _, a := range *b.Actions {
			if utf8.RuneCountInString(a.Label) > maxActionLabel ||
				utf8.RuneCountInString(a.Identifier) > maxActionIdentifier ||
				utf8.RuneCountInString(a.Description) > maxActionDescription {
				return "actions", "invalid"
			}
		}
	}
	return "", ""
}

// apply folds the body into c the way GitHub does: a conclusion completes the
// run, and completing it stamps completed_at.
func (b *checkRunBody) apply(c *CheckRun, now time.Time) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, b.Name)
	set(&c.DetailsURL, b.DetailsURL)
	set(&c.ExternalID, b.ExternalID)
	set(&c.Status, b.Status)
	set(&c.Conclusion, b.Conclusion)
	if b.StartedAt != nil {
		c.StartedAt = *b.StartedAt
	}
	if b.CompletedAt != nil {
		c.CompletedAt = *b.CompletedAt
	}
	if b.Conclusion != nil {
		c.Status = "completed"
	}
	if c.Status == "completed" && c.CompletedAt.IsZero() {
		c.CompletedAt = now
	}
	if b.Actions != nil {
		c.Actions = slices.Clone(*b.Actions)
	}
	if o := b.Output; o != nil {
		set(&c.Output.Title, o.Title)
		set(&c.Output.Summary, o.Summary)
		set(&c.Output.Text, o.Text)
		c.Output.Annotations = append(c.Output.Annotations, o.Annotations...)
	}
}

func (s *Server) createCheckRun(x *exchange) {
	var b checkRunBody
	if !x.decode(&b) {
		return
	}
	if b.Name == nil || *b.Name == "" {
		x.invalid("name", "missing_field")
		return
	}
	if b.HeadSHA == nil || *b.HeadSHA == "" {
		x.invalid("head_sha", "missing_field")
		return
	}
	if f, code := b.check(); f != "" {
		x.invalid(f, code)
		return
	}
	c := &CheckRun{ID: s.newID(), Status: "queued", HeadSHA: *b.HeadSHA, StartedAt: s.now()}
	b.apply(c, s.now())
	if c.Status == "completed" && c.Conclusion == "" {
		x.invalid("conclusion", "missing_field")
		return
	}
	x.repo.checkRuns = append(x.repo.checkRuns, c)
	x.reply(http.StatusCreated, s.checkRunJSON(x.repo, c))
}

func (x *exchange) checkRun() *CheckRun {
	return byPathID(x, "check_run_id", x.repo.checkRuns, func(*CheckRun) bool { return true }, func(c *CheckRun) int64 { return c.ID })
}

func (s *Server) getCheckRun(x *exchange) {
	if c := x.checkRun(); c != nil {
		x.reply(http.StatusOK, s.checkRunJSON(x.repo, c))
	}
}

func (s *Server) updateCheckRun(x *exchange) {
	c := x.checkRun()
	if c == nil {
		return
	}
	var b checkRunBody
	if !x.decode(&b) {
		return
	}
	if f, code := b.check(); f != "" {
		x.invalid(f, code)
		return
	}
	next := *c
	next.Output.Annotations = slices.Clone(c.Output.Annotations)
	b.apply(&next, s.now())
	if next.Status == "completed" && next.Conclusion == "" {
		x.invalid("conclusion", "missing_field")
		return
	}
	next.Updates++
	*c = next
	x.reply(http.StatusOK, s.checkRunJSON(x.repo, c))
}

func (s *Server) listCheckRunsForRef(x *exchange) {
	q := x.r.URL.Query()
	sha := x.repo.resolve(x.r.PathValue("ref"))
	if sha == "" {
		x.fail(http.StatusUnprocessableEntity, "No commit found for SHA: "+x.r.PathValue("ref"))
		return
	}
	latest := cmp.Or(q.Get("filter"), "latest") == "latest"
	seen := map[string]bool{}
	var list []*CheckRun
	for _, c := range slices.Backward(x.repo.checkRuns) {
		if c.HeadSHA != sha ||
			(q.Get("check_name") != "" && c.Name != q.Get("check_name")) ||
			(q.Get("status") != "" && c.Status != q.Get("status")) ||
			(q.Get("app_id") != "" && q.Get("app_id") != strconv.FormatInt(s.app.ID, 10)) ||
			(latest && seen[c.Name]) {
			continue
		}
		seen[c.Name] = true
		list = append(list, c)
	}
	pg, ok := x.paginate(len(list))
	if !ok {
		return
	}
	runs := []any{}
	for _, c := range list[pg.lo:pg.hi] {
		runs = append(runs, s.checkRunJSON(x.repo, c))
	}
	x.reply(http.StatusOK, map[string]any{"total_count": len(list), "check_runs": runs})
}

func (s *Server) checkRunJSON(r *repo, c *CheckRun) map[string]any {
	u := s.apiURL(fmt.Sprintf("/repos/%s/check-runs/%d", r.fullName(), c.ID))
	var pulls []any
	for _, n := range sortedKeys(r.pulls) {
		p := r.pulls[n]
		if p.State == "open" && p.HeadSHA == c.HeadSHA {
			pulls = append(pulls, map[string]any{
				"id":     s.pullID(r, p.Number),
				"number": p.Number,
				"url":    s.apiURL(fmt.Sprintf("/repos/%s/pulls/%d", r.fullName(), p.Number)),
				"head":   map[string]any{"ref": p.HeadRef, "sha": p.HeadSHA, "repo": s.shortRepoJSON(r)},
				"base":   map[string]any{"ref": p.BaseRef, "sha": p.BaseSHA, "repo": s.shortRepoJSON(r)},
			})
		}
	}
	if pulls == nil {
		pulls = []any{}
	}
	var conclusion any
	if c.Conclusion != "" {
		conclusion = c.Conclusion
	}
	return map[string]any{
		"id":           c.ID,
		"node_id":      fmt.Sprintf("CR_fake%d", c.ID),
		"head_sha":     c.HeadSHA,
		"external_id":  c.ExternalID,
		"url":          u,
		"html_url":     fmt.Sprintf("https://github.com/%s/runs/%d", r.fullName(), c.ID),
		"details_url":  orNull(c.DetailsURL),
		"status":       c.Status,
		"conclusion":   conclusion,
		"started_at":   stamp(c.StartedAt),
		"completed_at": stamp(c.CompletedAt),
		"name":         c.Name,
		"output": map[string]any{
			"title":             orNull(c.Output.Title),
			"summary":           orNull(c.Output.Summary),
			"text":              orNull(c.Output.Text),
			"annotations_count": len(c.Output.Annotations),
			"annotations_url":   u + "/annotations",
		},
		"check_suite":   map[string]any{"id": s.stableID("check_suite", r.fullName()+"@"+c.HeadSHA)},
		"app":           s.appJSON(),
		"pull_requests": pulls,
	}
}

func (s *Server) shortRepoJSON(r *repo) map[string]any {
	return map[string]any{"id": r.id, "name": r.name, "url": s.apiURL("/repos/" + r.fullName())}
}
