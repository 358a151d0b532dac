package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// Reasons a webhook signature is refused; they label the rejected-deliveries metric.
var (
	errSignatureMissing   = errors.New("missing X-Hub-Signature-256 header")
	errSignatureMalformed = errors.New("malformed X-Hub-Signature-256 header: want sha256=<64 hex digits>")
	errSignatureMismatch  = errors.New("X-Hub-Signature-256 does not match the payload")
)

const signaturePrefix = "sha256="

// VerifySignature checks GitHub's X-Hub-Signature-256 header against body in
// constant time. Only SHA-256 is accepted: the legacy SHA-1 header is not
// enough on its own.
func VerifySignature(secret, body []byte, header string) error {
	if header == "" {
		return errSignatureMissing
	}
	hexSum, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok || len(hexSum) != sha256.Size*2 {
		return errSignatureMalformed
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return errSignatureMalformed
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errSignatureMismatch
	}
	return nil
}
