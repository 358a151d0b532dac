package checks

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// outcome is where one input review ends up.
type outcome struct {
	bucket bucket
	reason ReasonCode
	detail string
	perm   Permission
}

// bucket is the list of ApprovalsResult a review goes to; the zero value is
// NotCounted so that a review no rule placed can never count by accident.
type bucket int

const (
	bucketNotCounted bucket = iota
	bucketCounted
	bucketBlocking
)

// evaluateApprovals decides, for every review, whether it counts, does not,
// or blocks. Like GitHub, it takes each reviewer's stance from their latest
// approval, change request or dismissal; comments and pending reviews leave
// the stance as it was.
func evaluateApprovals(pr PullRequest, reviews []Review, perms map[string]Permission, policy Policy) ApprovalsResult {
	order := reviewOrder(reviews)
	outcomes := make([]outcome, len(reviews))

	// stance maps a reviewer (case-folded: logins are case-insensitive) to
	// the index of the review that is their current stance.
	stance := make(map[string]int)
	for _, i := range order {
		r := reviews[i]
		if r.Reviewer == "" {
			// Ghost reviews cannot be told apart or checked against the
			// author, so none of them can count or block.
			outcomes[i] = outcome{reason: ReasonDeletedUser, detail: "the reviewer's account was deleted, so the review cannot be attributed"}
			continue
		}
		key := strings.ToLower(r.Reviewer)
		switch r.State {
		case ReviewApproved, ReviewChangesRequested, ReviewDismissed:
			if prev, ok := stance[key]; ok {
				outcomes[prev] = outcome{
					reason: ReasonSuperseded,
					detail: fmt.Sprintf("superseded by %s's later review (%s, id %d)", mention(r.Reviewer), describeState(r.State), r.ID),
				}
				delete(stance, key)
			}
			if r.State == ReviewDismissed {
				outcomes[i] = outcome{reason: ReasonDismissed, detail: fmt.Sprintf("%s's review was dismissed", mention(r.Reviewer))}
			} else {
				stance[key] = i
			}
		case ReviewCommented:
			outcomes[i] = outcome{reason: ReasonCommented, detail: "a comment-only review neither approves nor withdraws an earlier approval or change request"}
		case ReviewPending:
			outcomes[i] = outcome{reason: ReasonPending, detail: "a pending review has not been submitted"}
		default:
			outcomes[i] = outcome{reason: ReasonUnknownState, detail: fmt.Sprintf("unrecognized review state %q", string(r.State))}
		}
	}
	for _, i := range stance {
		outcomes[i] = judgeStance(pr, reviews[i], perms, policy)
	}

	res := ApprovalsResult{Required: max(policy.Approvals, 0)}
	for _, i := range order {
		o := outcomes[i]
		switch o.bucket {
		case bucketCounted:
			res.Counted = append(res.Counted, CountedReview{Review: reviews[i], Permission: o.perm, Detail: o.detail})
		case bucketBlocking:
			res.Blocking = append(res.Blocking, IgnoredReview{Review: reviews[i], Reason: o.reason, Detail: o.detail})
		default:
			res.NotCounted = append(res.NotCounted, IgnoredReview{Review: reviews[i], Reason: o.reason, Detail: o.detail})
		}
	}
	return res
}

// reviewOrder returns the reviews' indices in the order they happened:
// SubmittedAt, then ID, then input position, so the result does not depend
// on how the caller happened to list them (except for exact duplicates).
func reviewOrder(reviews []Review) []int {
	order := make([]int, len(reviews))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ra, rb := reviews[a], reviews[b]
		if c := ra.SubmittedAt.Compare(rb.SubmittedAt); c != 0 {
			return c
		}
		if c := cmp.Compare(ra.ID, rb.ID); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return order
}

// judgeStance decides whether a reviewer's standing approval counts, or
// their standing change request blocks.
func judgeStance(pr PullRequest, r Review, perms map[string]Permission, policy Policy) outcome {
	what := "approvals count"
	if r.State == ReviewChangesRequested {
		what = "change requests block"
	}
	if pr.Author != "" && strings.EqualFold(r.Reviewer, pr.Author) {
		return outcome{reason: ReasonAuthor, detail: fmt.Sprintf("%s is the pull request's author; only other people's reviews count", mention(r.Reviewer))}
	}
	perm, known := lookupPermission(perms, r.Reviewer)
	if perm < policy.ApproverPermission {
		if !known {
			return outcome{reason: ReasonUnknownPermission, detail: fmt.Sprintf(
				"%s's permission on the repository is unknown, so it is taken as none; %s from %s access up",
				mention(r.Reviewer), what, policy.ApproverPermission)}
		}
		return outcome{reason: ReasonPermission, perm: perm, detail: fmt.Sprintf(
			"%s has %s access; %s from %s access up", mention(r.Reviewer), perm, what, policy.ApproverPermission)}
	}
	if r.State == ReviewChangesRequested {
		// Staleness does not excuse a change request: new commits do not
		// show that the reviewer's concern was addressed.
		if !policy.BlockOnChangesRequested {
			return outcome{reason: ReasonNotBlocking, perm: perm, detail: fmt.Sprintf(
				"%s requested changes on %s; block_on_changes_requested is off", mention(r.Reviewer), shortSHA(r.CommitID))}
		}
		return outcome{bucket: bucketBlocking, reason: ReasonChangesRequested, perm: perm, detail: fmt.Sprintf(
			"%s requested changes on %s", mention(r.Reviewer), shortSHA(r.CommitID))}
	}
	if policy.StaleApprovals != StaleKeep && r.CommitID != pr.HeadSHA {
		// Anything but an explicit "keep" dismisses: a zero Policy must
		// not make approvals of old code count for new code.
		return outcome{reason: ReasonStale, perm: perm, detail: fmt.Sprintf(
			"%s approved %s, not the head commit %s; approvals of older commits don't count",
			mention(r.Reviewer), shortSHA(r.CommitID), shortSHA(pr.HeadSHA))}
	}
	return outcome{bucket: bucketCounted, perm: perm, detail: fmt.Sprintf(
		"%s (%s access) approved %s", mention(r.Reviewer), perm, shortSHA(r.CommitID))}
}

// lookupPermission finds a reviewer's role. Logins are case-insensitive,
// so a differently cased key still counts; should several keys fold to the
// same login, the lowest role wins, which keeps the answer deterministic
// and never more generous than the caller meant.
func lookupPermission(perms map[string]Permission, login string) (Permission, bool) {
	if p, ok := perms[login]; ok {
		return p, true
	}
	var (
		best  Permission
		found bool
	)
	for k, p := range perms {
		if strings.EqualFold(k, login) && (!found || p < best) {
			best, found = p, true
		}
	}
	return best, found
}

func describeState(s ReviewState) string {
	switch s {
	case ReviewApproved:
		return "approved"
	case ReviewChangesRequested:
		return "changes requested"
	case ReviewDismissed:
		return "dismissed"
	}
	return strings.ToLower(string(s))
}

// mention renders a login as GitHub mentions it.
func mention(login string) string { return "@" + login }

// shortSHA abbreviates a commit sha as Git does by default.
func shortSHA(sha string) string {
	switch {
	case sha == "":
		return "an unknown commit"
	case len(sha) > 7:
		return sha[:7]
	}
	return sha
}
