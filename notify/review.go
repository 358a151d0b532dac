package notify

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/templates"
)

// ReviewSummary is what the wavegate/review check run's summary shows.
type ReviewSummary struct {
	Result  checks.Result
	Verdict string
	// Policy describes the configuration in force, in a phrase.
	Policy string
}

// Renderer renders reports from the embedded templates, parsed once.
type Renderer struct {
	review  *template.Template
	release *template.Template
	notice  *template.Template
	refusal *template.Template
	slack   *template.Template
}

// NewRenderer parses the templates.
func NewRenderer() (*Renderer, error) {
	funcs := template.FuncMap{
		"md":    Markdown,
		"help":  MarkdownHelp,
		"who":   func(login string) string { return Markdown("@" + login) },
		"lower": strings.ToLower,
		"short": shortSHA,
		"reviewer": func(login string) string {
			if login == "" {
				return "a deleted account"
			}
			return "@" + Markdown(login)
		},
	}
	review, err := template.New("review-summary.md.tmpl").Funcs(funcs).
		ParseFS(templates.Files(), "github/review-summary.md.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse review summary template: %w", err)
	}
	release, err := template.New("release-comment.md.tmpl").Funcs(funcs).
		ParseFS(templates.Files(), "github/release-comment.md.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse release comment template: %w", err)
	}
	notice, err := template.New("notice.md.tmpl").Funcs(funcs).ParseFS(templates.Files(), "github/notice.md.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse notice template: %w", err)
	}
	refusal, err := template.New("refusal.md.tmpl").Funcs(funcs).ParseFS(templates.Files(), "github/refusal.md.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse refusal template: %w", err)
	}
	slackTmpl, err := slackTemplates()
	if err != nil {
		return nil, err
	}
	return &Renderer{review: review, release: release, notice: notice, refusal: refusal, slack: slackTmpl}, nil
}

// PRCommentLimit is GitHub's limit on a comment's body.
const PRCommentLimit = 65536

// ReleaseComment renders the PR comment of a release.
//
// It must fit both a PR comment and a check run's summary. A release with
// too many stages and targets to list folds its finished stages into
// <details>, each as a count of targets, and only then is cut.
func (r *Renderer) ReleaseComment(v ReleaseView) (string, error) {
	limit := min(PRCommentLimit, CheckRunTextLimit)
	var body string
	for _, fold := range []bool{false, true} {
		var b bytes.Buffer
		if err := r.release.Execute(&b, releaseComment{ReleaseView: v, Fold: fold}); err != nil {
			return "", fmt.Errorf("render release comment: %w", err)
		}
		if body = b.String(); len(body) <= limit {
			return body, nil
		}
	}
	return truncate(body, limit), nil
}

// releaseComment is the release comment template's data.
type releaseComment struct {
	ReleaseView
	Fold bool
}

// Open are the stages shown in the main table.
func (c releaseComment) Open() []StageView {
	if !c.Fold {
		return c.Stages
	}
	var out []StageView
	for _, s := range c.Stages {
		if s.Status != "succeeded" {
			out = append(out, s)
		}
	}
	return out
}

// Folded are the finished stages shown inside <details>.
func (c releaseComment) Folded() []StageView {
	if !c.Fold {
		return nil
	}
	var out []StageView
	for _, s := range c.Stages {
		if s.Status == "succeeded" {
			out = append(out, s)
		}
	}
	return out
}

// ReviewCheck renders the wavegate/review check run's title and summary.
func (r *Renderer) ReviewCheck(res checks.Result, policy checks.Policy) (title, summary string, err error) {
	data := ReviewSummary{Result: res, Verdict: verdict(res), Policy: DescribePolicy(policy)}
	var b bytes.Buffer
	if err := r.review.Execute(&b, data); err != nil {
		return "", "", fmt.Errorf("render review summary: %w", err)
	}
	return res.Title, truncate(b.String(), CheckRunTextLimit), nil
}

func verdict(res checks.Result) string {
	switch res.Conclusion {
	case checks.ConclusionSuccess:
		return "It has the approvals and the checklist this repository asks for."
	case checks.ConclusionFailure:
		return "Branch protection will hold the merge until what is missing below is done; Wavegate checks again on every review, push and edit."
	}
	return ""
}

// DescribePolicy says in a phrase what the gate asks for.
func DescribePolicy(p checks.Policy) string {
	approvals := fmt.Sprintf("%d approvals", p.Approvals)
	if p.Approvals == 1 {
		approvals = "1 approval"
	}
	parts := []string{
		fmt.Sprintf("%s from someone with %s access or more, other than the author", approvals, p.ApproverPermission),
	}
	if p.StaleApprovals == checks.StaleDismiss {
		parts = append(parts, "approvals of an older commit do not count")
	}
	if p.BlockOnChangesRequested {
		parts = append(parts, "requested changes block")
	}
	if n := len(p.Checklist); n > 0 {
		parts = append(parts, fmt.Sprintf("%d checklist items", n))
	}
	return strings.Join(parts, "; ")
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
