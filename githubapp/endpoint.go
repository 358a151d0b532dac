package githubapp

import (
	"net/url"
	"strings"
)

// relativePath returns the request path, still escaped (a branch "a/b" sent
// as "a%2Fb" stays one segment), without the API base path, so github.com and
// GHES report the same endpoints.
func relativePath(u *url.URL, basePath string) string {
	p := u.EscapedPath()
	if basePath != "" {
		if rest, ok := strings.CutPrefix(p, basePath); ok && (rest == "" || rest[0] == '/') {
			p = rest
		}
	}
	if p == "" {
		return "/"
	}
	return p
}

// normalizeEndpoint turns a request path into its endpoint template, such as
// /repos/{owner}/{repo}/pulls/{number}, so that metric labels stay bounded:
// only words from a fixed vocabulary of API words are kept literally;
// every other segment becomes a parameter with a fixed name.
func normalizeEndpoint(path string) string {
	trimmed := strings.Trim(path, "/")
	if trimmed == "" {
		return "/"
	}
	segs := strings.Split(trimmed, "/")
	var b strings.Builder
	var forced []string // parameter names that must come next, whatever the segment says
	prev := ""          // the last literal word, naming the parameter after it
	for i, seg := range segs {
		b.WriteByte('/')
		if len(forced) > 0 {
			b.WriteString("{" + forced[0] + "}")
			forced = forced[1:]
			prev = ""
			continue
		}
		if !isAPIWord(seg) {
			b.WriteString("{" + paramName(prev, seg) + "}")
			prev = ""
			continue
		}
		b.WriteString(seg)
		if name := restParam(seg); name != "" && i+1 < len(segs) {
			// The rest is one value with slashes in it (a file path, a ref).
			b.WriteString("/{" + name + "}")
			break
		}
		forced = forcedParams(seg)
		prev = seg
	}
	return b.String()
}

// forcedParams names the segments that always follow word, even when they
// happen to spell an API word (a repository called "issues").
func forcedParams(word string) []string {
	switch word {
	case "repos":
		return []string{"owner", "repo"}
	case "users", "collaborators", "memberships", "members":
		return []string{"username"}
	case "orgs":
		return []string{"org"}
	case "app-manifests":
		return []string{"code"}
	case "compare":
		return []string{"basehead"}
	case "branches":
		return []string{"branch"}
	case "environments":
		return []string{"environment_name"}
	case "labels":
		return []string{"name"}
	case "teams":
		return []string{"team_slug"}
	}
	return nil
}

// restParam names the value that takes the whole rest of the path after word.
func restParam(word string) string {
	switch word {
	case "contents":
		return "path"
	case "ref", "refs", "matching-refs":
		return "ref"
	}
	return ""
}

// paramName names a non-word segment after the literal word before it,
// falling back to its shape.
func paramName(prev, seg string) string {
	switch prev {
	case "pulls", "issues":
		return "number"
	case "comments":
		return "comment_id"
	case "reviews":
		return "review_id"
	case "check-runs":
		return "check_run_id"
	case "check-suites":
		return "check_suite_id"
	case "deployments":
		return "deployment_id"
	case "commits":
		return "ref"
	case "installations":
		return "installation_id"
	case "repositories":
		return "repository_id"
	case "hooks":
		return "hook_id"
	case "deliveries":
		return "delivery_id"
	case "releases":
		return "release_id"
	case "runs":
		return "run_id"
	case "jobs":
		return "job_id"
	case "workflows":
		return "workflow_id"
	case "milestones":
		return "milestone_number"
	case "tags":
		return "tag"
	case "trees":
		return "tree_sha"
	case "blobs":
		return "file_sha"
	}
	switch {
	case isDigits(seg):
		return "id"
	case isHex(seg) && (len(seg) == 40 || len(seg) == 64):
		return "sha"
	}
	return "param"
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func isHex(s string) bool {
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') && (r < 'A' || r > 'F') {
			return false
		}
	}
	return s != ""
}

// isAPIWord reports whether s is a literal word of the GitHub REST API paths
// Wavegate may call. A word missing here only costs precision (it is reported
// as a parameter), never cardinality.
func isAPIWord(s string) bool {
	switch s {
	case "access_tokens", "actions", "annotations", "app", "app-manifests", "apps",
		"artifacts", "assignees", "blobs", "branches", "check-runs", "check-suites",
		"code", "collaborators", "comments", "commits", "compare", "config", "contents",
		"conversions", "deliveries", "deployment-branch-policies", "deployments",
		"dispatches", "environments", "events", "files", "git", "graphql", "hook",
		"hooks", "installation", "installations", "issues", "jobs", "keys", "labels",
		"latest", "logs", "matching-refs", "members", "memberships", "merge", "merges",
		"meta", "milestones", "orgs", "permission", "permissions", "pings", "protection",
		"pulls", "rate_limit", "reactions", "readme", "ref", "refs", "releases",
		"repos", "repositories", "requested_reviewers", "required_status_checks",
		"rerequest", "rerun", "reviews", "rules", "rulesets", "runs", "search",
		"status", "statuses", "tags", "teams", "timeline", "trees", "user", "users",
		"workflows", "zen":
		return true
	}
	return false
}
