package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wavegate/wavegate/internal/clock"
)

var start = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// script writes an executable shell script into dir and returns its path.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func request() Request {
	return Request{
		Key:         "step-42",
		Repository:  "acme/shop",
		Release:     "17",
		Pipeline:    "main",
		Stage:       "prod",
		Target:      "eu-west-1",
		Action:      ActionDeploy,
		Variant:     VariantOnebox,
		SHA:         "1111111111111111111111111111111111111111",
		PreviousSHA: "",
	}
}

// baseEnv is the least a script needs, so tests do not depend on the
// environment they run in.
func baseEnv() []string { return []string{"PATH=" + os.Getenv("PATH")} }

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the script did not record its child: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %q: %v", b, err)
	}
	return pid
}

func envMap(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the script did not write its environment: %v", err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	return env
}

func TestCommandSucceedsWithTheStepEnvironment(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	deploy := script(t, dir, "deploy.sh", `env > "$1"; echo deployed`)
	fake := clock.NewFake(start)
	c := Command{
		Argv: []string{deploy, envFile},
		Env: append(baseEnv(),
			"KEEP_ME=yes",
			"WAVEGATE_GITHUB_WEBHOOK_SECRET=hunter2",
			"WAVEGATE_RELEASE=stale",
		),
		Clock: fake,
	}

	res := c.Run(context.Background(), request())

	if res.Outcome != Succeeded || res.Reason != "" || res.Output != "deployed\n" {
		t.Fatalf("Run = %+v, want succeeded with output %q", res, "deployed\n")
	}
	if !res.Started.Equal(start) || !res.Finished.Equal(start) {
		t.Errorf("Started, Finished = %v, %v; want both from the injected clock, %v", res.Started, res.Finished, start)
	}
	env := envMap(t, envFile)
	want := map[string]string{
		"WAVEGATE_REPOSITORY":   "acme/shop",
		"WAVEGATE_PIPELINE":     "main",
		"WAVEGATE_RELEASE":      "17",
		"WAVEGATE_STAGE":        "prod",
		"WAVEGATE_TARGET":       "eu-west-1",
		"WAVEGATE_ACTION":       "deploy",
		"WAVEGATE_VARIANT":      "onebox",
		"WAVEGATE_SHA":          "1111111111111111111111111111111111111111",
		"WAVEGATE_PREVIOUS_SHA": "",
	}
	for k, v := range env {
		if strings.HasPrefix(k, "WAVEGATE_") {
			if wv, ok := want[k]; !ok || wv != v {
				t.Errorf("the script saw %s=%q; want only the step's WAVEGATE_* variables", k, v)
			}
		}
	}
	for k, v := range want {
		if got, ok := env[k]; !ok || got != v {
			t.Errorf("%s = %q (set: %v), want %q", k, got, ok, v)
		}
	}
	if env["KEEP_ME"] != "yes" {
		t.Errorf("KEEP_ME = %q; the rest of the base environment must pass through", env["KEEP_ME"])
	}
}

// The default base environment is Wavegate's own, which holds its secrets.
func TestCommandHidesWavegateSecretsFromTheInheritedEnvironment(t *testing.T) {
	t.Setenv("WAVEGATE_SLACK_BOT_TOKEN", "xoxb-secret")
	t.Setenv("WAVEGATE_GITHUB_PRIVATE_KEY", "-----BEGIN")
	t.Setenv("DEPLOY_REGION", "eu")
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	c := Command{Argv: []string{script(t, dir, "deploy.sh", `env > "$1"`), envFile}}

	if res := c.Run(context.Background(), request()); res.Outcome != Succeeded {
		t.Fatalf("Run = %+v, want succeeded", res)
	}
	env := envMap(t, envFile)
	for _, secret := range []string{"WAVEGATE_SLACK_BOT_TOKEN", "WAVEGATE_GITHUB_PRIVATE_KEY"} {
		if v, ok := env[secret]; ok {
			t.Errorf("the script saw %s=%q", secret, v)
		}
	}
	if env["DEPLOY_REGION"] != "eu" || env["WAVEGATE_TARGET"] != "eu-west-1" {
		t.Errorf("DEPLOY_REGION, WAVEGATE_TARGET = %q, %q; want eu, eu-west-1", env["DEPLOY_REGION"], env["WAVEGATE_TARGET"])
	}
}

