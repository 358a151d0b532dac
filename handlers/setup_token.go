package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// The setup token proves that whoever registers the App runs this Wavegate:
// without it, anyone who reached a fresh instance first could register an
// App of their own into it and receive its webhooks.
const (
	setupCookie = "wavegate-setup"
	// maxTokenForm caps the POSTed form: a token and nothing else.
	maxTokenForm = 4 << 10
)

// setupKey is what Setup keeps of the token: a digest, so that comparisons
// take the same time whatever was presented, and so that the browser's
// cookie holds the digest rather than the token printed in the log.
type setupKey struct {
	sum [sha256.Size]byte
	ok  bool // false: no token was configured, and none is accepted
}

func newSetupKey(token string) setupKey {
	if token == "" {
		return setupKey{}
	}
	return setupKey{sum: tokenDigest(token), ok: true}
}

func tokenDigest(token string) [sha256.Size]byte {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("wavegate setup cookie v1"))
	var sum [sha256.Size]byte
	copy(sum[:], m.Sum(nil))
	return sum
}

// matches compares in constant time: digests have a fixed length, so
// neither the length nor the content of the real token leaks.
func (k setupKey) matches(presented string) bool {
	d := tokenDigest(presented)
	return k.ok && presented != "" && subtle.ConstantTimeCompare(d[:], k.sum[:]) == 1
}

func (k setupKey) cookieValue() string { return base64.RawURLEncoding.EncodeToString(k.sum[:]) }

func (k setupKey) cookieMatches(r *http.Request) bool {
	c, err := r.Cookie(setupCookie)
	if err != nil || !k.ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(c.Value)
	return err == nil && subtle.ConstantTimeCompare(got, k.sum[:]) == 1
}

// cookie keeps the token holder's browser admitted across page loads. It is
// a session cookie: it matters only until setup is done.
func (k setupKey) cookie(secure bool) *http.Cookie {
	return &http.Cookie{
		Name: setupCookie, Value: k.cookieValue(), Path: "/",
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}
}

// expiredCookie clears the cookie once setup is done.
func expiredCookie() *http.Cookie {
	return &http.Cookie{Name: setupCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// presentedToken is what the visitor typed or pasted. A pasted start-up URL
// works too: people copy the whole line from the log.
func presentedToken(raw string) string {
	t := strings.TrimSpace(raw)
	if i := strings.LastIndex(t, "token="); i >= 0 {
		t = t[i+len("token="):]
	}
	return t
}

// serveTokenForm is POST /: the token pasted into the form.
func (s *Setup) serveTokenForm(w http.ResponseWriter, r *http.Request) {
	if s.configuredOrPending() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenForm)
	s.acceptToken(w, r, presentedToken(r.PostFormValue("token")))
}

// acceptToken admits a visitor who presents the token: it sets the cookie
// and redirects to /, which takes the token out of the address bar and the
// browser history. A wrong token gets the token page again.
func (s *Setup) acceptToken(w http.ResponseWriter, r *http.Request, token string) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	if !s.key.matches(token) {
		s.cfg.Logger.Warn("setup: wrong setup token presented", "remote", r.RemoteAddr)
		s.renderTokenPage(w, r, http.StatusForbidden, true)
		return
	}
	setupHeaders(w.Header())
	http.SetCookie(w, s.key.cookie(requestScheme(r) == "https"))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Setup) renderTokenPage(w http.ResponseWriter, r *http.Request, status int, wrong bool) {
	s.render(w, r, status, "setup-token.html", tokenPage{
		Title:     "Set up",
		TokenFile: s.cfg.TokenFile,
		Wrong:     wrong,
		NoToken:   !s.key.ok,
	})
}
