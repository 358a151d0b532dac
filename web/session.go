package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// SessionKeyFile is the file in the data directory holding the key that
// seals session cookies: kept across restarts, so a restart signs nobody
// out.
const SessionKeyFile = "web-session.key"

const sessionKeySize = 32

// LoadSessionKey reads the session key from dir, creating it (32 random
// bytes, mode 0600) on first start. A key others could read would let them
// forge sessions, so such a file is refused.
func LoadSessionKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, SessionKeyFile)
	key := make([]byte, sessionKeySize)
	_, _ = rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, werr := f.Write(key)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			_ = os.Remove(path)
			return nil, fmt.Errorf("write the web session key %s: %w", path, werr)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create the web session key %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("web session key %s: %w", path, err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("web session key %s has mode %04o, so others could read it and forge sessions; fix it with: chmod 600 %s",
			path, st.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the web session key %s: %w", path, err)
	}
	if len(data) != sessionKeySize {
		return nil, fmt.Errorf("web session key %s holds %d bytes, not %d: delete it and Wavegate makes a new one (everyone signed in is signed out)",
			path, len(data), sessionKeySize)
	}
	return data, nil
}

// sealer seals cookies with AES-GCM, which authenticates as well as it
// encrypts: a cookie changed by one bit, or made without the key, does not
// open. Each kind of cookie is sealed under its own name (the additional
// data), so one cannot be passed off as another.
type sealer struct {
	aead    cipher.AEAD
	csrfKey []byte
}

func newSealer(key []byte) (*sealer, error) {
	if len(key) != sessionKeySize {
		return nil, fmt.Errorf("web session key: want %d bytes, have %d", sessionKeySize, len(key))
	}
	// Separate keys for separate uses, derived from the one stored.
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("wavegate web cookie"))
	if err != nil {
		return nil, fmt.Errorf("web cookie cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("web cookie cipher: %w", err)
	}
	return &sealer{aead: aead, csrfKey: derive("wavegate web csrf")}, nil
}

func (s *sealer) seal(name string, v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode cookie %s: %w", name, err)
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, data, []byte(name))), nil
}

func (s *sealer) open(name, text string, v any) bool {
	raw, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return false
	}
	n := s.aead.NonceSize()
	data, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(name))
	return err == nil && json.Unmarshal(data, v) == nil
}

// csrf is the session's form token: an HMAC of its id, so it needs no
// storage and is worthless for any other session.
func (s *sealer) csrf(sessionID string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(sessionID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *sealer) csrfOK(sessionID, token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(s.csrf(sessionID)), []byte(token)) == 1
}

// Cookie names; every one is scoped to /ui/.
const (
	sessionCookie = "wavegate_session"
	stateCookie   = "wavegate_oauth"
	flashCookie   = "wavegate_flash"
)

// sessionLifetime bounds a session, whatever GitHub says of the token: a
// working day, as GitHub's own user tokens last.
const sessionLifetime = 8 * time.Hour

// session is what the session cookie holds, sealed: the GitHub user and
// their user access token, which never leaves the server in clear.
type session struct {
	ID      string `json:"i"`
	Login   string `json:"l"`
	Token   string `json:"t"`
	Expires int64  `json:"e"` // Unix seconds
}

func randomID() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// revoked remembers the sessions signed out, until they would have
// expired: the cookie is stateless, so a copy of it kept by someone else
// would otherwise still open.
type revoked struct {
	mu  sync.Mutex
	ids map[string]time.Time
}

func (rv *revoked) add(id string, until, now time.Time) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.ids == nil {
		rv.ids = map[string]time.Time{}
	}
	for k, t := range rv.ids {
		if !t.After(now) {
			delete(rv.ids, k)
		}
	}
	rv.ids[id] = until
}

func (rv *revoked) has(id string) bool {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	_, ok := rv.ids[id]
	return ok
}

// secure says whether cookies must be Secure: when the public URL is
// https, or, without one, when this request came over https.
func (p *Pages) secure(r *http.Request) bool {
	if p.cfg.PublicURL != "" {
		return strings.HasPrefix(strings.ToLower(p.cfg.PublicURL), "https://")
	}
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (p *Pages) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/ui/", HttpOnly: true, Secure: p.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second)}
	if maxAge <= 0 {
		c.Value, c.MaxAge = "", -1
	}
	http.SetCookie(w, c)
}

// session is the request's signed-in session; a missing, forged, expired
// or signed-out cookie is nobody.
func (p *Pages) session(r *http.Request) (session, bool) {
	if p.seal == nil {
		return session{}, false
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	var s session
	if !p.seal.open(sessionCookie, c.Value, &s) || s.ID == "" || s.Login == "" {
		return session{}, false
	}
	if !p.sessionNow().Before(time.Unix(s.Expires, 0)) || p.revoked.has(s.ID) {
		return session{}, false
	}
	return s, true
}

// flash is an action's outcome, carried to the page the action redirects
// to in a sealed cookie: the page shows only what Wavegate wrote.
type flash struct {
	OK      bool   `json:"o"`
	Text    string `json:"t"`
	Expires int64  `json:"e"`
}

// maxFlash keeps the cookie well under browsers' 4 KB.
const maxFlash = 1500

func (p *Pages) setFlash(w http.ResponseWriter, r *http.Request, ok bool, text string) {
	if len(text) > maxFlash {
		text = strings.ToValidUTF8(text[:maxFlash], "") + "…"
	}
	v, err := p.seal.seal(flashCookie, flash{OK: ok, Text: text, Expires: p.sessionNow().Add(time.Minute).Unix()})
	if err != nil {
		p.cfg.Logger.Error("web: seal the outcome", "err", err)
		return
	}
	p.setCookie(w, r, flashCookie, v, time.Minute)
}

// takeFlash reads the outcome once, and clears it.
func (p *Pages) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil || p.seal == nil {
		return nil
	}
	p.setCookie(w, r, flashCookie, "", 0)
	var f flash
	if !p.seal.open(flashCookie, c.Value, &f) || !p.sessionNow().Before(time.Unix(f.Expires, 0)) {
		return nil
	}
	return &f
}

// readLimited reads at most limit bytes of a response body, failing on
// more: GitHub's answers here are small, and a huge one is not GitHub's.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("answer larger than %d bytes", limit)
	}
	return data, nil
}
