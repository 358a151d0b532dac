package githubfake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// App is the GitHub App the fake plays; New sets ID 1, slug "wavegate".
type App struct {
	ID       int64
	Slug     string
	Name     string
	ClientID string
	Owner    string // login of the organization owning the App
}

type installation struct {
	id      int64
	account string
	created time.Time
}

type token struct {
	installation int64
	expires      time.Time
}

// identity is who a request authenticated as; problem says why it did not.
type identity struct {
	kind    authKind
	install *installation
	user    string // the login of a user access token
	err     string
}

func (i identity) problem(fallback string) string {
	if i.err != "" {
		return i.err
	}
	return fallback
}

// tokenLifetime is GitHub's: installation tokens expire after an hour.
const tokenLifetime = time.Hour

// jwtSkew is the clock drift GitHub tolerates on iat and exp.
const jwtSkew = time.Minute

// SetApp replaces the App the fake plays.
func (s *Server) SetApp(a App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app = a
}

// SetAppPublicKey makes the fake verify the RS256 signature, issuer and
// lifetime of App JWTs; without it any three-part token passes as a JWT.
func (s *Server) SetAppPublicKey(pub *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appKey = pub
}

// AddInstallation installs the App on an account. AddRepo does it implicitly.
func (s *Server) AddInstallation(id int64, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addInstallation(id, account)
}

func (s *Server) addInstallation(id int64, account string) *installation {
	if in, ok := s.installs[id]; ok {
		return in
	}
	in := &installation{id: id, account: account, created: s.now()}
	s.installs[id] = in
	return in
}

// Token mints an installation token without a request, for tests that only
// need an authenticated client and should not see token creation recorded.
func (s *Server) Token(installationID int64) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.installs[installationID]; !ok {
		s.t.Fatalf("githubfake: Token: no installation %d", installationID)
	}
	tok, _ := s.mint(installationID)
	return tok
}

// RevokeTokens invalidates every installation token issued so far, as when
// they expire or the App's key is rotated.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

func (s *Server) mint(installationID int64) (string, time.Time) {
	tok := "ghs_" + strings.ReplaceAll(rand.Text()+rand.Text(), "=", "")[:36]
	exp := time.Now().Add(tokenLifetime).UTC().Truncate(time.Second)
	s.tokens[tok] = &token{installation: installationID, expires: exp}
	return tok, exp
}

func (s *Server) identify(r *http.Request) identity {
	h := r.Header.Get("Authorization")
	if h == "" {
		return identity{err: "Requires authentication"}
	}
	scheme, cred, _ := strings.Cut(h, " ")
	scheme = strings.ToLower(scheme)
	if scheme != "bearer" && scheme != "token" {
		return identity{err: "Bad credentials"}
	}
	if strings.HasPrefix(cred, "ghs_") {
		t, ok := s.tokens[cred]
		if !ok || !time.Now().Before(t.expires) {
			return identity{err: "Bad credentials"}
		}
		return identity{kind: authInstallation, install: s.installs[t.installation]}
	}
	if strings.HasPrefix(cred, "ghu_") {
		t, ok := s.userTokens[cred]
		if !ok || !time.Now().Before(t.expires) {
			return identity{err: "Bad credentials"}
		}
		return identity{kind: authUser, user: t.login}
	}
	if scheme != "bearer" {
		return identity{err: "Bad credentials"}
	}
	if err := s.verifyJWT(cred); err != "" {
		return identity{err: err}
	}
	return identity{kind: authJWT}
}

