package openapi

import "testing"

func mustLoad(t testing.TB) *Spec {
	t.Helper()
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMatch(t *testing.T) {
	s := mustLoad(t)
	tests := []struct {
		method, path string
		want         string // template; "" when nothing matches
		wantID       string
	}{
		{"GET", "/app", "/app", "apps/get-authenticated"},
		{"get", "/app", "/app", "apps/get-authenticated"},
		{"POST", "/app/installations/42/access_tokens", "/app/installations/{installation_id}/access_tokens", "apps/create-installation-access-token"},
		{"GET", "/repos/acme/api", "/repos/{owner}/{repo}", "repos/get"},
		{"POST", "/repos/acme/api/check-runs", "/repos/{owner}/{repo}/check-runs", "checks/create"},
		{"PATCH", "/repos/acme/api/check-runs/42", "/repos/{owner}/{repo}/check-runs/{check_run_id}", "checks/update"},
		{"GET", "/repos/acme/api/commits/abc123/check-runs", "/repos/{owner}/{repo}/commits/{ref}/check-runs", "checks/list-for-ref"},
		{"GET", "/repos/acme/api/commits/abc123/pulls", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls", "repos/list-pull-requests-associated-with-commit"},
		{"GET", "/repos/acme/api/commits/abc123", "/repos/{owner}/{repo}/commits/{ref}", "repos/get-commit"},
		{"GET", "/repos/acme/api/compare/main...feature", "/repos/{owner}/{repo}/compare/{basehead}", "repos/compare-commits-with-basehead"},

		// A literal segment beats a parameter in the same place.
		{"GET", "/repos/acme/api/issues/comments/7", "/repos/{owner}/{repo}/issues/comments/{comment_id}", "issues/get-comment"},
		{"GET", "/repos/acme/api/issues/7/comments", "/repos/{owner}/{repo}/issues/{issue_number}/comments", "issues/list-comments"},
		{"GET", "/repos/acme/api/issues/comments/comments", "/repos/{owner}/{repo}/issues/comments/{comment_id}", "issues/get-comment"},
		{"DELETE", "/repos/acme/api/issues/comments/7", "/repos/{owner}/{repo}/issues/comments/{comment_id}", "issues/delete-comment"},
		{"POST", "/repos/acme/api/issues/comments/7/reactions", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", "reactions/create-for-issue-comment"},
		// A parameter may look like a literal elsewhere.
		{"GET", "/repos/app/check-runs", "/repos/{owner}/{repo}", "repos/get"},

		// One trailing slash, a query and a fragment are ignored.
		{"GET", "/repos/acme/api/", "/repos/{owner}/{repo}", "repos/get"},
		{"GET", "/repos/acme/api/pulls?state=open&per_page=100", "/repos/{owner}/{repo}/pulls", "pulls/list"},
		{"GET", "/repos/acme/api/pulls/?page=2", "/repos/{owner}/{repo}/pulls", "pulls/list"},
		{"GET", "/repos/acme/api/pulls#top", "/repos/{owner}/{repo}/pulls", "pulls/list"},
		{"GET", "/repos/acme/api//", "", ""},

		// {path} in contents takes the rest, slashes and all.
		{"GET", "/repos/acme/api/contents/README.md", "/repos/{owner}/{repo}/contents/{path}", "repos/get-content"},
		{"GET", "/repos/acme/api/contents/.github/wavegate.yml?ref=main", "/repos/{owner}/{repo}/contents/{path}", "repos/get-content"},
		{"GET", "/repos/acme/api/contents/a/b/c/d.txt", "/repos/{owner}/{repo}/contents/{path}", "repos/get-content"},
		{"GET", "/repos/acme/api/contents/a%2Fb", "/repos/{owner}/{repo}/contents/{path}", "repos/get-content"},
		{"GET", "/repos/acme/api/contents", "", ""},
		{"GET", "/repos/acme/api/contents/", "", ""},
		{"GET", "/repos/acme/api/contents/a//b", "", ""},

		// Unknown: wrong method, path, or shape.
		{"POST", "/app", "", ""},
		{"PUT", "/repos/acme/api/check-runs/42", "", ""},
		{"GET", "/repos/acme/api/check-runs/42/annotations", "", ""},
		{"GET", "/repos/acme", "", ""},
		{"GET", "/repos//api", "", ""},
		{"GET", "/", "", ""},
		{"GET", "", "", ""},
		{"GET", "app", "", ""},
		{"GET", "/APP", "", ""},
		{"BREW", "/app", "", ""},
		{"GET", "/orgs/acme/teams/sre/memberships/octocat", "/orgs/{org}/teams/{team_slug}/memberships/{username}", "teams/get-membership-for-user-in-org"},
	}
	for _, tt := range tests {
		op, tmpl, ok := s.Match(tt.method, tt.path)
		if tt.want == "" {
			if ok {
				t.Errorf("Match(%q, %q) = %q, want no match", tt.method, tt.path, tmpl)
			}
			continue
		}
		if !ok || tmpl != tt.want {
			t.Errorf("Match(%q, %q) = %q, %v; want %q", tt.method, tt.path, tmpl, ok, tt.want)
			continue
		}
		if op.ID != tt.wantID || op.Template != tmpl {
			t.Errorf("Match(%q, %q): op %s %s (%s), want %s", tt.method, tt.path, op.Method, op.Template, op.ID, tt.wantID)
		}
	}
}

// Every operation must be reachable through Match with its own template
// filled in, or two templates shadow each other.
func TestMatchReachesEveryOperation(t *testing.T) {
	s := mustLoad(t)
	for _, key := range s.Operations() {
		want := s.ops[key]
		path := fillTemplate(want.Template)
		op, _, ok := s.Match(want.Method, path)
		if !ok || op != want {
			t.Errorf("%s: Match(%q) did not find it", key, path)
		}
	}
}

// fillTemplate replaces each {param} with a value no literal segment uses.
func fillTemplate(tmpl string) string {
	out := []byte{}
	in := false
	for i := 0; i < len(tmpl); i++ {
		switch c := tmpl[i]; {
		case c == '{':
			in = true
			out = append(out, 'x', '1')
		case c == '}':
			in = false
		case !in:
			out = append(out, c)
		}
	}
	return string(out)
}
