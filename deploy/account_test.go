package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deployUser is the unprivileged user CI creates (.ci/run) for deploys.
const deployUser = "wavegate-deploy"

// deployAccount is the account tests run deploys as: only root can switch
// to it. Without root the tests that need it are skipped, except in CI
// (WAVEGATE_REQUIRE_SERVICES=1), which runs as root so that they run.
func deployAccount(t *testing.T) *Account {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("WAVEGATE_REQUIRE_SERVICES") == "1" {
			t.Fatal("running a deploy as another user needs root, and WAVEGATE_REQUIRE_SERVICES=1 requires this test to run")
		}
		t.Skip("running a deploy as another user needs root; run the tests as root (CI does) to check it")
	}
	a, err := LookupAccount(deployUser)
	if err != nil {
		t.Fatalf("%v: create the user as .ci/run does: useradd --system --no-create-home --shell /usr/sbin/nologin %s", err, deployUser)
	}
	return a
}

// accountDir is a directory the account owns, outside t.TempDir(), whose
// parents only root may enter.
func accountDir(t *testing.T, a *Account) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wavegate-deploy-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, int(a.UID), int(a.GID)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLookupAccount(t *testing.T) {
	root, err := LookupAccount("root")
	if err != nil || root.UID != 0 || root.GID != 0 || root.Name != "root" || root.Home == "" {
		t.Errorf("LookupAccount(root) = %+v, %v", root, err)
	}
	if _, err := LookupAccount("wavegate-no-such-user"); err == nil || !strings.Contains(err.Error(), `"wavegate-no-such-user"`) {
		t.Errorf("LookupAccount of a missing user: %v", err)
	}
}

func TestCommandRunsAsTheAccount(t *testing.T) {
	a := deployAccount(t)
	dir := accountDir(t, a)
	c := Command{
		Argv:    []string{script(t, dir, "deploy.sh", `echo "$(id -u) $(id -g) [$(id -G)] $HOME $USER $LOGNAME $PWD"`)},
		Dir:     dir,
		Env:     append(baseEnv(), "HOME=/root", "USER=root", "LOGNAME=root"),
		Account: a,
	}
	res := c.Run(context.Background(), request())
	var groups []string
	for _, g := range append([]uint32{a.GID}, a.Groups...) {
		if s := strconv.FormatUint(uint64(g), 10); !slices.Contains(groups, s) {
			groups = append(groups, s)
		}
	}
	want := fmt.Sprintf("%d %d [%s] %s %s %s %s\n", a.UID, a.GID, strings.Join(groups, " "), a.Home, a.Name, a.Name, dir)
	if res.Outcome != Succeeded || res.Output != want {
		t.Errorf("Run = %q %q %q; want succeeded printing %q", res.Outcome, res.Reason, res.Output, want)
	}
}

// The account's own permissions apply: a file only root may read stays
// unread, which is the point of running as the account.
func TestCommandAsTheAccountCannotReadRootsFiles(t *testing.T) {
	a := deployAccount(t)
	dir := accountDir(t, a)
	secret := filepath.Join(t.TempDir(), "github-app.pem")
	if err := os.WriteFile(secret, []byte("-----BEGIN RSA PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Command{Argv: []string{script(t, dir, "deploy.sh", `cat "$1"`), secret}, Env: baseEnv(), Account: a}
	res := c.Run(context.Background(), request())
	if res.Outcome != Failed || strings.Contains(res.Output, "PRIVATE KEY") || !strings.Contains(res.Output, "Permission denied") {
		t.Errorf("Run = %q %q %q; want a failed read", res.Outcome, res.Reason, res.Output)
	}
}

// Switching user must keep the process group: a timeout still stops
// everything the deploy started.
func TestCommandAsTheAccountTimeoutKillsTheWholeGroup(t *testing.T) {
	a := deployAccount(t)
	dir := accountDir(t, a)
	pidFile := filepath.Join(dir, "child.pid")
	c := Command{
		Argv:      []string{script(t, dir, "deploy.sh", "sleep 60 &\necho $! > \"$1\"\nwait\n"), pidFile},
		Env:       baseEnv(),
		Account:   a,
		KillGrace: 700 * time.Millisecond,
	}
	req := request()
	req.Timeout = 200 * time.Millisecond
	res := c.Run(context.Background(), req)
	if res.Outcome != Failed || res.Reason != "killed after the 200ms deploy timeout" {
		t.Errorf("Outcome, Reason = %q, %q; want failed, killed after the 200ms deploy timeout", res.Outcome, res.Reason)
	}
	if child := readPid(t, pidFile); !exitedWithin(t, child, time.Second) {
		syscall.Kill(child, syscall.SIGKILL)
		t.Errorf("the script's child %d outlived the timeout", child)
	}
}