func TestCommandFailsWithTheExitStatusAndOutput(t *testing.T) {
	dir := t.TempDir()
	c := Command{
		Argv: []string{script(t, dir, "deploy.sh", "echo migrating\necho 'migration 7 failed' >&2\nexit 3\n")},
		Env:  baseEnv(),
	}

	res := c.Run(context.Background(), request())

	if res.Outcome != Failed || res.Reason != "exit status 3" {
		t.Errorf("Outcome, Reason = %q, %q; want failed, exit status 3", res.Outcome, res.Reason)
	}
	if want := "migrating\nmigration 7 failed\n"; res.Output != want {
		t.Errorf("Output = %q, want stdout and stderr together, %q", res.Output, want)
	}
}

func TestCommandReportsASignal(t *testing.T) {
	dir := t.TempDir()
	c := Command{Argv: []string{script(t, dir, "deploy.sh", "kill -KILL $$\n")}, Env: baseEnv()}

	if res := c.Run(context.Background(), request()); res.Outcome != Failed || res.Reason != "signal: killed" {
		t.Errorf("Outcome, Reason = %q, %q; want failed, signal: killed", res.Outcome, res.Reason)
	}
}

func TestCommandKeepsOnlyTheEndOfLargeOutput(t *testing.T) {
	dir := t.TempDir()
	// 1 MiB and a bit of two-byte runes, so the cut can land inside one.
	c := Command{
		Argv: []string{script(t, dir, "deploy.sh", "yes 'déploiement' | head -n 80000\necho the end\n")},
		Env:  baseEnv(),
	}

	res := c.Run(context.Background(), request())

	if res.Outcome != Succeeded {
		t.Fatalf("Run = %q %q, want succeeded", res.Outcome, res.Reason)
	}
	full := strings.Repeat("déploiement\n", 80000) + "the end\n"
	if len(res.Output) > OutputTail || len(res.Output) < OutputTail-2*utf8.UTFMax {
		t.Errorf("len(Output) = %d, want the last %d bytes", len(res.Output), OutputTail)
	}
	if !strings.HasPrefix(res.Output, "…") || !strings.HasSuffix(full, strings.TrimPrefix(res.Output, "…")) {
		t.Errorf("Output is not the marked end of the output: %q...", res.Output[:40])
	}
	if !utf8.ValidString(res.Output) {
		t.Errorf("Output splits a rune: %q...", res.Output[:40])
	}
}

func TestCommandThatCannotStartFails(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plain.sh"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"not executable", []string{"./plain.sh"}, "could not start ./plain.sh: permission denied"},
		{"missing", []string{"./missing.sh", "--now"}, "could not start ./missing.sh: no such file or directory"},
		{"not in PATH", []string{"wavegate-no-such-deployer"}, "could not start wavegate-no-such-deployer: executable file not found in $PATH"},
		{"no argv", nil, "could not start: no command is configured"},
		{"empty program", []string{""}, "could not start: no command is configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := clock.NewFake(start)
			c := Command{Argv: tt.argv, Dir: dir, Env: baseEnv(), Clock: fake}
			res := c.Run(context.Background(), request())
			if res.Outcome != Failed || res.Reason != tt.want {
				t.Errorf("Outcome, Reason = %q, %q; want failed, %q", res.Outcome, res.Reason, tt.want)
			}
			if !res.Started.Equal(start) || !res.Finished.Equal(start) {
				t.Errorf("Started, Finished = %v, %v; want %v", res.Started, res.Finished, start)
			}
		})
	}
}

func TestCommandRelativeProgramIsRelativeToDir(t *testing.T) {
	dir := t.TempDir()
	script(t, dir, "bin/deploy.sh", "pwd; echo \"$PWD\"\n")
	for _, argv0 := range []string{"bin/deploy.sh", "./bin/deploy.sh"} {
		c := Command{Argv: []string{argv0}, Dir: dir, Env: append(baseEnv(), "PWD=/elsewhere")}
		res := c.Run(context.Background(), request())
		if want := dir + "\n" + dir + "\n"; res.Outcome != Succeeded || res.Output != want {
			t.Errorf("%s: Run = %q %q %q; want succeeded in %s", argv0, res.Outcome, res.Reason, res.Output, dir)
		}
	}
}

func TestCommandTimeoutKillsTheWholeGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	c := Command{
		Argv:      []string{script(t, dir, "deploy.sh", "sleep 60 &\necho $! > \"$1\"\necho started\nwait\n"), pidFile},
		Env:       baseEnv(),
		KillGrace: 700 * time.Millisecond,
	}
	req := request()
	req.Timeout = 200 * time.Millisecond

	began := time.Now()
	res := c.Run(context.Background(), req)
	took := time.Since(began)

	if res.Outcome != Failed || res.Reason != "killed after the 200ms deploy timeout" {
		t.Errorf("Outcome, Reason = %q, %q; want failed, killed after the 200ms deploy timeout", res.Outcome, res.Reason)
	}
	if res.Output != "started\n" {
		t.Errorf("Output = %q, want %q", res.Output, "started\n")
	}
	// Everything exits on SIGTERM, so Run must not wait out the grace.
	if took < req.Timeout || took >= req.Timeout+c.KillGrace {
		t.Errorf("Run took %v, want just past the %v timeout", took, req.Timeout)
	}
	if child := readPid(t, pidFile); !exitedWithin(t, child, time.Second) {
		syscall.Kill(child, syscall.SIGKILL)
		t.Errorf("the script's child %d outlived the timeout", child)
	}
}

func TestCommandKillsWhatIgnoresSIGTERMAfterTheGrace(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	// The script notes SIGTERM and carries on; its child ignores it outright.
	body := `trap 'echo ignoring TERM' TERM
sh -c 'trap "" TERM; exec sleep 60' &
echo $! > "$1"
while :; do wait; done
`
	c := Command{
		Argv:      []string{script(t, dir, "deploy.sh", body), pidFile},
		Env:       baseEnv(),
		KillGrace: 300 * time.Millisecond,
	}
	req := request()
	req.Timeout = 100 * time.Millisecond

	began := time.Now()
	res := c.Run(context.Background(), req)
	took := time.Since(began)

	if res.Outcome != Failed || res.Reason != "killed after the 100ms deploy timeout" {
		t.Errorf("Outcome, Reason = %q, %q; want failed, killed after the 100ms deploy timeout", res.Outcome, res.Reason)
	}
	if !strings.Contains(res.Output, "ignoring TERM") {
		t.Errorf("Output = %q; SIGTERM should have come first", res.Output)
	}
	if took < req.Timeout+c.KillGrace || took > time.Second {
		t.Errorf("Run took %v, want just past timeout + grace, %v", took, req.Timeout+c.KillGrace)
	}
	if child := readPid(t, pidFile); !exitedWithin(t, child, time.Second) {
		syscall.Kill(child, syscall.SIGKILL)
		t.Errorf("the child %d that ignored SIGTERM outlived the grace", child)
	}
}

func TestCommandInterruptedWhenWavegateShutsDown(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "started")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	c := Command{
		Argv:      []string{script(t, dir, "deploy.sh", "echo started > \"$1\"\nsleep 60 &\nwait\n"), fifo},
		Env:       baseEnv(),
		KillGrace: 300 * time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan Result, 1)
	go func() { done <- c.Run(ctx, request()) }()

	// Reading the FIFO waits until the script is running.
	if b, err := os.ReadFile(fifo); err != nil || string(b) != "started\n" {
		t.Fatalf("reading the script's signal: %q, %v", b, err)
	}
	cancel()
	res := <-done

	if res.Outcome != Interrupted || res.Reason != "interrupted: Wavegate is shutting down" {
		t.Errorf("Outcome, Reason = %q, %q; want interrupted", res.Outcome, res.Reason)
	}
}

func TestCommandDoesNotStartWhenAlreadyShuttingDown(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	c := Command{Argv: []string{script(t, dir, "deploy.sh", `touch "$1"`), marker}, Env: baseEnv()}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	res := c.Run(ctx, request())

	if res.Outcome != Interrupted {
		t.Errorf("Outcome, Reason = %q, %q; want interrupted", res.Outcome, res.Reason)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the script ran although Wavegate was already shutting down")
	}
}

// A script may leave something running that keeps the output open; the step
// still ends when the script does, give or take the grace for its output.
func TestCommandSucceedsWhenALeftoverHoldsTheOutput(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	c := Command{
		Argv:      []string{script(t, dir, "deploy.sh", "sleep 60 &\necho $! > \"$1\"\necho done\n"), pidFile},
		Env:       baseEnv(),
		KillGrace: 200 * time.Millisecond,
	}

	res := c.Run(context.Background(), request())
	t.Cleanup(func() { syscall.Kill(readPid(t, pidFile), syscall.SIGKILL) })

	if res.Outcome != Succeeded || res.Output != "done\n" {
		t.Errorf("Run = %q %q %q; want succeeded with %q", res.Outcome, res.Reason, res.Output, "done\n")
	}
}

