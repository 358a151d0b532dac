package checks

// Conclusion is the check run's conclusion, spelled as GitHub spells it.
type Conclusion string

// Conclusions the review gate reaches.
const (
	ConclusionSuccess Conclusion = "success"
	ConclusionFailure Conclusion = "failure"
	// ConclusionNeutral: not evaluated (a draft). Branch protection treats
	// neutral as passing; that is safe only because GitHub refuses to merge a
	// draft and the gate is evaluated again on ready_for_review.
	ConclusionNeutral Conclusion = "neutral"
)

// Result is the review gate's verdict with everything that led to it.
type Result struct {
	Conclusion Conclusion
	// Title is one line for the check run's title, e.g.
	// "1 of 1 approvals · 3 of 4 checklist items".
	Title     string
	Approvals ApprovalsResult
	Checklist ChecklistResult
	// Missing lists, in order, what still has to happen for the gate to pass,
	// each a sentence that says how; empty when it passes.
	Missing []string
}

// ApprovalsResult accounts for every review given: each input review is in
// exactly one of Counted, NotCounted or Blocking, each list in review order
// (SubmittedAt, then ID).
type ApprovalsResult struct {
	// Required is the number of approvals needed.
	Required   int
	Counted    []CountedReview
	NotCounted []IgnoredReview
	// Blocking are changes requested by eligible reviewers; any one fails
	// the gate until that reviewer approves or the review is dismissed.
	Blocking []IgnoredReview
}

// Satisfied reports whether enough approvals counted and nothing blocks.
func (a ApprovalsResult) Satisfied() bool {
	return len(a.Counted) >= a.Required && len(a.Blocking) == 0
}

// CountedReview is an approval that counts toward Required.
type CountedReview struct {
	Review Review
	// Permission is the reviewer's role, which made the approval eligible.
	Permission Permission
	Detail     string
}

// IgnoredReview is a review that does not count as an approval, or (in
// Blocking) one that blocks; Reason says which rule applied and Detail says
// it in a sentence.
type IgnoredReview struct {
	Review Review
	Reason ReasonCode
	Detail string
}

// ReasonCode names the rule that put a review where it is.
type ReasonCode string

// Reasons a review does not count (or, for ReasonChangesRequested, blocks).
const (
	// ReasonAuthor: the pull request's author reviewed their own change.
	ReasonAuthor ReasonCode = "author"
	// ReasonStale: an approval given on an older head commit, with
	// stale_approvals: dismiss.
	ReasonStale ReasonCode = "stale"
	// ReasonPermission: the reviewer's role is below approver_permission.
	ReasonPermission ReasonCode = "permission"
	// ReasonSuperseded: the same reviewer later approved, requested changes
	// or had a review dismissed.
	ReasonSuperseded ReasonCode = "superseded"
	// ReasonDismissed: the review was dismissed.
	ReasonDismissed ReasonCode = "dismissed"
	// ReasonDeletedUser: the reviewer's account no longer exists, so who
	// reviewed cannot be established.
	ReasonDeletedUser ReasonCode = "deleted-user"
	// ReasonCommented: a comment-only review, which neither approves nor
	// changes the reviewer's earlier stance.
	ReasonCommented ReasonCode = "commented"
	// ReasonUnknownPermission: the caller could not tell the reviewer's
	// role; treated as no permission.
	ReasonUnknownPermission ReasonCode = "unknown-permission"
	// ReasonPending: a review started but not submitted.
	ReasonPending ReasonCode = "pending"
	// ReasonUnknownState: a review state this package does not know; like a
	// comment, it does not change the reviewer's stance.
	ReasonUnknownState ReasonCode = "unknown-state"
	// ReasonNotBlocking: changes requested by an eligible reviewer, with
	// block_on_changes_requested off.
	ReasonNotBlocking ReasonCode = "not-blocking"
	// ReasonChangesRequested: changes requested by an eligible reviewer,
	// which block (only found in ApprovalsResult.Blocking).
	ReasonChangesRequested ReasonCode = "changes-requested"
)

// ChecklistResult is the state of the deployment-safety checklist.
type ChecklistResult struct {
	// Required is false when no checklist is configured or the pull request
	// touches only checklist_skip_paths; Items are still reported then.
	Required bool
	// SkipReason says why the checklist is not required, e.g.
	// "only docs/** changed"; empty when Required.
	SkipReason string
	// Items are the configured items, in configuration order.
	Items []ChecklistItem
}

// Ticked counts the items ticked in the description.
func (c ChecklistResult) Ticked() int {
	n := 0
	for _, it := range c.Items {
		if it.State == ItemTicked {
			n++
		}
	}
	return n
}

// Satisfied reports whether the checklist does not hold the gate.
func (c ChecklistResult) Satisfied() bool {
	return !c.Required || c.Ticked() == len(c.Items)
}

// ItemState is where a checklist item stands in the description.
type ItemState string

// Checklist item states.
const (
	ItemTicked   ItemState = "ticked"   // "- [x] item"
	ItemUnticked ItemState = "unticked" // "- [ ] item"
	ItemMissing  ItemState = "missing"  // not in the description (outside code and comments)
)

// ChecklistItem is one configured item and where it was found.
type ChecklistItem struct {
	// Text is the item as configured.
	Text  string
	State ItemState
	// Line is the 1-based line of the description the item's state was
	// read from; 0 when missing.
	Line int
}
