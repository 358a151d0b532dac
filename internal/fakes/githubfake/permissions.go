package githubfake

import (
	"net/http"
	"strings"
)

// roleRank orders the roles: each grants what the ones below it grant.
func roleRank(role string) int {
	switch role {
	case "read":
		return 1
	case "triage":
		return 2
	case "write":
		return 3
	case "maintain":
		return 4
	case "admin":
		return 5
	}
	return 0
}

// legacyPermission folds a role into the old permission field, which knows
// only admin, write and read: maintain reads as write and triage as read.
func legacyPermission(role string) string {
	switch role {
	case "admin":
		return "admin"
	case "maintain", "write":
		return "write"
	case "triage", "read":
		return "read"
	}
	return "none"
}

// SetPermission makes user a collaborator of the repository with role (read,
// triage, write, maintain or admin); "" removes them.
func (s *Server) SetPermission(fullName, user, role string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(fullName)
	if role == "" {
		delete(r.perms, strings.ToLower(user))
		return
	}
	if roleRank(role) == 0 {
		s.t.Fatalf("githubfake: SetPermission: unknown role %q", role)
	}
	r.perms[strings.ToLower(user)] = role
}

func (s *Server) getPermission(x *exchange) {
	login := x.r.PathValue("username")
	role, ok := x.repo.perms[strings.ToLower(login)]
	if !ok {
		x.fail(http.StatusNotFound, "Not Found")
		return
	}
	rank := roleRank(role)
	user := s.userJSON(login)
	user["permissions"] = map[string]bool{
		"pull": rank >= 1, "triage": rank >= 2, "push": rank >= 3, "maintain": rank >= 4, "admin": rank >= 5,
	}
	user["role_name"] = role
	x.reply(http.StatusOK, map[string]any{
		"permission": legacyPermission(role),
		"role_name":  role,
		"user":       user,
	})
}
