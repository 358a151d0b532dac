package githubfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// noRedirect sends one request and returns its answer as is.
func noRedirect(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestOAuthWebFlow(t *testing.T) {
	s := newFake(t)
	s.AddRepo("other", "web", RepoOpts{InstallationID: 2})
	s.SetPermission(testRepo, "lead", "write")
	s.AddUser("lead")
	s.AddUser("rita", testRepo)
	s.AddUser("<b>x</b>")
	id, secret := s.OAuthClient()
	authorize := strings.TrimSuffix(s.URL(), "/") + "/login/oauth/authorize?" + url.Values{
		"client_id": {id}, "redirect_uri": {"http://wavegate.test/ui/oauth/callback"}, "state": {"st8"}}.Encode()

	// The page offers one button per user, escaped.
	resp, page := do(t, s, "GET", strings.TrimPrefix(authorize, strings.TrimSuffix(s.URL(), "/")), "", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "Sign in as lead") || !strings.Contains(page, "Sign in as rita") ||
		strings.Contains(page, "<b>x</b>") || !strings.Contains(page, `name="state" value="st8"`) {
		t.Fatalf("authorize page %d:\n%s", resp.StatusCode, page)
	}
	// Pressing one redirects back with a code and the state.
	req, _ := http.NewRequest("POST", strings.TrimSuffix(s.URL(), "/")+"/login/oauth/authorize", strings.NewReader(url.Values{
		"client_id": {id}, "redirect_uri": {"http://wavegate.test/ui/oauth/callback"}, "state": {"st8"}, "login": {"rita"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp = noRedirect(t, req)
	back, _ := url.Parse(resp.Header.Get("Location"))
	code := back.Query().Get("code")
	if resp.StatusCode != http.StatusFound || back.Host != "wavegate.test" || back.Query().Get("state") != "st8" || code == "" {
		t.Fatalf("press: %d to %s", resp.StatusCode, back)
	}
	exchange := func(form url.Values) map[string]any {
		t.Helper()
		_, body := do(t, s, "POST", "/login/oauth/access_token", "", form.Encode(), http.Header{
			"Accept": {"application/json"}, "Content-Type": {"application/x-www-form-urlencoded"}})
		var out map[string]any
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("token answer %q: %v", body, err)
		}
		return out
	}
	// A wrong secret is refused without using up the code.
	if out := exchange(url.Values{"client_id": {id}, "client_secret": {"wrong"}, "code": {code}}); out["error"] != "incorrect_client_credentials" {
		t.Errorf("wrong secret: %v", out)
	}
	out := exchange(url.Values{"client_id": {id}, "client_secret": {secret}, "code": {code}})
	tok, _ := out["access_token"].(string)
	if !strings.HasPrefix(tok, "ghu_") || out["token_type"] != "bearer" || out["expires_in"] != float64(28800) {
		t.Fatalf("exchange: %v", out)
	}
	if out := exchange(url.Values{"client_id": {id}, "client_secret": {secret}, "code": {code}}); out["error"] != "bad_verification_code" {
		t.Errorf("a code used twice: %v", out)
	}

	// The token reads the user and what they can read: acme/api only.
	if _, body := do(t, s, "GET", "/user", "Bearer "+tok, "", nil); !strings.Contains(body, `"login":"rita"`) {
		t.Errorf("GET /user: %s", body)
	}
	_, body := do(t, s, "GET", "/user/installations", "Bearer "+tok, "", nil)
	if !strings.Contains(body, `"total_count":1`) || !strings.Contains(body, `"id":1,`) {
		t.Errorf("GET /user/installations: %s", body)
	}
	_, body = do(t, s, "GET", "/user/installations/1/repositories", "Bearer "+tok, "", nil)
	if !strings.Contains(body, `"full_name":"acme/api"`) || !strings.Contains(body, `"push":false`) {
		t.Errorf("repositories of installation 1: %s", body)
	}
	if resp, _ := do(t, s, "GET", "/user/installations/2/repositories", "Bearer "+tok, "", nil); resp.StatusCode != 404 {
		t.Errorf("installation 2, none of rita's: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, "GET", "/user", "Bearer "+s.Token(1), "", nil); resp.StatusCode != 401 {
		t.Errorf("GET /user with an installation token: %d, want 401", resp.StatusCode)
	}

	// A pre-selected user comes straight back.
	s.SelectUser("lead")
	resp = noRedirect(t, mustGet(t, authorize))
	if back, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusFound || back.Query().Get("code") == "" {
		t.Errorf("pre-selected: %d to %s", resp.StatusCode, back)
	}
	if n := s.Count("GET", "/login/oauth/authorize"); n != 2 {
		t.Errorf("%d authorize pages recorded, want 2", n)
	}
}

func mustGet(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
