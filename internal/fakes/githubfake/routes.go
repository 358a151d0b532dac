package githubfake

import (
	"net/http"
	"strings"
)

type authKind int

const (
	authNone         authKind = iota
	authJWT                   // the App itself, with a JWT
	authInstallation          // an installation token (ghs_...)
	authUser                  // a user access token (ghu_...)
)

// route is one served operation. template is the OpenAPI path template, which
// is what requests are recorded and counted under; ROUTES.txt lists the same.
type route struct {
	method   string
	template string
	auth     authKind
	h        func(*exchange)
	// first puts the route in the mux tried first; see Server.muxes.
	first bool
}

// TokenTemplate is the route that mints installation tokens; tests that count
// "API calls" usually leave it out with CountExcept(TokenTemplate).
const TokenTemplate = "/app/installations/{installation_id}/access_tokens"

func (s *Server) routeTable() []route {
	const r = "/repos/{owner}/{repo}"
	return []route{
		{method: "GET", template: "/app", auth: authJWT, h: s.getApp},
		{method: "GET", template: "/app/installations", auth: authJWT, h: s.listInstallations},
		{method: "GET", template: "/app/installations/{installation_id}", auth: authJWT, h: s.getInstallation},
		{method: "POST", template: TokenTemplate, auth: authJWT, h: s.createToken},
		{method: "POST", template: "/app-manifests/{code}/conversions", auth: authNone, h: s.convertManifest},

		{method: "GET", template: r, auth: authInstallation, h: s.getRepo},
		{method: "GET", template: r + "/contents/{path}", auth: authInstallation, h: s.getContents},

		{method: "GET", template: r + "/pulls", auth: authInstallation, h: s.listPulls},
		{method: "GET", template: r + "/pulls/{pull_number}", auth: authInstallation, h: s.getPull},
		{method: "GET", template: r + "/pulls/{pull_number}/files", auth: authInstallation, h: s.listPullFiles},
		{method: "GET", template: r + "/pulls/{pull_number}/reviews", auth: authInstallation, h: s.listReviews},
		{method: "GET", template: r + "/commits/{commit_sha}/pulls", auth: authInstallation, h: s.listCommitPulls},

		{method: "GET", template: r + "/collaborators/{username}/permission", auth: authInstallation, h: s.getPermission},
		{method: "GET", template: "/orgs/{org}/teams/{team_slug}/memberships/{username}", auth: authInstallation, h: s.getTeamMembership},
		{method: "GET", template: "/orgs/{org}/memberships/{username}", auth: authInstallation, h: s.getOrgMembership},

		{method: "POST", template: r + "/check-runs", auth: authInstallation, h: s.createCheckRun},
		{method: "GET", template: r + "/check-runs/{check_run_id}", auth: authInstallation, h: s.getCheckRun},
		{method: "PATCH", template: r + "/check-runs/{check_run_id}", auth: authInstallation, h: s.updateCheckRun},
		{method: "GET", template: r + "/commits/{ref}/check-runs", auth: authInstallation, h: s.listCheckRunsForRef},

		{method: "GET", template: r + "/deployments", auth: authInstallation, h: s.listDeployments},
		{method: "POST", template: r + "/deployments", auth: authInstallation, h: s.createDeployment},
		{method: "GET", template: r + "/deployments/{deployment_id}", auth: authInstallation, h: s.getDeployment},
		{method: "GET", template: r + "/deployments/{deployment_id}/statuses", auth: authInstallation, h: s.listDeploymentStatuses},
		{method: "POST", template: r + "/deployments/{deployment_id}/statuses", auth: authInstallation, h: s.createDeploymentStatus},

		{method: "GET", template: r + "/issues/{issue_number}/comments", auth: authInstallation, h: s.listComments},
		{method: "POST", template: r + "/issues/{issue_number}/comments", auth: authInstallation, h: s.createComment},
		{method: "GET", template: r + "/issues/comments/{comment_id}", auth: authInstallation, h: s.getComment, first: true},
		{method: "PATCH", template: r + "/issues/comments/{comment_id}", auth: authInstallation, h: s.updateComment, first: true},
		{method: "DELETE", template: r + "/issues/comments/{comment_id}", auth: authInstallation, h: s.deleteComment, first: true},
		{method: "POST", template: r + "/issues/comments/{comment_id}/reactions", auth: authInstallation, h: s.createReaction, first: true},

		{method: "GET", template: "/user", auth: authUser, h: s.getUser},
		{method: "GET", template: "/user/installations", auth: authUser, h: s.listUserInstallations},
		{method: "GET", template: "/user/installations/{installation_id}/repositories", auth: authUser, h: s.listUserInstallationRepos},

		{method: "GET", template: r + "/commits/{ref}", auth: authInstallation, h: s.getCommit},
		{method: "GET", template: r + "/compare/{basehead}", auth: authInstallation, h: s.compare},
	}
}

func (s *Server) routes() []*http.ServeMux {
	first, rest := http.NewServeMux(), http.NewServeMux()
	for _, rt := range s.routeTable() {
		m := rest
		if rt.first {
			m = first
		}
		m.HandleFunc(rt.method+" "+muxPath(rt.template), s.serve(rt))
	}
	s.oauthRoutes(rest)
	return []*http.ServeMux{first, rest}
}

// muxPath turns an OpenAPI template into a ServeMux pattern: a file path spans
// several segments.
func muxPath(template string) string {
	if strings.HasSuffix(template, "/{path}") {
		return strings.TrimSuffix(template, "}") + "...}"
	}
	return template
}

func (s *Server) serve(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		x := w.(*exchange)
		x.template = rt.template
		if s.injectFault(x) {
			return
		}
		switch rt.auth {
		case authJWT:
			if x.ident.kind != authJWT {
				x.fail(http.StatusUnauthorized, x.ident.problem("A JSON web token could not be decoded"))
				return
			}
		case authUser:
			if x.ident.kind != authUser {
				x.fail(http.StatusUnauthorized, x.ident.problem("Bad credentials"))
				return
			}
		case authInstallation:
			if x.ident.kind != authInstallation {
				x.fail(http.StatusUnauthorized, x.ident.problem("Bad credentials"))
				return
			}
			if r.PathValue("owner") != "" && !s.bindRepo(x) {
				x.fail(http.StatusNotFound, "Not Found")
				return
			}
		}
		if s.rateLimited(x) {
			return
		}
		rt.h(x)
	}
}
