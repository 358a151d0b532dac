package githubfake

import (
	"crypto/rand"
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The OAuth web flow a GitHub App's users sign in with: GitHub's pages at
// /login/oauth/*, which are not part of the REST API (so the OpenAPI check
// exempts them), and the /user endpoints a user access token reads.

// DefaultClientSecret is the App's OAuth client secret until SetOAuthClient
// changes it; the client id is App.ClientID.
const DefaultClientSecret = "fake-client-secret"

// userTokenLifetime is GitHub's for user access tokens that expire.
const userTokenLifetime = 8 * time.Hour

type oauthCode struct {
	login, clientID, redirectURI string
	expires                      time.Time
}

type userToken struct {
	login   string
	expires time.Time
}

// AddUser seeds a GitHub user who can sign in through the fake's authorize
// page. Each repository named gets the read role unless the user already has
// one; what the user can read is every repository where SetPermission gave
// them a role.
func (s *Server) AddUser(login string, repos ...string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.users, login) {
		s.users = append(s.users, login)
	}
	for _, name := range repos {
		r := s.repo(name)
		if _, ok := r.perms[strings.ToLower(login)]; !ok {
			r.perms[strings.ToLower(login)] = "read"
		}
	}
}

// SelectUser makes a plain GET of the authorize page sign login in at once,
// redirecting straight back with a code, as GitHub does for a user who
// already authorized the App; "" shows the page of buttons again.
func (s *Server) SelectUser(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.selectedUser = login
}

// SetOAuthClient sets the client secret the token exchange requires.
func (s *Server) SetOAuthClient(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clientSecret = secret
}

// OAuthClient is the App's client id and secret, for a test's configuration.
func (s *Server) OAuthClient() (id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.ClientID, s.clientSecret
}

// UserToken mints a user access token without a request, for tests that
// need a signed-in user's token only.
func (s *Server) UserToken(login string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mintUserToken(login)
}

func (s *Server) mintUserToken(login string) string {
	tok := "ghu_" + strings.ReplaceAll(rand.Text()+rand.Text(), "=", "")[:36]
	s.userTokens[tok] = &userToken{login: login, expires: time.Now().Add(userTokenLifetime)}
	return tok
}

// oauthRoutes are served beside the REST routes, recorded under their path so
// tests can count them.
func (s *Server) oauthRoutes(m *http.ServeMux) {
	for _, rt := range []struct {
		method, path string
		h            func(*exchange)
	}{
		{"GET", "/login/oauth/authorize", s.authorizePage},
		{"POST", "/login/oauth/authorize", s.authorizeAs},
		{"POST", "/login/oauth/access_token", s.exchangeCode},
	} {
		m.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) {
			x := w.(*exchange)
			x.template = rt.path
			if s.injectFault(x) {
				return
			}
			rt.h(x)
		})
	}
}

