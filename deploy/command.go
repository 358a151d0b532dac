package deploy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
)

// DefaultKillGrace is how long a stopped program has between SIGTERM and
// SIGKILL when Command.KillGrace is zero.
const DefaultKillGrace = 10 * time.Second

// Command is the deployer that runs a local program for each step: one of
// the deployers the operator defines in Wavegate's config file, which a
// pipeline selects with {command: NAME}. Its zero value needs only Argv.
type Command struct {
	// Argv is the program and its arguments. A program name with a slash that
	// is not absolute is relative to Dir; one without a slash is looked up in
	// PATH, as a shell would.
	Argv []string
	// Dir is the program's working directory. "" means Wavegate's.
	Dir string
	// Env is the base environment; nil means os.Environ(). Every WAVEGATE_*
	// variable in it is dropped before the step's own are added, because
	// Wavegate's settings are configured through such variables, and so is
	// every variable whose value holds one of Secrets.
	Env []string
	// Secrets are Wavegate's own secret values, which no variable of the
	// base environment may carry into the program, whatever its name.
	Secrets []string
	// SetEnv is the operator's environment for this deployer, added after
	// the base and before the step's WAVEGATE_* variables. Its keys must
	// not start with WAVEGATE_ (checked where it is configured).
	SetEnv map[string]string
	// Account, when set, is the user the program runs as, with HOME, USER
	// and LOGNAME set for it: Wavegate runs as root and its deploys must not.
	Account *Account
	// Timeout, when positive, caps the step's own timeout: the smaller wins.
	Timeout time.Duration
	// KillGrace is how long the program's process group has to exit after
	// SIGTERM before it gets SIGKILL; 0 means DefaultKillGrace. It also bounds
	// how long output is still read after the program exits when something
	// it left running holds the output open.
	KillGrace time.Duration
	// Clock stamps Result.Started and Finished; nil means the real clock. The
	// timeout and the kill grace are real timers whatever the clock, because
	// the program runs in real time.
	Clock clock.Clock
}

// Run runs the program for req and returns when it has exited or been
// killed. It never returns an error: whatever went wrong is the Result's
// Reason. When the timeout passes (req.Timeout, or the smaller
// c.Timeout), or ctx is done (Wavegate shutting down),
// the program's whole process group gets SIGTERM, then SIGKILL after
// KillGrace, and Run returns once the group is gone or killed.
func (c Command) Run(ctx context.Context, req Request) Result {
	clk := c.Clock
	if clk == nil {
		clk = clock.Real()
	}
	grace := c.KillGrace
	if grace <= 0 {
		grace = DefaultKillGrace
	}
	res := Result{Started: clk.Now()}
	finish := func(o Outcome, reason string) Result {
		res.Outcome, res.Reason, res.Finished = o, reason, clk.Now()
		return res
	}

	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return finish(Failed, "could not start: no command is configured")
	}
	name := c.Argv[0]
	env, err := c.environ(req)
	if err != nil {
		return finish(Failed, fmt.Sprintf("could not start %s: %v", name, err))
	}
	// The operator's cap and the pipeline's deploy_timeout: the smaller wins.
	timeout := req.Timeout
	if c.Timeout > 0 && (timeout <= 0 || c.Timeout < timeout) {
		timeout = c.Timeout
	}

	runCtx := ctx
	// A cause private to this run tells the timeout from a cancelled ctx
	// even when both happen.
	timedOut := fmt.Errorf("deploy timeout of %s passed", timeout)
	if timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeoutCause(ctx, timeout, timedOut)
		defer cancel()
	}

	path := name
	if strings.Contains(path, "/") && !filepath.IsAbs(path) && c.Dir != "" {
		path = filepath.Join(c.Dir, path)
	}
	cmd := exec.CommandContext(runCtx, path, c.Argv[1:]...)
	cmd.Args[0] = name
	cmd.Dir = c.Dir
	cmd.Env = env
	out := newTail(OutputTail)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group lets one signal reach everything the program
	// started, and keeps a terminal's Ctrl-C meant for Wavegate from reaching
	// it directly: Wavegate decides how its deploys stop.
	cmd.SysProcAttr = processAttrs(c.Account.credential())

	var stopping bool
	var stoppedAt time.Time
	cmd.Cancel = func() error {
		err := signalGroup(cmd.Process.Pid, syscall.SIGTERM)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		stopping, stoppedAt = true, time.Now()
		return err
	}
	// exec SIGKILLs the leader and closes the pipes when this passes; the
	// rest of the group is killed below.
	cmd.WaitDelay = grace

	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return finish(Interrupted, "interrupted: Wavegate is shutting down")
		}
		if runCtx.Err() != nil {
			return finish(Failed, fmt.Sprintf("the %s deploy timeout passed before %s started", timeout, name))
		}
		return finish(Failed, fmt.Sprintf("could not start %s: %s", name, startReason(err)))
	}
	waitErr := cmd.Wait()
	res.Output = out.String()

	// stopping and stoppedAt were written by Cancel, which exec runs and
	// finishes before Wait returns.
	if stopping {
		reapGroup(cmd.Process.Pid, stoppedAt.Add(grace))
		if errors.Is(context.Cause(runCtx), timedOut) {
			return finish(Failed, fmt.Sprintf("killed after the %s deploy timeout", timeout))
		}
		return finish(Interrupted, "interrupted: Wavegate is shutting down")
	}
	switch st := cmd.ProcessState; {
	case st == nil:
		return finish(Failed, fmt.Sprintf("could not wait for %s: %v", name, waitErr))
	case st.Success():
		// ErrWaitDelay only says something it left running kept the output
		// open; the program itself succeeded.
		return finish(Succeeded, "")
	default:
		return finish(Failed, st.String())
	}
}

// startReason is the part of a start error a human needs: the program's name
// is already in the report, the absolute path and "fork/exec" are noise.
func startReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err.Error()
	}
	return err.Error()
}
