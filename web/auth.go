package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Sign-in is GitHub's OAuth web flow with the App's own client id and
// secret: GitHub vouches for the login, and the user access token it gives
// says which repositories that user can read.

// stateLifetime is how long a sign-in may take at GitHub.
const stateLifetime = 10 * time.Minute

// maxGitHubAnswer caps what is read of one GitHub answer.
const maxGitHubAnswer = 4 << 20

type oauthState struct {
	State   string `json:"s"`
	Expires int64  `json:"e"`
	Next    string `json:"n"` // the page to return to
}

// localPage says whether next is a page of these pages' own, the only
// place a sign-in may return to: never another site.
func localPage(next string) bool {
	u, err := url.Parse(next)
	return err == nil && strings.HasPrefix(next, "/ui/") && u.Scheme == "" && u.Host == "" &&
		!strings.ContainsAny(next, "\\\r\n")
}

// signInReady says whether sign-in can be offered now: the App's client id
// and secret are known (the setup flow may supply them while Wavegate runs).
func (p *Pages) signInReady() bool {
	if p.cfg.Public || p.cfg.OAuth == nil || p.seal == nil {
		return false
	}
	id, secret := p.cfg.OAuth()
	return id != "" && secret != ""
}

func (p *Pages) authRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/signin", p.signIn)
	mux.HandleFunc("GET /ui/oauth/callback", p.callback)
	mux.HandleFunc("POST /ui/signout", p.signOut)
	mux.HandleFunc("POST /ui/{owner}/{repo}/{pipeline}/releases/{id}", p.gate(p.act))
	mux.HandleFunc("POST /ui/{owner}/{repo}/{pipeline}", p.gate(p.act))
}

// gate lets a page through for --ui-public or a signed-in user; anyone
// else is told to sign in.
func (p *Pages) gate(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch {
		case p.cfg.Public:
		case !p.signInReady():
			p.off(w, r)
			return
		default:
			s, ok := p.session(r)
			if !ok {
				p.unauthorized(w, r)
				return
			}
			// Asked now (or found in the cache), so that a GitHub that
			// does not answer is said, not shown as a page of nothing.
			_, err := p.readable(r.Context(), s)
			if errors.Is(err, errSignedOut) {
				// The user took back the App's authorization, or GitHub
				// ended the token: so ends the session.
				p.revoked.add(s.ID, time.Unix(s.Expires, 0), p.sessionNow())
				p.setCookie(w, r, sessionCookie, "", 0)
				p.unauthorized(w, r)
				return
			}
			if err != nil {
				p.cfg.Logger.Warn("web: repositories the user can read", "login", s.Login, "err", err)
				p.render(w, r, http.StatusServiceUnavailable, "message.html", messagePage{Title: "GitHub did not answer",
					Message: "Wavegate could not ask GitHub which repositories you can read; its log says why. Nothing was changed. Reload the page to try again."})
				return
			}
		}
		h(w, r)
	}
}

func (p *Pages) unauthorized(w http.ResponseWriter, r *http.Request) {
	signIn := "/ui/signin"
	if r.Method == http.MethodGet && r.URL.Path != "/ui/" {
		signIn += "?" + url.Values{"next": {r.URL.RequestURI()}}.Encode()
	}
	p.render(w, r, http.StatusUnauthorized, "message.html", messagePage{Title: "Sign in",
		Message: "Sign in with GitHub to see the pipelines of the repositories you can read. A session lasts at most 8 hours.", SignInURL: signIn})
}

func (p *Pages) forbidden(w http.ResponseWriter, r *http.Request, msg string) {
	p.render(w, r, http.StatusForbidden, "message.html", messagePage{Title: "Refused", Message: msg, SignInURL: "/ui/signin", OverviewURL: "/ui/"})
}

