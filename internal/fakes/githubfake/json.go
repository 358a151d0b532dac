package githubfake

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Server) apiURL(path string) string { return s.srv.URL + path }

// stamp formats a time as GitHub does; the zero time is JSON null.
func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// orNull turns "" into JSON null for the many nullable strings.
func orNull(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func itoa(n int) string { return strconv.Itoa(n) }

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// userID gives every login a stable id, so the same person is recognisably
// the same across reviews, comments and permissions.
func (s *Server) userID(login string) int64 { return s.stableID("user", login) }

// stableID is the id of a thing the fake does not otherwise store, such as a
// user or a check suite, the same each time it is asked for.
func (s *Server) stableID(kind, key string) int64 {
	k := kind + ":" + strings.ToLower(key)
	if id, ok := s.stableIDs[k]; ok {
		return id
	}
	id := s.newID()
	s.stableIDs[k] = id
	return id
}

func (s *Server) botLogin() string { return s.app.Slug + "[bot]" }

// userJSON is GitHub's simple-user; "" is the deleted user, JSON null.
func (s *Server) userJSON(login string) map[string]any {
	if login == "" {
		return nil
	}
	kind := "User"
	if strings.HasSuffix(login, "[bot]") {
		kind = "Bot"
	}
	return s.accountJSON(login, kind)
}

func (s *Server) orgJSON(login string) map[string]any { return s.accountJSON(login, "Organization") }

func (s *Server) accountJSON(login, kind string) map[string]any {
	id := s.userID(login)
	u := s.apiURL("/users/" + login)
	return map[string]any{
		"login":               login,
		"id":                  id,
		"node_id":             fmt.Sprintf("U_fake%d", id),
		"avatar_url":          fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id),
		"gravatar_id":         "",
		"url":                 u,
		"html_url":            "https://github.com/" + login,
		"followers_url":       u + "/followers",
		"following_url":       u + "/following{/other_user}",
		"gists_url":           u + "/gists{/gist_id}",
		"starred_url":         u + "/starred{/owner}{/repo}",
		"subscriptions_url":   u + "/subscriptions",
		"organizations_url":   u + "/orgs",
		"repos_url":           u + "/repos",
		"events_url":          u + "/events{/privacy}",
		"received_events_url": u + "/received_events",
		"type":                kind,
		"site_admin":          false,
		"user_view_type":      "public",
	}
}
