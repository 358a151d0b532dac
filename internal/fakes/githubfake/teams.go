package githubfake

import (
	"net/http"
	"strings"
)

func teamKey(org, team, user string) string {
	return strings.ToLower(org + "/" + team + "/" + user)
}

// SetTeamMember makes user an active member of the team, with role "member"
// or "maintainer"; "" removes them.
func (s *Server) SetTeamMember(org, teamSlug, user, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if role == "" {
		delete(s.teams, teamKey(org, teamSlug, user))
		return
	}
	s.teams[teamKey(org, teamSlug, user)] = role
}

func (s *Server) getTeamMembership(x *exchange) {
	org, team, user := x.r.PathValue("org"), x.r.PathValue("team_slug"), x.r.PathValue("username")
	role, ok := s.teams[teamKey(org, team, user)]
	if !ok {
		x.fail(http.StatusNotFound, "Not Found")
		return
	}
	x.reply(http.StatusOK, map[string]any{
		"url":   s.apiURL("/orgs/" + org + "/teams/" + team + "/memberships/" + user),
		"role":  role,
		"state": "active",
	})
}

func orgKey(org, user string) string { return "org:" + strings.ToLower(org+"/"+user) }

// SetOrgMember makes user an active member of org with role "admin" (an
// owner) or "member"; "" removes them.
func (s *Server) SetOrgMember(org, user, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if role == "" {
		delete(s.teams, orgKey(org, user))
		return
	}
	s.teams[orgKey(org, user)] = role
}

func (s *Server) getOrgMembership(x *exchange) {
	org, user := x.r.PathValue("org"), x.r.PathValue("username")
	role, ok := s.teams[orgKey(org, user)]
	if !ok {
		x.fail(http.StatusNotFound, "Not Found")
		return
	}
	x.reply(http.StatusOK, map[string]any{
		"url":              s.apiURL("/orgs/" + org + "/memberships/" + user),
		"state":            "active",
		"role":             role,
		"organization_url": s.apiURL("/orgs/" + org),
		"organization":     map[string]any{"login": org},
		"user":             s.userJSON(user),
	})
}
