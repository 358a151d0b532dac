package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/internal/appcreds"
)

// ExchangeManifestCode completes the App-manifest flow: GitHub trades the
// one-time code from the redirect for the new App's id, keys and secrets.
// The code is itself a secret until used (it is worth the private key), so
// it never appears in the returned error.
func ExchangeManifestCode(ctx context.Context, client *github.Client, code string) (appcreds.Credentials, error) {
	if !validManifestCode(code) {
		return appcreds.Credentials{}, errors.New("complete the App manifest: malformed code")
	}
	cfg, _, err := client.Apps.CompleteAppManifest(ctx, code)
	if err != nil {
		return appcreds.Credentials{}, fmt.Errorf("complete the App manifest with GitHub: %w", redactCode{err: err, code: code})
	}
	c := appcreds.Credentials{
		AppID:         cfg.GetID(),
		Slug:          cfg.GetSlug(),
		Name:          cfg.GetName(),
		HTMLURL:       cfg.GetHTMLURL(),
		ClientID:      cfg.GetClientID(),
		ClientSecret:  cfg.GetClientSecret(),
		WebhookSecret: cfg.GetWebhookSecret(),
		PrivateKeyPEM: []byte(cfg.GetPEM()),
	}
	var missing []string
	if c.AppID == 0 {
		missing = append(missing, "id")
	}
	if c.Slug == "" {
		missing = append(missing, "slug")
	}
	if len(c.PrivateKeyPEM) == 0 {
		missing = append(missing, "pem")
	}
	if c.WebhookSecret == "" {
		missing = append(missing, "webhook_secret")
	}
	if len(missing) > 0 {
		return appcreds.Credentials{}, fmt.Errorf("complete the App manifest: GitHub's answer lacks %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// validManifestCode accepts what GitHub issues (hex today) and refuses
// anything that could change the request path, since the code is pasted
// into POST /app-manifests/{code}/conversions unescaped by go-github.
func validManifestCode(code string) bool {
	if code == "" || len(code) > 256 {
		return false
	}
	for _, r := range code {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}

// redactCode keeps go-github's error (and errors.As on it) but blanks the
// code out of its text, which embeds the request URL.
type redactCode struct {
	err  error
	code string
}

func (e redactCode) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.code, "REDACTED")
}

func (e redactCode) Unwrap() error { return e.err }
