package githubfake

import (
	"fmt"
	"net/http"
)

// AppConversion is what GitHub returns when the App-manifest flow's code is
// exchanged for the new App's credentials.
type AppConversion struct {
	ID            int64
	Slug          string
	Name          string
	WebhookSecret string
	PEM           string
	ClientID      string
	ClientSecret  string
	HTMLURL       string
	Owner         string // login of the account that created the App
}

// AddManifestCode registers a manifest code. Like GitHub's, it converts once:
// a second conversion of the same code gets 404.
func (s *Server) AddManifestCode(code string, c AppConversion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.manifests[code] = c
}

func (s *Server) convertManifest(x *exchange) {
	code := x.r.PathValue("code")
	c, ok := s.manifests[code]
	if !ok {
		x.fail(http.StatusNotFound, "Not Found")
		return
	}
	delete(s.manifests, code)
	html := c.HTMLURL
	if html == "" {
		html = "https://github.com/apps/" + c.Slug
	}
	var secret any = c.WebhookSecret
	if c.WebhookSecret == "" {
		secret = nil
	}
	x.reply(http.StatusCreated, map[string]any{
		"id":             c.ID,
		"slug":           c.Slug,
		"node_id":        fmt.Sprintf("A_fake%d", c.ID),
		"name":           c.Name,
		"owner":          s.orgJSON(c.Owner),
		"description":    nil,
		"external_url":   "https://wavegate.example",
		"html_url":       html,
		"created_at":     stamp(s.now()),
		"updated_at":     stamp(s.now()),
		"permissions":    appPermissions(),
		"events":         appEvents(),
		"client_id":      c.ClientID,
		"client_secret":  c.ClientSecret,
		"webhook_secret": secret,
		"pem":            c.PEM,
	})
}
