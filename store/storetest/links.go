package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// CodeHash is what callers store for a link code: its hash, in hex.
func CodeHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

var (
	hashA = CodeHash("AAAA-AAAA")
	hashB = CodeHash("BBBB-BBBB")
	hashC = CodeHash("CCCC-CCCC")
)

func mustAddCode(t *testing.T, s store.Links, hash, team, user string, expires time.Time) {
	t.Helper()
	if err := s.AddLinkCode(context.Background(), hash, team, user, expires); err != nil {
		t.Fatalf("AddLinkCode(%s for %s/%s): %v", hash, team, user, err)
	}
}

func wantNoLink(t *testing.T, s store.Links, team, user string) {
	t.Helper()
	if l, err := s.SlackLink(context.Background(), team, user); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SlackLink(%s/%s) = %+v, %v; want ErrNotFound", team, user, l, err)
	}
}

func wantLink(t *testing.T, s store.Links, team, user, login string, at time.Time) {
	t.Helper()
	want := store.SlackLink{SlackTeam: team, SlackUser: user, Login: login, LinkedAt: at}
	if l, err := s.SlackLink(context.Background(), team, user); err != nil || l != want {
		t.Errorf("SlackLink(%s/%s) = %+v, %v; want %+v", team, user, l, err, want)
	}
}

