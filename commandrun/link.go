package commandrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wavegate/wavegate/store"
)

// codeAlphabet leaves out the letters and digits people confuse (0 and O,
// 1, I and L) so that a code read off one screen is typed right on another.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// CodeTTL is how long a link code can be redeemed.
const CodeTTL = 10 * time.Minute

// codeLen is the number of characters of a code: 31^8 ≈ 8.5e11 codes, a
// space no one guesses within ten minutes at GitHub's comment rate.
const codeLen = 8

// newCode draws a code, shown as ABCD-2345.
func newCode(random io.Reader) (string, error) {
	// Rejection sampling keeps every character equally likely.
	limit := byte(256 - 256%len(codeAlphabet))
	out := make([]byte, 0, codeLen+1)
	buf := make([]byte, 16)
	for len(out) < codeLen+1 {
		if _, err := io.ReadFull(random, buf); err != nil {
			return "", fmt.Errorf("draw a link code: %w", err)
		}
		for _, b := range buf {
			if b >= limit || len(out) == codeLen+1 {
				continue
			}
			if len(out) == codeLen/2 {
				out = append(out, '-')
			}
			out = append(out, codeAlphabet[int(b)%len(codeAlphabet)])
		}
	}
	return string(out), nil
}

// codeHash is what is stored of a code: its SHA-256, over the code as
// typed less case, dashes and spaces.
func codeHash(code string) string {
	norm := strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ', '\t':
			return -1
		}
		return r
	}, strings.ToUpper(code))
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])
}

// link hands a Slack user a code, or redeems a code for a commenter.
func (r *runner) link(ctx context.Context, j *job) (string, error) {
	c := j.req.Command
	now := r.Clock.Now()
	if j.req.Surface == store.SurfaceSlack {
		if c.Code != "" {
			return "", refuse("paste `/deploy link %s` in a comment on a pull request of a repository Wavegate is installed on, not in Slack", "CODE")
		}
		// Another user's unused code may have the same hash (a 1 in 8.5e11
		// draw): binding to it would link the wrong login, so draw again.
		var code string
		for attempt := 0; ; attempt++ {
			var err error
			if code, err = newCode(r.Random); err != nil {
				return "", err
			}
			err = r.Links.AddLinkCode(ctx, codeHash(code), j.req.SlackTeam, j.req.SlackUser, now.Add(CodeTTL))
			if err == nil {
				break
			}
			if !errors.Is(err, store.ErrConflict) || attempt == 2 {
				return "", fmt.Errorf("store a link code for Slack user %s/%s: %w", j.req.SlackTeam, j.req.SlackUser, err)
			}
		}
		return fmt.Sprintf("Comment this line on any pull request of a repository Wavegate is installed on, within 10 minutes, to link your GitHub account:\n\n/deploy link %s", code), nil
	}
	if c.Code == "" {
		return "", refuse("a link code comes from Slack: type `/deploy link` there, then comment the line it answers with here")
	}
	if j.login == "" {
		return "", refuse("a link code is redeemed by a GitHub user commenting it on a pull request")
	}
	l, err := r.Links.RedeemLinkCode(ctx, codeHash(c.Code), j.login, now)
	if errors.Is(err, store.ErrNotFound) {
		return "", refuse("this link code is unknown, used or expired: type `/deploy link` in Slack for a new one")
	}
	if err != nil {
		return "", fmt.Errorf("redeem a link code for %s: %w", j.login, err)
	}
	j.req.SlackTeam, j.req.SlackUser = l.SlackTeam, l.SlackUser
	return fmt.Sprintf("linked @%s to a Slack user: /deploy commands typed there now act as @%s", j.login, j.login), nil
}

// unlink removes a Slack user's link.
func (r *runner) unlink(ctx context.Context, j *job) (string, error) {
	if j.req.Surface != store.SurfaceSlack {
		return "", refuse("type `/deploy unlink` in Slack: it removes the link of the Slack user who types it")
	}
	l, err := r.Links.SlackLink(ctx, j.req.SlackTeam, j.req.SlackUser)
	if err == nil {
		j.login = l.Login
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("link of Slack user %s/%s: %w", j.req.SlackTeam, j.req.SlackUser, err)
	}
	ok, err := r.Links.Unlink(ctx, j.req.SlackTeam, j.req.SlackUser)
	if err != nil {
		return "", fmt.Errorf("unlink Slack user %s/%s: %w", j.req.SlackTeam, j.req.SlackUser, err)
	}
	if !ok {
		return "", refuse("your Slack user is not linked to a GitHub account")
	}
	return fmt.Sprintf("unlinked your Slack user from @%s", l.Login), nil
}