// verifyJWT returns GitHub's complaint about an App JWT, or "".
func (s *Server) verifyJWT(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "A JSON web token could not be decoded"
	}
	pub := s.appKey
	if pub == nil {
		return ""
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat *float64        `json:"iat"`
		Exp *float64        `json:"exp"`
	}
	if !decodeSegment(parts[0], &header) || !decodeSegment(parts[1], &claims) {
		return "A JSON web token could not be decoded"
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || header.Alg != "RS256" {
		return "A JSON web token could not be decoded"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return "A JSON web token could not be decoded"
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	if iss != strconv.FormatInt(s.app.ID, 10) && iss != s.app.ClientID {
		return "Integration not found"
	}
	now := time.Now()
	if claims.Iat == nil || time.Unix(int64(*claims.Iat), 0).After(now.Add(jwtSkew)) {
		return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	}
	if claims.Exp == nil || !time.Unix(int64(*claims.Exp), 0).After(now) {
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	}
	if time.Unix(int64(*claims.Exp), 0).After(now.Add(10*time.Minute + jwtSkew)) {
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	return ""
}

func decodeSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(b, v) == nil
}

func (s *Server) getApp(x *exchange) { x.reply(http.StatusOK, s.appJSON()) }

func (s *Server) listInstallations(x *exchange) {
	ids := sortedKeys(s.installs)
	page, ok := x.paginate(len(ids))
	if !ok {
		return
	}
	out := []any{}
	for _, id := range ids[page.lo:page.hi] {
		out = append(out, s.installationJSON(s.installs[id]))
	}
	x.reply(http.StatusOK, out)
}

func (s *Server) installationFromPath(x *exchange) *installation {
	id, err := strconv.ParseInt(x.r.PathValue("installation_id"), 10, 64)
	if err != nil {
		return nil
	}
	return s.installs[id]
}

func (s *Server) getInstallation(x *exchange) {
	in := s.installationFromPath(x)
	if in == nil {
		x.fail(http.StatusNotFound, "Not Found")
		return
	}
	x.reply(http.StatusOK, s.installationJSON(in))
}

func (s *Server) createToken(x *exchange) {
	in := s.installationFromPath(x)
	if in == nil {
		x.fail(http.StatusNotFound, "Not Found")
		return
	}
	var req struct {
		Permissions map[string]string `json:"permissions"`
	}
	if !x.decode(&req) {
		return
	}
	tok, exp := s.mint(in.id)
	perms := req.Permissions
	if perms == nil {
		perms = appPermissions()
	}
	x.reply(http.StatusCreated, map[string]any{
		"token":                tok,
		"expires_at":           exp.Format(time.RFC3339),
		"permissions":          perms,
		"repository_selection": "selected",
	})
}

// appPermissions are the permissions app.yml asks for; the fake grants them.
func appPermissions() map[string]string {
	return map[string]string{
		"checks": "write", "contents": "read", "deployments": "write", "issues": "write",
		"members": "read", "metadata": "read", "pull_requests": "write", "statuses": "read",
	}
}

func appEvents() []string {
	return []string{"check_run", "deployment_status", "issue_comment", "pull_request", "pull_request_review", "push"}
}

func (s *Server) appJSON() map[string]any {
	a := s.app
	return map[string]any{
		"id":           a.ID,
		"slug":         a.Slug,
		"node_id":      fmt.Sprintf("A_fake%d", a.ID),
		"client_id":    a.ClientID,
		"owner":        s.orgJSON(a.Owner),
		"name":         a.Name,
		"description":  nil,
		"external_url": "https://wavegate.example",
		"html_url":     "https://github.com/apps/" + a.Slug,
		"created_at":   "2026-01-01T00:00:00Z",
		"updated_at":   "2026-01-01T00:00:00Z",
		"permissions":  appPermissions(),
		"events":       appEvents(),
	}
}

func (s *Server) installationJSON(in *installation) map[string]any {
	id := strconv.FormatInt(in.id, 10)
	acct := s.orgJSON(in.account)
	return map[string]any{
		"id":                   in.id,
		"account":              acct,
		"repository_selection": "selected",
		"access_tokens_url":    s.apiURL("/app/installations/" + id + "/access_tokens"),
		"repositories_url":     s.apiURL("/installation/repositories"),
		"html_url":             "https://github.com/organizations/" + in.account + "/settings/installations/" + id,
		"app_id":               s.app.ID,
		"app_slug":             s.app.Slug,
		"client_id":            s.app.ClientID,
		"target_id":            acct["id"],
		"target_type":          "Organization",
		"permissions":          appPermissions(),
		"events":               appEvents(),
		"created_at":           stamp(in.created),
		"updated_at":           stamp(in.created),
		"single_file_name":     nil,
		"suspended_by":         nil,
		"suspended_at":         nil,
	}
}
