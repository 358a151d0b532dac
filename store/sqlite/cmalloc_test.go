package sqlite

import (
	"os"
	"runtime"
	"testing"
)

// The setting takes on glibc;
// what it saves is measured by BenchmarkWebhookIntakeProcessed (cmalloc.go).
func TestKeepCHeapTakesOnGlibc(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("glibc only")
	}
	if _, err := os.Stat("/etc/alpine-release"); err == nil {
		t.Skip("musl: nothing to set")
	}
	if !keepCHeap() {
		t.Error("mallopt(M_TRIM_THRESHOLD) was refused or is missing")
	}
}
