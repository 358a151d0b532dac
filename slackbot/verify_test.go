package slackbot_test

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/wavegate/wavegate/slackbot"
)

// Slack's documented example ("Verifying requests from Slack"): a real
// vendor vector, so a base string assembled differently from Slack's fails
// here even if Sign and Verify agree with each other.
const (
	vectorSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	vectorTimestamp = "1531420618"
	vectorBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	vectorSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

var vectorAt = time.Unix(1531420618, 0)

func TestVerify(t *testing.T) {
	header := func(sig, ts string) http.Header {
		h := http.Header{}
		if sig != "" {
			h.Set("X-Slack-Signature", sig)
		}
		if ts != "" {
			h.Set("X-Slack-Request-Timestamp", ts)
		}
		return h
	}
	tests := []struct {
		name   string
		secret string
		h      http.Header
		body   string
		now    time.Time
		want   error
	}{
		{"Slack's vector", vectorSecret, header(vectorSignature, vectorTimestamp), vectorBody, vectorAt, nil},
		{"vector, 4m59s later", vectorSecret, header(vectorSignature, vectorTimestamp), vectorBody, vectorAt.Add(299 * time.Second), nil},
		{"vector, exactly 5m later", vectorSecret, header(vectorSignature, vectorTimestamp), vectorBody, vectorAt.Add(5 * time.Minute), nil},
		{"replayed 5m01s later", vectorSecret, header(vectorSignature, vectorTimestamp), vectorBody, vectorAt.Add(301 * time.Second), slackbot.ErrStale},
		{"from 5m01s in the future", vectorSecret, header(vectorSignature, vectorTimestamp), vectorBody, vectorAt.Add(-301 * time.Second), slackbot.ErrStale},
		{"another secret", "8f742231b10e8888abcd99yyyzzz85a6", header(vectorSignature, vectorTimestamp), vectorBody, vectorAt, slackbot.ErrForged},
		{"body changed", vectorSecret, header(vectorSignature, vectorTimestamp), vectorBody + "&text=pause", vectorAt, slackbot.ErrForged},
		{"timestamp changed", vectorSecret, header(vectorSignature, "1531420619"), vectorBody, vectorAt, slackbot.ErrForged},
		{"unsigned", vectorSecret, header("", vectorTimestamp), vectorBody, vectorAt, slackbot.ErrUnsigned},
		{"no timestamp", vectorSecret, header(vectorSignature, ""), vectorBody, vectorAt, slackbot.ErrUnsigned},
		{"timestamp not a number", vectorSecret, header(vectorSignature, "yesterday"), vectorBody, vectorAt, slackbot.ErrForged},
		{"v1 signature", vectorSecret, header("v1="+vectorSignature[3:], vectorTimestamp), vectorBody, vectorAt, slackbot.ErrForged},
		{"short signature", vectorSecret, header(vectorSignature[:20], vectorTimestamp), vectorBody, vectorAt, slackbot.ErrForged},
		{"not hex", vectorSecret, header("v0=zz"+vectorSignature[5:], vectorTimestamp), vectorBody, vectorAt, slackbot.ErrForged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := slackbot.Verify([]byte(tc.secret), tc.h, []byte(tc.body), tc.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSignMatchesSlacksVector(t *testing.T) {
	if got := slackbot.Sign([]byte(vectorSecret), vectorTimestamp, []byte(vectorBody)); got != vectorSignature {
		t.Fatalf("Sign = %s, want Slack's %s", got, vectorSignature)
	}
}

// TestVerifyAgreesWithSlackGo checks Verify against slack-go's own verifier
// on a request signed now (slack-go reads the wall clock).
func TestVerifyAgreesWithSlackGo(t *testing.T) {
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte("team_id=T1&user_id=U1&command=%2Fdeploy&text=pause+api")
	for _, sig := range []string{slackbot.Sign([]byte(vectorSecret), ts, body), slackbot.Sign([]byte("other"), ts, body)} {
		h := http.Header{}
		h.Set("X-Slack-Signature", sig)
		h.Set("X-Slack-Request-Timestamp", ts)
		sv, err := slack.NewSecretsVerifier(h, vectorSecret)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = sv.Write(bytes.Clone(body))
		theirs := sv.Ensure()
		ours := slackbot.Verify([]byte(vectorSecret), h, body, now)
		if (theirs == nil) != (ours == nil) {
			t.Fatalf("slack-go says %v, Verify says %v", theirs, ours)
		}
	}
}