// The operator's variables come after the inherited ones, the step's after
// the operator's, and the repository's inputs last, each under its own
// prefix so that an input can never pose as the step's variables.
func TestCommandEnvironmentLayers(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	c := Command{
		Argv: []string{script(t, dir, "deploy.sh", `env > "$1"`), envFile},
		Env: append(baseEnv(),
			"REGION=inherited", "KUBECONFIG=/home/wavegate/.kube/config",
			"SLACK_TOKEN_COPY=xoxb-secret", "PEM_FOR_TOOL=---BEGIN---secret-key---END---",
		),
		SetEnv:  map[string]string{"REGION": "eu-west-1", "AWS_PROFILE": "deploy"},
		Secrets: []string{"xoxb-secret", "secret-key", ""},
	}
	req := request()
	req.Inputs = map[string]string{"CLUSTER": "blue", "FLAGS": "--fast --dry-run", "TARGET": "not the step's"}
	if res := c.Run(context.Background(), req); res.Outcome != Succeeded {
		t.Fatalf("Run = %+v, want succeeded", res)
	}
	env := envMap(t, envFile)
	for k, want := range map[string]string{
		"REGION":                 "eu-west-1",
		"AWS_PROFILE":            "deploy",
		"KUBECONFIG":             "/home/wavegate/.kube/config",
		"WAVEGATE_INPUT_CLUSTER": "blue",
		"WAVEGATE_INPUT_FLAGS":   "--fast --dry-run",
		"WAVEGATE_INPUT_TARGET":  "not the step's",
		"WAVEGATE_TARGET":        "eu-west-1",
	} {
		if got, ok := env[k]; !ok || got != want {
			t.Errorf("%s = %q (set: %v), want %q", k, got, ok, want)
		}
	}
	// Whatever their names, variables carrying Wavegate's secrets stay behind.
	for _, k := range []string{"SLACK_TOKEN_COPY", "PEM_FOR_TOOL"} {
		if v, ok := env[k]; ok {
			t.Errorf("the script saw %s=%q", k, v)
		}
	}
}

func TestCommandRefusesAnInputThatIsNotAVariableName(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	c := Command{Argv: []string{script(t, dir, "deploy.sh", `touch "$1"`), marker}, Env: baseEnv()}
	for _, inputs := range []map[string]string{{"X=Y": "z"}, {"lower": "z"}, {"A": "x\x00y"}, {"": "z"}} {
		req := request()
		req.Inputs = inputs
		if res := c.Run(context.Background(), req); res.Outcome != Failed || !strings.Contains(res.Reason, "cannot be passed as an environment variable") {
			t.Errorf("inputs %q: Run = %q %q, want failed", inputs, res.Outcome, res.Reason)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the script ran with inputs it cannot be given")
	}
}

// The operator's timeout caps the pipeline's deploy_timeout: the smaller
// one stops the deploy, whichever it is.
func TestCommandTimeoutIsTheSmallerOfTheOperatorsAndThePipelines(t *testing.T) {
	dir := t.TempDir()
	deploy := script(t, dir, "deploy.sh", "exec sleep 60\n")
	for _, tc := range []struct {
		name               string
		operator, pipeline time.Duration
		want               string
	}{
		{"operator's smaller", 150 * time.Millisecond, time.Hour, "killed after the 150ms deploy timeout"},
		{"pipeline's smaller", time.Hour, 150 * time.Millisecond, "killed after the 150ms deploy timeout"},
		{"operator's alone", 150 * time.Millisecond, 0, "killed after the 150ms deploy timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Command{Argv: []string{deploy}, Env: baseEnv(), Timeout: tc.operator, KillGrace: 500 * time.Millisecond}
			req := request()
			req.Timeout = tc.pipeline
			if res := c.Run(context.Background(), req); res.Outcome != Failed || res.Reason != tc.want {
				t.Errorf("Outcome, Reason = %q, %q; want failed, %q", res.Outcome, res.Reason, tc.want)
			}
		})
	}
}
