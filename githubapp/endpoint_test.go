package githubapp

import (
	"net/url"
	"testing"
)

func TestNormalizeEndpoint(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/", "/"},
		{"", "/"},
		{"/app", "/app"},
		{"/app/installations/123/access_tokens", "/app/installations/{installation_id}/access_tokens"},
		{"/repos/octo/hello-world", "/repos/{owner}/{repo}"},
		{"/repos/octo/hello-world/pulls/42", "/repos/{owner}/{repo}/pulls/{number}"},
		{"/repos/octo/hello-world/pulls/42/reviews", "/repos/{owner}/{repo}/pulls/{number}/reviews"},
		{"/repos/octo/hello-world/pulls/comments/7", "/repos/{owner}/{repo}/pulls/comments/{comment_id}"},
		{"/repos/octo/hello-world/issues/42/comments", "/repos/{owner}/{repo}/issues/{number}/comments"},
		{"/repos/octo/hello-world/issues/comments/99", "/repos/{owner}/{repo}/issues/comments/{comment_id}"},
		// A repository named like an API word is still a parameter.
		{"/repos/issues/pulls/pulls/1", "/repos/{owner}/{repo}/pulls/{number}"},
		{"/repos/o/r/check-runs/555", "/repos/{owner}/{repo}/check-runs/{check_run_id}"},
		{"/repos/o/r/commits/0123456789abcdef0123456789abcdef01234567/check-runs", "/repos/{owner}/{repo}/commits/{ref}/check-runs"},
		{"/repos/o/r/commits/main/status", "/repos/{owner}/{repo}/commits/{ref}/status"},
		{"/repos/o/r/statuses/0123456789abcdef0123456789abcdef01234567", "/repos/{owner}/{repo}/statuses/{sha}"},
		{"/repos/o/r/deployments/9/statuses", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"},
		{"/repos/o/r/contents/.github/wavegate.yml", "/repos/{owner}/{repo}/contents/{path}"},
		{"/repos/o/r/git/ref/heads/feature/x", "/repos/{owner}/{repo}/git/ref/{ref}"},
		{"/repos/o/r/git/refs", "/repos/{owner}/{repo}/git/refs"},
		{"/repos/o/r/branches/feature%2Fx/protection", "/repos/{owner}/{repo}/branches/{branch}/protection"},
		{"/repos/o/r/compare/main...feature", "/repos/{owner}/{repo}/compare/{basehead}"},
		{"/repos/o/r/collaborators/alice/permission", "/repos/{owner}/{repo}/collaborators/{username}/permission"},
		{"/repos/o/r/environments/prod-us-west-2a", "/repos/{owner}/{repo}/environments/{environment_name}"},
		{"/orgs/acme/teams/sre/memberships/bob", "/orgs/{org}/teams/{team_slug}/memberships/{username}"},
		{"/users/octocat", "/users/{username}"},
		{"/app-manifests/abc123def/conversions", "/app-manifests/{code}/conversions"},
		{"/installation/repositories", "/installation/repositories"},
		{"/search/issues", "/search/issues"},
		// Unknown words never leak into labels.
		{"/some-user-data/77/xyz", "/{param}/{id}/{param}"},
	}
	for _, tt := range tests {
		if got := normalizeEndpoint(tt.path); got != tt.want {
			t.Errorf("normalizeEndpoint(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestRelativePath(t *testing.T) {
	tests := []struct{ url, base, want string }{
		{"https://api.github.com/repos/o/r", "", "/repos/o/r"},
		{"https://ghe.example.com/api/v3/repos/o/r", "/api/v3", "/repos/o/r"},
		{"https://ghe.example.com/api/v3", "/api/v3", "/"},
		// Only whole segments are a prefix.
		{"https://ghe.example.com/api/v3x/repos", "/api/v3", "/api/v3x/repos"},
		{"https://ghe.example.com/repos/o/r/branches/a%2Fb", "", "/repos/o/r/branches/a%2Fb"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := relativePath(u, tt.base); got != tt.want {
			t.Errorf("relativePath(%q, %q) = %q, want %q", tt.url, tt.base, got, tt.want)
		}
	}
}