var authorizeTmpl = template.Must(template.New("authorize").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to GitHub (fake)</title></head>
<body><h1>Authorize {{.App}}</h1>
{{range .Users}}<form method="post" action="/login/oauth/authorize">
<input type="hidden" name="client_id" value="{{$.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{$.RedirectURI}}">
<input type="hidden" name="state" value="{{$.State}}">
<input type="hidden" name="login" value="{{.}}">
<button type="submit">Sign in as {{.}}</button>
</form>
{{else}}<p>No users: the test seeds them with AddUser.</p>{{end}}
</body></html>
`))

func (s *Server) authorizePage(x *exchange) {
	q := x.r.URL.Query()
	if q.Get("client_id") != s.app.ClientID {
		x.header.Set("Content-Type", "text/plain; charset=utf-8")
		x.WriteHeader(http.StatusNotFound)
		x.out.WriteString("no App has this client_id\n")
		return
	}
	if s.selectedUser != "" {
		s.redirectWithCode(x, s.selectedUser, q.Get("redirect_uri"), q.Get("state"))
		return
	}
	x.header.Set("Content-Type", "text/html; charset=utf-8")
	x.WriteHeader(http.StatusOK)
	_ = authorizeTmpl.Execute(&x.out, map[string]any{
		"App": s.app.Name, "Users": s.users, "ClientID": s.app.ClientID,
		"RedirectURI": q.Get("redirect_uri"), "State": q.Get("state"),
	})
}

func (s *Server) authorizeAs(x *exchange) {
	form, err := url.ParseQuery(string(x.body))
	if err != nil || form.Get("client_id") != s.app.ClientID || !slices.Contains(s.users, form.Get("login")) {
		x.header.Set("Content-Type", "text/plain; charset=utf-8")
		x.WriteHeader(http.StatusBadRequest)
		x.out.WriteString("unknown client_id or login\n")
		return
	}
	s.redirectWithCode(x, form.Get("login"), form.Get("redirect_uri"), form.Get("state"))
}

func (s *Server) redirectWithCode(x *exchange, login, redirectURI, state string) {
	u, err := url.Parse(redirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		x.header.Set("Content-Type", "text/plain; charset=utf-8")
		x.WriteHeader(http.StatusBadRequest)
		x.out.WriteString("redirect_uri must be an absolute http(s) URL\n")
		return
	}
	code := strings.ToLower(strings.ReplaceAll(rand.Text(), "=", ""))[:20]
	s.oauthCodes[code] = &oauthCode{login: login, clientID: s.app.ClientID, redirectURI: redirectURI,
		expires: time.Now().Add(10 * time.Minute)}
	q := u.Query()
	q.Set("code", code)
	q.Set("state", state)
	u.RawQuery = q.Encode()
	x.header.Set("Location", u.String())
	x.WriteHeader(http.StatusFound)
}

// exchangeCode answers as GitHub does: 200 even for a refused code, with an
// error field, and JSON only when asked for it.
func (s *Server) exchangeCode(x *exchange) {
	form, err := url.ParseQuery(string(x.body))
	if err != nil {
		form = url.Values{}
	}
	for k, v := range x.r.URL.Query() {
		if form.Get(k) == "" {
			form[k] = v
		}
	}
	answer := func(v map[string]any) {
		if !strings.Contains(x.r.Header.Get("Accept"), "application/json") {
			vals := url.Values{}
			for k, val := range v {
				vals.Set(k, toString(val))
			}
			x.header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			x.WriteHeader(http.StatusOK)
			x.out.WriteString(vals.Encode())
			return
		}
		x.reply(http.StatusOK, v)
	}
	if form.Get("client_id") != s.app.ClientID ||
		subtle.ConstantTimeCompare([]byte(form.Get("client_secret")), []byte(s.clientSecret)) != 1 {
		answer(map[string]any{"error": "incorrect_client_credentials",
			"error_description": "The client_id and/or client_secret passed are incorrect."})
		return
	}
	c, ok := s.oauthCodes[form.Get("code")]
	delete(s.oauthCodes, form.Get("code"))
	if !ok || !time.Now().Before(c.expires) || c.clientID != form.Get("client_id") ||
		(form.Get("redirect_uri") != "" && form.Get("redirect_uri") != c.redirectURI) {
		answer(map[string]any{"error": "bad_verification_code",
			"error_description": "The code passed is incorrect or expired."})
		return
	}
	answer(map[string]any{
		"access_token": s.mintUserToken(c.login), "expires_in": int(userTokenLifetime.Seconds()),
		"refresh_token": "ghr_" + strings.ReplaceAll(rand.Text(), "=", ""), "refresh_token_expires_in": 15811200,
		"scope": "", "token_type": "bearer",
	})
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return itoa(v)
	}
	return ""
}

// readable is every repository login has a role on, by installation.
func (s *Server) readable(login string) map[int64][]*repo {
	out := map[int64][]*repo{}
	for _, name := range sortedKeys(s.repos) {
		r := s.repos[name]
		if _, ok := r.perms[strings.ToLower(login)]; ok {
			out[r.installation] = append(out[r.installation], r)
		}
	}
	return out
}

func (s *Server) getUser(x *exchange) {
	u := s.userJSON(x.ident.user)
	u["name"] = x.ident.user
	x.reply(http.StatusOK, u)
}

func (s *Server) listUserInstallations(x *exchange) {
	by := s.readable(x.ident.user)
	ids := sortedKeys(by)
	page, ok := x.paginate(len(ids))
	if !ok {
		return
	}
	list := []any{}
	for _, id := range ids[page.lo:page.hi] {
		list = append(list, s.installationJSON(s.installs[id]))
	}
	x.reply(http.StatusOK, map[string]any{"total_count": len(ids), "installations": list})
}

func (s *Server) listUserInstallationRepos(x *exchange) {
	in := s.installationFromPath(x)
	var repos []*repo
	if in != nil {
		repos = s.readable(x.ident.user)[in.id]
	}
	if len(repos) == 0 {
		x.fail(http.StatusNotFound, "Not Found")
		return
	}
	page, ok := x.paginate(len(repos))
	if !ok {
		return
	}
	list := []any{}
	for _, r := range repos[page.lo:page.hi] {
		j := s.repoJSON(r)
		rank := roleRank(r.perms[strings.ToLower(x.ident.user)])
		j["permissions"] = map[string]bool{
			"pull": rank >= 1, "triage": rank >= 2, "push": rank >= 3, "maintain": rank >= 4, "admin": rank >= 5,
		}
		list = append(list, j)
	}
	x.reply(http.StatusOK, map[string]any{"total_count": len(repos), "repository_selection": "selected", "repositories": list})
}

// RevokeUserTokens invalidates every user access token, as when users take
// back their authorization of the App.
func (s *Server) RevokeUserTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.userTokens)
}
