package slackbot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRequestAge is how far a request's timestamp may be from now, either
// way: Slack's replay window.
const MaxRequestAge = 5 * time.Minute

// Why a request from Slack is refused.
var (
	ErrUnsigned = errors.New("X-Slack-Signature or X-Slack-Request-Timestamp is missing")
	ErrStale    = errors.New("X-Slack-Request-Timestamp is more than 5 minutes from now (a replay, or a clock far off)")
	ErrForged   = errors.New("X-Slack-Signature does not match the body signed with the signing secret")
)

// Verify checks a request's v0 signature over its raw body and that its
// timestamp lies within MaxRequestAge of now.
//
// slack.NewSecretsVerifier does the same against the wall clock; Wavegate
// takes time from its injected clock, so that the replay window is tested
// like every other deadline, and Slack's documented test vector (signed in
// 2018) can be checked as it is.
func Verify(secret []byte, h http.Header, body []byte, now time.Time) error {
	sig, ts := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return ErrUnsigned
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("X-Slack-Request-Timestamp %q is not a Unix time: %w", truncate(ts, 20), ErrForged)
	}
	at := time.Unix(sec, 0)
	if at.Before(now.Add(-MaxRequestAge)) || at.After(now.Add(MaxRequestAge)) {
		return ErrStale
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return fmt.Errorf("X-Slack-Signature is not a v0 signature: %w", ErrForged)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("X-Slack-Signature is not 32 bytes in hex: %w", ErrForged)
	}
	if !hmac.Equal(got, mac(secret, ts, body)) {
		return ErrForged
	}
	return nil
}

// Sign returns the X-Slack-Signature Slack would send for body at
// timestamp ts (Unix seconds): what tests and the load generator sign with.
func Sign(secret []byte, ts string, body []byte) string {
	return "v0=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	return m.Sum(nil)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
