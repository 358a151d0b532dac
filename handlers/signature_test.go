package handlers

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/wavegate/wavegate/internal/fakes/githubfake"
)

func TestVerifySignature(t *testing.T) {
	secret, body := []byte("It's a Secret to Everybody"), []byte("Hello, World!")
	// GitHub's documented test vector.
	const valid = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	sha1mac := hmac.New(sha1.New, secret)
	sha1mac.Write(body)
	tests := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		want   error
	}{
		{"documented vector", secret, body, valid, nil},
		{"tampered body", secret, []byte("Hello, World?"), valid, errSignatureMismatch},
		{"wrong secret", []byte("guess"), body, valid, errSignatureMismatch},
		{"sha1 only", secret, body, "sha1=" + hex.EncodeToString(sha1mac.Sum(nil)), errSignatureMalformed},
		{"empty header", secret, body, "", errSignatureMissing},
		{"no prefix", secret, body, valid[len("sha256="):], errSignatureMalformed},
		{"not hex", secret, body, "sha256=" + string(make([]byte, 64)), errSignatureMalformed},
		{"short", secret, body, valid[:40], errSignatureMalformed},
		{"uppercase hex", secret, body, "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifySignature(tc.secret, tc.body, tc.header); !errors.Is(err, tc.want) {
				t.Fatalf("VerifySignature = %v, want %v", err, tc.want)
			}
		})
	}
	if got := githubfake.Sign(secret, body); got != valid {
		t.Fatalf("the fake's signer gives %s, want the documented %s", got, valid)
	}
}

func FuzzVerifySignature(f *testing.F) {
	f.Add([]byte("Hello, World!"), "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	f.Add([]byte(""), "sha1=abc")
	f.Add([]byte("{}"), "sha256=zz")
	secret := []byte("It's a Secret to Everybody")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		err := VerifySignature(secret, body, header)
		if err == nil && header != githubfake.Sign(secret, body) && !hexEqualFold(header, githubfake.Sign(secret, body)) {
			t.Fatalf("accepted a signature %q that is not the body's", header)
		}
	})
}

func hexEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i]|0x20, b[i]|0x20
		if ca != cb {
			return false
		}
	}
	return true
}
