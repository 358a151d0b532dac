package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/wavegate/wavegate/store"
)

var _ store.Links = (*Store)(nil)

// minCodeHash is the shortest code hash accepted: 128 bits in hex. Short
// one-time codes are much shorter, so a caller passing the code in clear
// is refused rather than storing it.
const minCodeHash = 32

// AddLinkCode stores a code's hash for a Slack user in place of the user's
// earlier codes.
func (s *Store) AddLinkCode(ctx context.Context, codeHash, slackTeam, slackUser string, expires time.Time) error {
	if slackTeam == "" || slackUser == "" || expires.IsZero() {
		return fmt.Errorf("add link code for Slack user %s/%s: empty team, user or expiry", slackTeam, slackUser)
	}
	if len(codeHash) < minCodeHash {
		// Not repeated in the error: it may be the code itself.
		return fmt.Errorf("add link code for Slack user %s/%s: a code hash of %d characters is no hash (want %d or more): pass the code's hash, never the code",
			slackTeam, slackUser, len(codeHash), minCodeHash)
	}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM slack_link_codes WHERE slack_team = ? AND slack_user = ?`,
			slackTeam, slackUser); err != nil {
			return err
		}
		// The primary key refuses a hash another user still holds, even an
		// expired one: the caller draws another code, which is cheaper than
		// reasoning about whose it is.
		res, err := tx.ExecContext(ctx, `INSERT INTO slack_link_codes (code_hash, slack_team, slack_user, expires_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (code_hash) DO NOTHING`, codeHash, slackTeam, slackUser, toNanos(expires))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return fmt.Errorf("another Slack user holds a code with this hash: %w", store.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add link code for Slack user %s/%s: %w", slackTeam, slackUser, err)
	}
	return nil
}

// RedeemLinkCode binds the code's Slack user to login, using the code up.
func (s *Store) RedeemLinkCode(ctx context.Context, codeHash, login string, now time.Time) (store.SlackLink, error) {
	if login == "" {
		return store.SlackLink{}, errors.New("redeem link code: empty login")
	}
	l := store.SlackLink{Login: login, LinkedAt: now.UTC()}
	var expired time.Time
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		// Deleting the code and reading whose it was in one statement is
		// what makes a code single use: of two concurrent redeems, in this
		// process or another, only one deletes the row.
		var expires int64
		err := tx.QueryRowContext(ctx, `DELETE FROM slack_link_codes WHERE code_hash = ?
			RETURNING slack_team, slack_user, expires_at`, codeHash).Scan(&l.SlackTeam, &l.SlackUser, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if expires <= toNanos(now) {
			// Committed all the same: the expired code is gone for good.
			expired = fromNanos(expires)
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO slack_links (slack_team, slack_user, login, linked_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (slack_team, slack_user) DO UPDATE SET login = excluded.login, linked_at = excluded.linked_at`,
			l.SlackTeam, l.SlackUser, login, toNanos(now))
		return err
	})
	if err == nil && !expired.IsZero() {
		err = fmt.Errorf("the code expired at %s: %w", expired.Format(time.RFC3339), store.ErrNotFound)
	}
	if err != nil {
		return store.SlackLink{}, fmt.Errorf("redeem a link code for %s: %w", login, err)
	}
	return l, nil
}

// SlackLink returns a Slack user's link.
func (s *Store) SlackLink(ctx context.Context, slackTeam, slackUser string) (store.SlackLink, error) {
	l := store.SlackLink{SlackTeam: slackTeam, SlackUser: slackUser}
	var at int64
	err := s.read.QueryRowContext(ctx, `SELECT login, linked_at FROM slack_links WHERE slack_team = ? AND slack_user = ?`,
		slackTeam, slackUser).Scan(&l.Login, &at)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.SlackLink{}, fmt.Errorf("link of Slack user %s/%s: %w", slackTeam, slackUser, err)
	}
	l.LinkedAt = fromNanos(at)
	return l, nil
}

// Unlink removes a Slack user's link and unused codes.
func (s *Store) Unlink(ctx context.Context, slackTeam, slackUser string) (bool, error) {
	var removed bool
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		// A code asked for before unlinking must not link the user again.
		if _, err := tx.ExecContext(ctx, `DELETE FROM slack_link_codes WHERE slack_team = ? AND slack_user = ?`,
			slackTeam, slackUser); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM slack_links WHERE slack_team = ? AND slack_user = ?`, slackTeam, slackUser)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		removed = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("unlink Slack user %s/%s: %w", slackTeam, slackUser, err)
	}
	return removed, nil
}
