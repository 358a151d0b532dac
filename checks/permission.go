package checks

import "fmt"

// String returns the role as GitHub spells it ("write"), or "none".
func (p Permission) String() string {
	switch p {
	case PermissionNone:
		return "none"
	case PermissionRead:
		return "read"
	case PermissionTriage:
		return "triage"
	case PermissionWrite:
		return "write"
	case PermissionMaintain:
		return "maintain"
	case PermissionAdmin:
		return "admin"
	}
	return fmt.Sprintf("Permission(%d)", int(p))
}

// ParsePermission reads approver_permission. It is strict (lower case, no
// "none") because a typo in a gate's configuration must be reported, not
// guessed at: "none" would let anyone approve.
func ParsePermission(s string) (Permission, error) {
	switch s {
	case "read":
		return PermissionRead, nil
	case "triage":
		return PermissionTriage, nil
	case "write":
		return PermissionWrite, nil
	case "maintain":
		return PermissionMaintain, nil
	case "admin":
		return PermissionAdmin, nil
	}
	return PermissionNone, fmt.Errorf("unknown permission %q: want read, triage, write, maintain or admin", s)
}