// redirectURI is where GitHub sends the browser back: under --public-url,
// or else the address this request came to (GitHub compares it with the
// App's callback URL, so a forged Host header only fails the sign-in).
func (p *Pages) redirectURI(r *http.Request) string {
	base := strings.TrimRight(p.cfg.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if p.secure(r) {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/ui/oauth/callback"
}

func (p *Pages) signIn(w http.ResponseWriter, r *http.Request) {
	if !p.signInReady() {
		p.off(w, r)
		return
	}
	st := oauthState{State: randomID(), Expires: p.sessionNow().Add(stateLifetime).Unix(), Next: "/ui/"}
	if next := r.URL.Query().Get("next"); localPage(next) {
		st.Next = next
	}
	v, err := p.seal.seal(stateCookie, st)
	if err != nil {
		p.cfg.Logger.Error("web sign-in: seal the state", "err", err)
		http.Error(w, "Wavegate could not start the sign-in; its log says why.", http.StatusInternalServerError)
		return
	}
	p.setCookie(w, r, stateCookie, v, stateLifetime)
	id, _ := p.cfg.OAuth()
	q := url.Values{"client_id": {id}, "redirect_uri": {p.redirectURI(r)}, "state": {st.State}}
	http.Redirect(w, r, p.cfg.WebURL+"login/oauth/authorize?"+q.Encode(), http.StatusFound)
}

func (p *Pages) callback(w http.ResponseWriter, r *http.Request) {
	if !p.signInReady() {
		p.off(w, r)
		return
	}
	c, err := r.Cookie(stateCookie)
	p.setCookie(w, r, stateCookie, "", 0)
	var st oauthState
	q := r.URL.Query()
	if err != nil || !p.seal.open(stateCookie, c.Value, &st) || !p.sessionNow().Before(time.Unix(st.Expires, 0)) ||
		subtle.ConstantTimeCompare([]byte(st.State), []byte(q.Get("state"))) != 1 {
		p.forbidden(w, r, "This sign-in was not started from this browser in the last 10 minutes, or it was tampered with. Sign in again.")
		return
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		p.forbidden(w, r, "GitHub did not sign you in (the App was not authorized). Sign in again to retry.")
		return
	}
	tok, expires, err := p.exchange(r.Context(), q.Get("code"), p.redirectURI(r))
	if err != nil {
		p.cfg.Logger.Warn("web sign-in: code exchange", "err", err)
		p.forbidden(w, r, "GitHub refused the sign-in code (it may have expired or been used). Sign in again.")
		return
	}
	var user struct {
		Login string `json:"login"`
	}
	if err := p.gitHubGet(r.Context(), tok, "user", &user); err != nil || user.Login == "" {
		p.cfg.Logger.Warn("web sign-in: read the user", "err", err)
		p.forbidden(w, r, "Wavegate could not ask GitHub who you are; its log says why. Sign in again.")
		return
	}
	s := session{ID: randomID(), Login: user.Login, Token: tok, Expires: expires.Unix()}
	v, err := p.seal.seal(sessionCookie, s)
	if err != nil {
		p.cfg.Logger.Error("web sign-in: seal the session", "err", err)
		http.Error(w, "Wavegate could not sign you in; its log says why.", http.StatusInternalServerError)
		return
	}
	p.setCookie(w, r, sessionCookie, v, expires.Sub(p.sessionNow()))
	p.cfg.Logger.Info("web sign-in", "login", user.Login)
	next := "/ui/"
	if localPage(st.Next) {
		next = st.Next
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *Pages) signOut(w http.ResponseWriter, r *http.Request) {
	s, ok := p.session(r)
	if !ok {
		p.setCookie(w, r, sessionCookie, "", 0)
		http.Redirect(w, r, "/ui/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil || !p.seal.csrfOK(s.ID, r.PostForm.Get("csrf")) {
		p.forbidden(w, r, "This form is stale or did not come from this Wavegate page: you are still signed in. Go back, reload the page and try again.")
		return
	}
	p.revoked.add(s.ID, time.Unix(s.Expires, 0), p.sessionNow())
	p.access.forget(s.ID)
	p.setCookie(w, r, sessionCookie, "", 0)
	p.cfg.Logger.Info("web sign-out", "login", s.Login)
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

// exchange trades the code for a user access token and when the session
// it makes must end.
func (p *Pages) exchange(ctx context.Context, code, redirectURI string) (string, time.Time, error) {
	id, secret := p.cfg.OAuth()
	form := url.Values{"client_id": {id}, "client_secret": {secret}, "code": {code}, "redirect_uri": {redirectURI}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.WebURL+"login/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := p.http().Do(req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("POST login/oauth/access_token: %w", err)
	}
	defer resp.Body.Close()
	data, err := readLimited(resp.Body, maxGitHubAnswer)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("POST login/oauth/access_token: %w", err)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &out) != nil {
		return "", time.Time{}, fmt.Errorf("POST login/oauth/access_token: status %d", resp.StatusCode)
	}
	if out.Error != "" || out.AccessToken == "" {
		// GitHub says what went wrong; the code itself is not repeated.
		return "", time.Time{}, fmt.Errorf("POST login/oauth/access_token: %s: %s", out.Error, out.Description)
	}
	now := p.sessionNow()
	end := now.Add(sessionLifetime)
	if out.ExpiresIn > 0 {
		if t := now.Add(time.Duration(out.ExpiresIn) * time.Second); t.Before(end) {
			end = t
		}
	}
	return out.AccessToken, end, nil
}

// errSignedOut is GitHub refusing the user's token: revoked, or expired.
var errSignedOut = errors.New("GitHub refused the user access token")

// gitHubGet reads one REST path with the user's token.
func (p *Pages) gitHubGet(ctx context.Context, token, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.APIURL+path, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := p.http().Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := readLimited(resp.Body, maxGitHubAnswer)
	switch {
	case err != nil:
		return fmt.Errorf("GET %s: %w", path, err)
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("GET %s: %w", path, errSignedOut)
	case resp.StatusCode != http.StatusOK:
		return &statusError{path: path, code: resp.StatusCode}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("GET %s: decode: %w", path, err)
	}
	return nil
}

// statusError is GitHub answering with a status other than 200 or 401.
type statusError struct {
	path string
	code int
}

func (e *statusError) Error() string { return fmt.Sprintf("GET %s: status %d", e.path, e.code) }

func (p *Pages) http() *http.Client { return p.cfg.HTTPClient }

// initSignIn readies what sign-in needs, when it is configured.
func (p *Pages) initSignIn() error {
	if p.cfg.HTTPClient == nil {
		p.cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if p.cfg.APIURL != "" && !strings.HasSuffix(p.cfg.APIURL, "/") {
		p.cfg.APIURL += "/"
	}
	if p.cfg.Public || p.cfg.OAuth == nil {
		return nil
	}
	if p.cfg.WebURL == "" || p.cfg.APIURL == "" {
		return fmt.Errorf("web sign-in: GitHub's web and API URLs are both needed")
	}
	s, err := newSealer(p.cfg.SessionKey)
	if err != nil {
		return err
	}
	p.seal = s
	return nil
}
