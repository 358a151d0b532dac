package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/serverconfig"
)

// childEnv makes the test binary run as a Wavegate process (see TestMain):
// the crash test kills real processes, and the deploy isolation test needs
// a Wavegate whose /proc entries a deploy can try to read.
const childEnv = "WAVEGATE_TEST_CHILD"

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(childEnv) == "1":
		os.Exit(runChild())
	case os.Getenv(probeEnv) != "":
		os.Exit(runProbe(os.Getenv(probeEnv) == "protect"))
	}
	os.Exit(m.Run())
}

// runChild is `wavegate serve`, configured from the environment and the
// arguments after "--".
func runChild() int {
	var args []string
	if i := slices.Index(os.Args, "--"); i >= 0 {
		args = os.Args[i+1:]
	}
	cfg, err := serverconfig.ParseConfig(args, os.Getenv, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := ProtectProcess(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	logger, err := serverconfig.NewLogger(cfg, os.Stderr)
	if err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	a, err := New(ctx, cfg, Options{Logger: logger, WorkDir: os.Getenv("WAVEGATE_TEST_WORKDIR")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := a.Run(ctx); err != nil {
		return 1
	}
	return 0
}

// crashScript records each step once it has run. The step named CRASH_STEP,
// the first time it is about to run, asks the test to kill Wavegate
// (SIGKILL: no shutdown, no bookkeeping) and stops, doing nothing. It cannot
// kill Wavegate itself: it runs as the unprivileged deploy user when the
// tests run as root. The step named HOLD_STEP, the one running beside the
// crash, holds until the crash, so that it is mid-way when the crash comes
// whatever the machine's load: a step that had finished but
// whose result the dying process had not recorded is rightly run again,
// which is not what this test is about. After the restart it runs through.
const crashScript = `#!/bin/sh
dir=$(dirname "$0")
step="$WAVEGATE_TARGET $WAVEGATE_VARIANT"
if [ ! -e "$dir/restarted" ]; then
  if [ "$step" = "$CRASH_STEP" ]; then
    # The step beside the crash must be under way when it comes.
    if [ -n "$HOLD_STEP" ]; then
      while [ ! -e "$dir/held.started" ]; do sleep 0.05; done
    fi
    touch "$dir/crashed"
    # The test reads the FIFO and kills Wavegate; the kernel then kills this
    # script (its parent-death signal), stopped where it stands.
    echo crash > "$dir/crash.fifo"
    kill -STOP $$
    exit 1
  fi
  if [ "$step" = "$HOLD_STEP" ]; then
    # Held open while this script lives: the test reads the FIFO to its end
    # to know that the step is gone. Its sleeps do not inherit it.
    exec 3> "$dir/held.fifo"
    touch "$dir/held.started"
    while [ ! -e "$dir/crashed" ]; do sleep 0.05 3>&-; done
    # Far longer than the test takes to kill Wavegate: this step dies with
    # it, or, were it to outlive it, finishes unrecorded and is run again.
    sleep 5 3>&-
  fi
fi
echo "$WAVEGATE_ACTION $step $WAVEGATE_SHA" >> "$dir/invocations.log"
`

const crashPipeline = `pipelines:
  app:
    branch: release
    deployer: {command: deploy}
    stages:
      - {name: one, targets: [t1], bake: 0s}
      - {name: two, targets: [t2a, t2b], parallel: 2, onebox: true, bake: 0s}
`

// child is one Wavegate process under test.
type child struct {
	cmd   *exec.Cmd
	url   string
	lines chan map[string]any // its JSON log records
}

func startChild(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan map[string]any, 1000)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil {
				c.lines <- rec
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	rec := c.await(t, func(rec map[string]any) bool { return rec["msg"] == "Wavegate listening" })
	c.url = "http://" + rec["address"].(string)
	return c
}

// await reads the child's log until match, failing if the child exits first.
func (c *child) await(t *testing.T, match func(map[string]any) bool) map[string]any {
	t.Helper()
	timeout := time.After(30 * time.Second) // deadlock guard only
	for {
		select {
		case rec, ok := <-c.lines:
			if !ok {
				t.Fatal("the Wavegate process exited before the awaited log line")
			}
			if match(rec) {
				return rec
			}
		case <-timeout:
			t.Fatal("the awaited log line never came")
		}
	}
}

func TestCrashBeforeEachStepLosesAndRepeatsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	want := []string{
		"deploy t1 full c1",
		"deploy t2a onebox c1", "deploy t2b onebox c1",
		"deploy t2a full c1", "deploy t2b full c1",
	}
	// Each crash, and the step that is running beside it (the other target
	// of the parallel stage), which the script holds until the crash.
	crashes := []struct{ crash, beside string }{
		{"t1 full", ""},
		{"t2a onebox", "t2b onebox"},
		{"t2b onebox", "t2a onebox"},
		{"t2a full", "t2b onebox"},
		{"t2b full", "t2a full"},
	}
	for crashAt, tc := range crashes {
		t.Run(fmt.Sprintf("before step %d", crashAt+1), func(t *testing.T) {
			fake := newFake(t)
			fake.AddCommit("acme/api", githubfake.Commit{SHA: "c1"})
			fake.SetFile("acme/api", "c1", ".github/wavegate.yml", crashPipeline)
			workDir, deployers := deployWorkDir(t)
			if err := os.WriteFile(filepath.Join(workDir, "deploy.sh"), []byte(crashScript), 0o755); err != nil {
				t.Fatal(err)
			}
			fifo, heldFIFO := scriptFIFO(t, workDir, "crash.fifo"), scriptFIFO(t, workDir, "held.fifo")
			heldGone := make(chan error, 1)
			if tc.beside == "" {
				heldGone <- nil
			} else {
				go func() {
					// Opens once the held step has; ends once it is gone.
					_, err := os.ReadFile(heldFIFO)
					heldGone <- err
				}()
			}
			cfg := newConfig(t, fake, true)
			env := []string{
				childEnv + "=1", "WAVEGATE_TEST_WORKDIR=" + workDir, "CRASH_STEP=" + tc.crash, "HOLD_STEP=" + tc.beside,
				"WAVEGATE_LISTEN=127.0.0.1:0", "WAVEGATE_DATA_DIR=" + cfg.DataDir, "WAVEGATE_LOG_FORMAT=json",
				"WAVEGATE_GITHUB_API_URL=" + cfg.GitHubAPIURL, "WAVEGATE_GITHUB_APP_ID=1",
				"WAVEGATE_GITHUB_PRIVATE_KEY=" + cfg.GitHubPrivateKey, "WAVEGATE_GITHUB_WEBHOOK_SECRET=" + testSecret,
				"WAVEGATE_CONFIG=" + writeDeployersFile(t, deployers),
			}
			c := startChild(t, env)
			crash := make(chan error, 1)
			go func() {
				_, err := os.ReadFile(fifo) // returns once the script has written
				crash <- err
			}()
			push := `{"ref":"refs/heads/release","before":"c0","after":"c1","installation":{"id":1},` +
				`"repository":{"id":9,"name":"api","full_name":"acme/api","default_branch":"main","owner":{"login":"acme"}},` +
				`"commits":[{"id":"c1","modified":["a.go"]}]}`
			resp, err := githubfake.Deliver(t.Context(), c.url+"/webhooks/github", []byte(testSecret), "push", "p-1", []byte(push))
			if err != nil || resp.StatusCode != http.StatusAccepted {
				t.Fatalf("push: %v %v", resp, err)
			}
			resp.Body.Close()
			// The script asks for the crash before step crashAt runs.
			select {
			case err := <-crash:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(30 * time.Second): // deadlock guard only
				_ = c.cmd.Process.Kill()
				t.Fatal("the crash was never asked for")
			}
			if err := c.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			if err := c.cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("the process ended with %v, want killed", err)
			}
			if _, err := os.Stat(filepath.Join(workDir, "crashed")); err != nil {
				t.Fatalf("the crash never happened: %v", err)
			}
			// A new process takes over from what the dead one left.
			if err := os.WriteFile(filepath.Join(workDir, "restarted"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			c = startChild(t, env)
			c.await(t, func(rec map[string]any) bool { return rec["decision"] == "released" })
			_ = c.cmd.Process.Signal(syscall.SIGTERM)
			_ = c.cmd.Wait()

			select {
			case err := <-heldGone:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(30 * time.Second): // deadlock guard only
				t.Fatal("the step held beside the crash never ended")
			}
			data, err := os.ReadFile(filepath.Join(workDir, "invocations.log"))
			if err != nil {
				t.Fatal(err)
			}
			// Steps of the parallel stage run in either order after the restart.
			got := strings.Split(strings.TrimSpace(string(data)), "\n")
			slices.Sort(got)
			if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
				t.Fatalf("steps run:\n%s\nwant each exactly once:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// scriptFIFO makes a FIFO in dir that the deploy script, which may run as
// another user, can open.
func scriptFIFO(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := syscall.Mkfifo(path, 0o666); err != nil {
		t.Fatal(err)
	}
	// Mkfifo's mode is cut by the umask.
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	return path
}
