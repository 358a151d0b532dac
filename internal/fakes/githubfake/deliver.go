package githubfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// Sign returns the X-Hub-Signature-256 value GitHub sends for body:
// "sha256=" and the hex HMAC-SHA256 of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Deliver POSTs payload to webhookURL as GitHub delivers a webhook: signed
// with secret, and with the event and delivery id in the headers GitHub uses.
// A nil secret sends no signature, as GitHub does for a hook without one. The
// caller closes the response body.
func Deliver(ctx context.Context, webhookURL string, secret []byte, event, deliveryID string, payload []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	// Set directly rather than with Header.Set, to keep GitHub's spelling on
	// the wire; receivers must not depend on it, but logs read better.
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["User-Agent"] = []string{"GitHub-Hookshot/githubfake"}
	req.Header["X-GitHub-Event"] = []string{event}
	req.Header["X-GitHub-Delivery"] = []string{deliveryID}
	req.Header["X-GitHub-Hook-ID"] = []string{"1"}
	if secret != nil {
		req.Header["X-Hub-Signature-256"] = []string{Sign(secret, payload)}
	}
	return http.DefaultClient.Do(req)
}