func testLinkCodeRedeemedOnce(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	wantNoLink(t, s, "T1", "U1")
	mustAddCode(t, s, hashA, "T1", "U1", At(10*time.Minute))
	wantNoLink(t, s, "T1", "U1") // a code alone links nothing

	if _, err := s.RedeemLinkCode(ctx, hashB, "octocat", At(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redeem of an unknown code: %v, want ErrNotFound", err)
	}
	l, err := s.RedeemLinkCode(ctx, hashA, "octocat", At(time.Minute))
	want := store.SlackLink{SlackTeam: "T1", SlackUser: "U1", Login: "octocat", LinkedAt: At(time.Minute)}
	if err != nil || l != want {
		t.Fatalf("RedeemLinkCode = %+v, %v; want %+v", l, err, want)
	}
	wantLink(t, s, "T1", "U1", "octocat", At(time.Minute))
	wantNoLink(t, s, "T2", "U1") // users are per team

	if l, err := s.RedeemLinkCode(ctx, hashA, "mallory", At(2*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second redeem of one code = %+v, %v; want ErrNotFound", l, err)
	}
	wantLink(t, s, "T1", "U1", "octocat", At(time.Minute))
}

func testLinkCodeExpiry(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	expires := At(10 * time.Minute)
	mustAddCode(t, s, hashA, "T1", "U1", expires)
	mustAddCode(t, s, hashB, "T1", "U2", expires)

	if l, err := s.RedeemLinkCode(ctx, hashA, "octocat", expires); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redeem at the expiry = %+v, %v; want ErrNotFound", l, err)
	}
	wantNoLink(t, s, "T1", "U1")
	if _, err := s.RedeemLinkCode(ctx, hashB, "hubot", expires.Add(-time.Nanosecond)); err != nil {
		t.Errorf("redeem just before the expiry: %v", err)
	}
	wantLink(t, s, "T1", "U2", "hubot", expires.Add(-time.Nanosecond))
}

func testLinkCodeReplacesTheUsersEarlierCodes(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	mustAddCode(t, s, hashA, "T1", "U1", At(10*time.Minute))
	mustAddCode(t, s, hashC, "T1", "U2", At(10*time.Minute)) // another user's
	mustAddCode(t, s, hashB, "T1", "U1", At(11*time.Minute))

	if _, err := s.RedeemLinkCode(ctx, hashA, "octocat", At(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redeem of a replaced code: %v, want ErrNotFound", err)
	}
	wantNoLink(t, s, "T1", "U1")
	if _, err := s.RedeemLinkCode(ctx, hashB, "octocat", At(time.Minute)); err != nil {
		t.Errorf("redeem of the latest code: %v", err)
	}
	if _, err := s.RedeemLinkCode(ctx, hashC, "hubot", At(time.Minute)); err != nil {
		t.Errorf("another user's code must still work: %v", err)
	}
	wantLink(t, s, "T1", "U1", "octocat", At(time.Minute))
	wantLink(t, s, "T1", "U2", "hubot", At(time.Minute))
}

// A code hash another user holds is refused, never taken over: taking it
// over would link the first user, who still has the code, to whoever
// redeems it.
func testLinkCodeHashOfAnotherUserRefused(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	mustAddCode(t, s, hashA, "T1", "U1", At(10*time.Minute))
	if err := s.AddLinkCode(ctx, hashA, "T1", "U2", At(10*time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("AddLinkCode of a hash another user holds: %v, want ErrConflict", err)
	}
	if err := s.AddLinkCode(ctx, hashA, "T2", "U1", At(10*time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("AddLinkCode of a hash a user of another team holds: %v, want ErrConflict", err)
	}
	mustAddCode(t, s, hashA, "T1", "U1", At(12*time.Minute)) // the same user asking again
	if _, err := s.RedeemLinkCode(ctx, hashA, "octocat", At(11*time.Minute)); err != nil {
		t.Fatalf("redeem: %v", err)
	}
	wantLink(t, s, "T1", "U1", "octocat", At(11*time.Minute))
	wantNoLink(t, s, "T1", "U2")
	wantNoLink(t, s, "T2", "U1")
}

func testLinkCodeRejectsEmpty(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	for _, tc := range []struct{ hash, team, user string }{{"", "T1", "U1"}, {hashA, "", "U1"}, {hashA, "T1", ""}} {
		if err := s.AddLinkCode(ctx, tc.hash, tc.team, tc.user, At(time.Minute)); err == nil {
			t.Errorf("AddLinkCode(%q, %q, %q) succeeded, want an error", tc.hash, tc.team, tc.user)
		}
	}
	if err := s.AddLinkCode(ctx, hashA, "T1", "U1", time.Time{}); err == nil {
		t.Error("AddLinkCode with no expiry succeeded, want an error")
	}
	// Too short to be a hash: a caller passing the code itself is stopped
	// before the code is stored in clear.
	if err := s.AddLinkCode(ctx, "K7Q2-M9XD", "T1", "U1", At(time.Minute)); err == nil || strings.Contains(err.Error(), "K7Q2-M9XD") {
		t.Errorf("AddLinkCode of a code in clear: %v; want an error that does not repeat it", err)
	}
	if _, err := s.RedeemLinkCode(ctx, "K7Q2-M9XD", "octocat", At(0)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RedeemLinkCode of a code in clear: %v, want ErrNotFound", err)
	}
	mustAddCode(t, s, hashA, "T1", "U1", At(time.Minute))
	if _, err := s.RedeemLinkCode(ctx, hashA, "", At(0)); err == nil {
		t.Error("RedeemLinkCode with no login succeeded, want an error")
	}
	if _, err := s.RedeemLinkCode(ctx, hashA, "octocat", At(0)); err != nil {
		t.Errorf("the code must survive a redeem refused for want of a login: %v", err)
	}
}

func testRedeemReplacesAnEarlierLink(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	mustAddCode(t, s, hashA, "T1", "U1", At(10*time.Minute))
	if _, err := s.RedeemLinkCode(ctx, hashA, "alice", At(time.Minute)); err != nil {
		t.Fatal(err)
	}
	mustAddCode(t, s, hashB, "T1", "U1", At(20*time.Minute))
	if _, err := s.RedeemLinkCode(ctx, hashB, "bob", At(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	wantLink(t, s, "T1", "U1", "bob", At(15*time.Minute))
}

func testUnlink(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	if removed, err := s.Unlink(ctx, "T1", "U1"); err != nil || removed {
		t.Errorf("Unlink of an unlinked user = %v, %v; want false", removed, err)
	}
	for _, u := range []string{"U1", "U2"} {
		mustAddCode(t, s, CodeHash(u), "T1", u, At(10*time.Minute))
		if _, err := s.RedeemLinkCode(ctx, CodeHash(u), "login-"+u, At(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	mustAddCode(t, s, hashA, "T1", "U1", At(10*time.Minute)) // asked for before unlinking
	if removed, err := s.Unlink(ctx, "T1", "U1"); err != nil || !removed {
		t.Errorf("Unlink = %v, %v; want true", removed, err)
	}
	wantNoLink(t, s, "T1", "U1")
	wantLink(t, s, "T1", "U2", "login-U2", At(time.Minute))
	if _, err := s.RedeemLinkCode(ctx, hashA, "octocat", At(2*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a code asked for before unlinking: %v, want ErrNotFound", err)
	}
	wantNoLink(t, s, "T1", "U1")
	if removed, err := s.Unlink(ctx, "T1", "U1"); err != nil || removed {
		t.Errorf("second Unlink = %v, %v; want false", removed, err)
	}
}

func testConcurrentRedeemsOneWins(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	mustAddCode(t, s, hashA, "T1", "U1", At(10*time.Minute))
	const redeemers = 16
	won := make(chan string, redeemers)
	var wg sync.WaitGroup
	for i := range redeemers {
		wg.Go(func() {
			login := fmt.Sprintf("user%02d", i)
			_, err := s.RedeemLinkCode(ctx, hashA, login, At(time.Minute))
			switch {
			case err == nil:
				won <- login
			case !errors.Is(err, store.ErrNotFound):
				t.Errorf("redeem by %s: %v", login, err)
			}
		})
	}
	wg.Wait()
	close(won)
	var winners []string
	for w := range won {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("winners %q, want exactly one", winners)
	}
	wantLink(t, s, "T1", "U1", winners[0], At(time.Minute))
}
