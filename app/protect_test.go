package app

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// probeEnv makes the test binary a process that reads its own
// /proc/PID/environ through a child running as its own user (see
// TestMain); "protect" first makes it non-dumpable, as Wavegate does.
const probeEnv = "WAVEGATE_TEST_PROBE"

// probeMarker is in the probe's environment, for its child to find.
const probeMarker = "WAVEGATE_TEST_PROBE_MARKER=a-secret-in-the-environment"

// runProbe prints what a child of the same user read of the probe's
// environment, or why it could not.
func runProbe(protect bool) int {
	if protect {
		if err := ProtectProcess(); err != nil {
			fmt.Println(err)
			return 2
		}
	}
	cmd := exec.Command("/bin/sh", "-c", `tr '\0' '\n' < /proc/$PPID/environ`)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	fmt.Printf("%s(%v)\n", out, err)
	return 0
}

// A deploy command that runs as Wavegate's own user must not read
// Wavegate's environment, where secrets may be: ProtectProcess denies it.
// The control run, without it, shows that the probe would see them.
func TestProtectProcessHidesTheEnvironmentFromTheSameUser(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("PR_SET_DUMPABLE is Linux's")
	}
	exe, cred := os.Args[0], (*syscall.Credential)(nil)
	if os.Geteuid() == 0 {
		// Root reads every process's environment (CAP_SYS_PTRACE), so the
		// probe and its child run as the unprivileged deploy user, from a
		// copy of the test binary that user may run.
		a := requireDeployAccount(t)
		cred = &syscall.Credential{Uid: a.UID, Gid: a.GID, Groups: []uint32{}}
		exe = copyExecutable(t, exe)
	}
	for _, tc := range []struct {
		mode     string
		readable bool
	}{
		{"plain", true},
		{"protect", false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			cmd := exec.Command(exe)
			cmd.Env = []string{probeEnv + "=" + tc.mode, probeMarker, "PATH=/usr/bin:/bin"}
			cmd.Dir = "/"
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("probe: %v\n%s", err, out)
			}
			if got := strings.Contains(string(out), probeMarker); got != tc.readable {
				t.Errorf("the same user's child read the environment: %v, want %v; it got:\n%s", got, tc.readable, out)
			}
			if !tc.readable && !strings.Contains(string(out), "Permission denied") {
				t.Errorf("want the read refused; the child got:\n%s", out)
			}
		})
	}
}

// copyExecutable copies the file at path where every user may run it.
func copyExecutable(t *testing.T, path string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wavegate-probe-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(dir, filepath.Base(path))
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, src); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}
