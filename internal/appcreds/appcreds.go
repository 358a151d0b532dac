// Package appcreds keeps the GitHub App's credentials: on disk, in the data
// directory, where the App-manifest setup flow leaves them and where the
// server finds them at start; and in force (Live), with the GitHub clients
// built from them, replaced at once when the setup flow registers an App.
package appcreds

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// File names inside the credentials directory.
const (
	JSONFile = "github-app.json"
	PEMFile  = "github-app.pem"
)

// Credentials identify and authenticate Wavegate's GitHub App. ClientSecret,
// WebhookSecret and PrivateKeyPEM are secrets: every way of printing a
// Credentials (fmt, slog, encoding/json) redacts them.
type Credentials struct {
	AppID    int64
	Slug     string
	Name     string
	HTMLURL  string
	ClientID string

	ClientSecret  string
	WebhookSecret string
	PrivateKeyPEM []byte
}

const redacted = "[redacted]"

// secretMark says whether a secret is present without showing it, which is
// what someone debugging a half-configured App needs to know.
func secretMark(present bool) string {
	if present {
		return redacted
	}
	return "[empty]"
}

// String describes c without its secrets.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{AppID: %d, Slug: %q, Name: %q, HTMLURL: %q, ClientID: %q, ClientSecret: %s, WebhookSecret: %s, PrivateKeyPEM: %s}",
		c.AppID, c.Slug, c.Name, c.HTMLURL, c.ClientID,
		secretMark(c.ClientSecret != ""), secretMark(c.WebhookSecret != ""), secretMark(len(c.PrivateKeyPEM) > 0))
}

// GoString makes %#v redact too.
func (c Credentials) GoString() string { return "appcreds." + c.String() }

// Format routes every verb (%v, %+v, %d, %x, ...) through String, because
// fmt's default struct printing would otherwise print the secret fields.
func (c Credentials) Format(f fmt.State, verb rune) {
	s := c.String()
	if verb == 'v' && f.Flag('#') {
		s = c.GoString()
	}
	_, _ = fmt.Fprint(f, s)
}

// LogValue makes slog log c without its secrets.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("app_id", c.AppID),
		slog.String("slug", c.Slug),
		slog.String("name", c.Name),
		slog.String("html_url", c.HTMLURL),
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", secretMark(c.ClientSecret != "")),
		slog.String("webhook_secret", secretMark(c.WebhookSecret != "")),
		slog.String("private_key", secretMark(len(c.PrivateKeyPEM) > 0)),
	)
}

// MarshalJSON redacts the secrets so that a debugging endpoint or a JSON dump
// cannot leak them; Save writes the real values through its own file format.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		AppID         int64  `json:"app_id"`
		Slug          string `json:"slug"`
		Name          string `json:"name"`
		HTMLURL       string `json:"html_url"`
		ClientID      string `json:"client_id"`
		ClientSecret  string `json:"client_secret"`
		WebhookSecret string `json:"webhook_secret"`
		PrivateKey    string `json:"private_key"`
	}{c.AppID, c.Slug, c.Name, c.HTMLURL, c.ClientID,
		secretMark(c.ClientSecret != ""), secretMark(c.WebhookSecret != ""), secretMark(len(c.PrivateKeyPEM) > 0)})
}
