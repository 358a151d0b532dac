//go:build !linux

package deploy

import (
	"syscall"
	"testing"
	"time"
)

// exitedWithin reports whether process pid is gone. Without pidfds it cannot
// wait, nor tell a zombie from a live process, so it only looks once.
func exitedWithin(t *testing.T, pid int, _ time.Duration) bool {
	t.Helper()
	return syscall.Kill(pid, 0) != nil
}
