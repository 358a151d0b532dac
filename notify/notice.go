package notify

import (
	"bytes"
	"fmt"
	"strings"
)

// NoticeView is a notice to post as its own PR comment.
type NoticeView struct {
	Key       string // the notice's idempotency key, in its hidden marker
	Kind      string
	Pipeline  string
	ReleaseID int64
	Stage     string
	Text      string
	// Authors are mentioned when they must know at once (a failure).
	Authors []string
}

// Mentions is "@a @b": deliberate mentions of the release's authors, whose
// logins GitHub validated; nothing else in a notice can mention anyone.
func (n NoticeView) Mentions() string {
	var ms []string
	for _, a := range n.Authors {
		if validLogin(a) {
			ms = append(ms, "@"+a)
		}
	}
	return strings.Join(ms, " ")
}

// validLogin accepts GitHub's login alphabet only, so that a strange value
// can never turn into a team or an injected mention.
func validLogin(s string) bool {
	if s == "" || len(s) > 39 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Notice renders a notice comment.
func (r *Renderer) Notice(n NoticeView) (string, error) {
	var b bytes.Buffer
	if err := r.notice.Execute(&b, n); err != nil {
		return "", fmt.Errorf("render notice %s: %w", n.Key, err)
	}
	return truncate(b.String(), PRCommentLimit), nil
}
