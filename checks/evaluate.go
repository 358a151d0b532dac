package checks

import (
	"fmt"
	"strings"
)

// Evaluate decides the wavegate/review check for a pull request: it passes
// when Policy.Approvals people other than the author, each with at least
// Policy.ApproverPermission, approved (the head commit, with StaleDismiss),
// no eligible reviewer's change request stands (with
// BlockOnChangesRequested), and every checklist item is ticked in the
// description unless the change touches only ChecklistSkipPaths.
//
// perms holds the role of each distinct reviewer, keyed by login (matched
// case-insensitively, as GitHub matches logins); a reviewer missing from it
// is taken to have none, with ReasonUnknownPermission. changedFiles are the
// paths the pull request changes. A draft is not evaluated (neutral), but
// its Result still carries every detail.
//
// A partly filled Policy errs on the strict side: a negative Approvals is
// 0, and any StaleApprovals but StaleKeep dismisses stale approvals.
func Evaluate(pr PullRequest, reviews []Review, changedFiles []string, perms map[string]Permission, policy Policy) Result {
	res := Result{
		Approvals: evaluateApprovals(pr, reviews, perms, policy),
		Checklist: evaluateChecklist(pr.Body, changedFiles, policy),
	}
	res.Missing = missing(pr, res, policy)
	switch {
	case pr.Draft:
		res.Conclusion = ConclusionNeutral
		res.Title = "Not evaluated while draft"
		return res
	case res.Approvals.Satisfied() && res.Checklist.Satisfied():
		res.Conclusion = ConclusionSuccess
	default:
		res.Conclusion = ConclusionFailure
	}
	res.Title = title(res)
	return res
}

// evaluateChecklist reads the checklist's state from the description and
// decides whether the change needs it at all.
func evaluateChecklist(body string, changedFiles []string, policy Policy) ChecklistResult {
	if len(policy.Checklist) == 0 {
		return ChecklistResult{SkipReason: "no checklist configured"}
	}
	res := ChecklistResult{
		Required: true,
		Items:    checkItems(policy.Checklist, ParseChecklist(body)),
	}
	if patterns, ok := onlySkipPaths(changedFiles, policy.ChecklistSkipPaths); ok {
		res.Required = false
		res.SkipReason = "only " + joinAnd(patterns) + " changed"
	}
	return res
}

// onlySkipPaths reports whether every changed file is selected by the skip
// patterns (with "!" excludes, as MatchAny), and which patterns selected
// them, in configuration order. No files is not "only skip paths": a pull
// request whose file list is empty or unknown gets the checklist.
func onlySkipPaths(files, patterns []string) ([]string, bool) {
	if len(files) == 0 || len(patterns) == 0 {
		return nil, false
	}
	used := make(map[string]bool)
	for _, f := range files {
		p, ok := lastMatch(patterns, f)
		if !ok {
			return nil, false
		}
		used[p] = true
	}
	var out []string
	for _, p := range patterns {
		if used[p] {
			out = append(out, p)
			delete(used, p)
		}
	}
	return out, true
}

// title is the check run's one-line summary of a non-draft result.
func title(res Result) string {
	var parts []string
	if len(res.Approvals.Blocking) > 0 {
		var who []string
		for _, b := range res.Approvals.Blocking {
			who = append(who, mention(b.Review.Reviewer))
		}
		parts = append(parts, "Changes requested by "+joinAnd(who))
	}
	a := res.Approvals
	if a.Required == 0 {
		parts = append(parts, "no approvals required")
	} else {
		// More approvals than needed are listed in the details; the title
		// answers "is it enough?".
		parts = append(parts, fmt.Sprintf("%d of %d approvals", min(len(a.Counted), a.Required), a.Required))
	}
	c := res.Checklist
	switch {
	case len(c.Items) == 0:
		// No checklist configured: nothing to say.
	case !c.Required:
		parts = append(parts, "checklist not required ("+c.SkipReason+")")
	default:
		parts = append(parts, fmt.Sprintf("%d of %d checklist items", c.Ticked(), len(c.Items)))
	}
	return strings.Join(parts, " · ")
}

// missing says, in order of what to do first, what holds the gate.
func missing(pr PullRequest, res Result, policy Policy) []string {
	var out []string
	if pr.Draft {
		out = append(out, "Mark the pull request ready for review: drafts are not evaluated")
	}
	for _, b := range res.Approvals.Blocking {
		out = append(out, fmt.Sprintf("%s requested changes: address them and ask %s to approve, or have the review dismissed",
			mention(b.Review.Reviewer), mention(b.Review.Reviewer)))
	}
	a := res.Approvals
	if n := a.Required - len(a.Counted); n > 0 {
		who := "someone"
		if n > 1 {
			who = "people"
		}
		if policy.ApproverPermission > PermissionNone {
			who += fmt.Sprintf(" with %s access", policy.ApproverPermission)
		}
		if pr.Author != "" {
			who += " other than " + mention(pr.Author)
		}
		noun := "approval"
		if n > 1 {
			noun = "approvals"
		}
		out = append(out, fmt.Sprintf("%d more %s from %s", n, noun, who))
		for _, r := range a.NotCounted {
			if r.Reason == ReasonStale {
				out = append(out, fmt.Sprintf("Ask %s to approve again: their approval was for %s, the head is now %s",
					mention(r.Review.Reviewer), shortSHA(r.Review.CommitID), shortSHA(pr.HeadSHA)))
			}
		}
	}
	if res.Checklist.Required {
		for _, it := range res.Checklist.Items {
			switch it.State {
			case ItemUnticked:
				out = append(out, fmt.Sprintf("Tick “%s” in the description", it.Text))
			case ItemMissing:
				out = append(out, fmt.Sprintf("Add “- [x] %s” to the description", it.Text))
			}
		}
	}
	return out
}

// joinAnd joins words as a sentence lists them: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
