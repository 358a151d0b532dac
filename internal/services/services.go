// Package services starts the real programs Wavegate's users run beside
// it — Prometheus and Alertmanager from Debian's packages — on loopback,
// with temporary configurations, for tests. A missing program skips the
// test, or fails it when WAVEGATE_REQUIRE_SERVICES=1 (as in CI).
package services

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// Binary finds the first of names on PATH, or skips (fails, when services
// are required) the test.
func Binary(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("WAVEGATE_REQUIRE_SERVICES") == "1" {
		t.Fatalf("%v not found, and WAVEGATE_REQUIRE_SERVICES=1 requires it", names)
	}
	t.Skipf("%v not found; skipping (install it, or set WAVEGATE_REQUIRE_SERVICES=1 to make this a failure)", names)
	return ""
}

// FreeAddr returns a loopback address nothing listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free loopback port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}
