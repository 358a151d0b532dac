package web

import "net/http"

// canRead says whether the person asking may see repository's pipelines.
// Every page that names a repository asks it, so that sign-in decides in
// one place; until sign-in exists only --ui-public serves anything.
func (p *Pages) canRead(r *http.Request, repository string) bool {
	_ = r
	_ = repository
	return p.cfg.Public
}

// viewerLogin is the signed-in GitHub login, or "" for nobody.
func (p *Pages) viewerLogin(r *http.Request) string {
	_ = r
	return ""
}
