package githubfake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"
)

// appKey is generated once per test binary: a 2048-bit key takes long
// enough under -race that every test making its own would slow the suite.
var appKey = sync.OnceValues(func() ([]byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), nil
})

// AppKeyPEM returns a GitHub App private key (PEM) for tests.
func AppKeyPEM(t testing.TB) []byte {
	t.Helper()
	pemBytes, err := appKey()
	if err != nil {
		t.Fatalf("generate a test App key: %v", err)
	}
	return pemBytes
}
