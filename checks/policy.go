package checks

// Permission is a repository role, ordered from least to most.
type Permission int

// Repository roles as GitHub names them in role_name.
const (
	PermissionNone Permission = iota
	PermissionRead
	PermissionTriage
	PermissionWrite
	PermissionMaintain
	PermissionAdmin
)

// StaleApprovals says whether approvals of an older head commit count.
type StaleApprovals string

const (
	// StaleDismiss: an approval counts only for the head commit it was given on.
	StaleDismiss StaleApprovals = "dismiss"
	// StaleKeep: an approval keeps counting after new pushes.
	StaleKeep StaleApprovals = "keep"
)

// Policy is the review gate's configuration: the `review:` section of
// .github/wavegate.yml, after organization defaults and defaults are applied.
type Policy struct {
	// Approvals is how many approving reviews from people other than the
	// author are needed.
	Approvals int
	// ApproverPermission is the least role whose approval counts.
	ApproverPermission Permission
	StaleApprovals     StaleApprovals
	// Checklist items must each be ticked ("- [x] item") in the description.
	Checklist []string
	// ChecklistSkipPaths: a pull request touching only these globs needs no checklist.
	ChecklistSkipPaths []string
	// BlockOnChangesRequested: changes requested by an eligible reviewer
	// block until that reviewer approves or the review is dismissed.
	BlockOnChangesRequested bool
}

// DefaultPolicy is what applies when no configuration says otherwise.
func DefaultPolicy() Policy {
	return Policy{
		Approvals:               1,
		ApproverPermission:      PermissionWrite,
		StaleApprovals:          StaleDismiss,
		BlockOnChangesRequested: true,
	}
}
