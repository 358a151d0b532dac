package app

import (
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/wavegate/wavegate/internal/appcreds"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
)

// probeScript tries what a hostile deploy would: Wavegate's environment
// and command line through /proc, the App's key and the webhook secret's
// file; and it records what it got, and its own environment.
const probeScript = `#!/bin/sh
{
  echo "== uid"; id -u
  echo "== environ"; tr '\0' '\n' < /proc/$PPID/environ
  echo "== cmdline"; tr '\0' ' ' < /proc/$PPID/cmdline; echo
  echo "== key"; cat "$KEY_FILE"
  echo "== credentials"; cat "$CREDENTIALS_FILE"
  echo "== secret file"; cat "$SECRET_FILE"
  echo "== env"; env
  echo "== end"
} > "$(dirname "$0")/report" 2>&1
exit 0
`

// The attack: a repository's deploy reads the webhook secret from
// Wavegate's command line, the Slack token from its environment and the
// App's key from the data directory. Against a real Wavegate process,
// given its secrets the recommended way (a file, the environment, the data
// directory), running as root with a deployer whose user: is the
// unprivileged deploy user, the deploy gets none of them.
func TestDeployCommandCannotReadWavegatesSecrets(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if os.Geteuid() != 0 {
		if os.Getenv("WAVEGATE_REQUIRE_SERVICES") == "1" {
			t.Fatal("this test runs deploys as another user, which needs root; WAVEGATE_REQUIRE_SERVICES=1 requires it to run")
		}
		t.Skip("this test runs deploys as another user, which needs root; run the tests as root (CI does)")
	}
	if testing.Short() {
		t.Skip("starts real processes")
	}
	const (
		slackToken    = "xoxb-isolation-test-token"
		webhookSecret = "webhook-secret-for-the-isolation-test"
	)
	account := requireDeployAccount(t)
	key := githubfake.AppKeyPEM(t)
	keyLine := strings.Split(string(key), "\n")[1] // a line of the key's body

	fake := newFake(t)
	fake.AddCommit("acme/api", githubfake.Commit{SHA: "c1"})
	fake.SetFile("acme/api", "c1", ".github/wavegate.yml", `pipelines:
  app:
    branch: release
    deployer: {command: probe, inputs: {CLUSTER: blue, FLAGS: "--fast"}}
    stages:
      - {name: one, targets: [t1], bake: 0s}
`)
	dataDir := t.TempDir()
	if err := appcreds.Save(dataDir, appcreds.Credentials{AppID: 1, Slug: "wavegate", WebhookSecret: webhookSecret, PrivateKeyPEM: key}); err != nil {
		t.Fatal(err)
	}
	secretFile := filepath.Join(t.TempDir(), "webhook-secret")
	if err := os.WriteFile(secretFile, []byte(webhookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	probeDir, _ := deployWorkDir(t)
	if err := os.WriteFile(filepath.Join(probeDir, "probe.sh"), []byte(probeScript), 0o755); err != nil {
		t.Fatal(err)
	}
	serverConfig := writeDeployersFile(t, map[string]DeployerConfig{"probe": {
		Command: []string{filepath.Join(probeDir, "probe.sh")}, User: testDeployUser, Dir: probeDir,
		Env: map[string]string{
			"KEY_FILE":         filepath.Join(dataDir, appcreds.PEMFile),
			"CREDENTIALS_FILE": filepath.Join(dataDir, appcreds.JSONFile),
			"SECRET_FILE":      secretFile,
		},
	}})

	c := startChild(t, []string{
		childEnv + "=1", "WAVEGATE_LISTEN=127.0.0.1:0", "WAVEGATE_DATA_DIR=" + dataDir, "WAVEGATE_LOG_FORMAT=json",
		"WAVEGATE_GITHUB_API_URL=" + fake.URL(), "WAVEGATE_CONFIG=" + serverConfig,
		"WAVEGATE_SLACK_BOT_TOKEN=" + slackToken, "WAVEGATE_SLACK_API_URL=http://127.0.0.1:1/",
	}, "--github-webhook-secret-file", secretFile)
	push := `{"ref":"refs/heads/release","before":"c0","after":"c1","installation":{"id":1},` +
		`"repository":{"id":9,"name":"api","full_name":"acme/api","default_branch":"main","owner":{"login":"acme"}},` +
		`"commits":[{"id":"c1","modified":["a.go"]}]}`
	resp, err := githubfake.Deliver(t.Context(), c.url+"/webhooks/github", []byte(webhookSecret), "push", "p-1", []byte(push))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("push: %v %v", resp, err)
	}
	resp.Body.Close()
	c.await(t, func(rec map[string]any) bool { return rec["decision"] == "released" })
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	_ = c.cmd.Wait()

	data, err := os.ReadFile(filepath.Join(probeDir, "report"))
	if err != nil {
		t.Fatalf("the probe left no report: %v", err)
	}
	report := string(data)
	sections := map[string]string{}
	for _, part := range strings.Split(report, "== ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		sections[name] = body
	}
	if _, ok := sections["end"]; !ok {
		t.Fatalf("the probe did not finish:\n%s", report)
	}
	for name, secret := range map[string]string{
		"the webhook secret": webhookSecret, "the Slack token": slackToken,
		"the private key": keyLine, "a PEM header": "PRIVATE KEY",
	} {
		if strings.Contains(report, secret) {
			t.Errorf("the deploy read %s:\n%s", name, report)
		}
	}
	if got, want := strings.TrimSpace(sections["uid"]), strconv.FormatUint(uint64(account.UID), 10); got != want {
		t.Errorf("the deploy ran as uid %s, want %s (%s)", got, want, testDeployUser)
	}
	for _, name := range []string{"environ", "key", "credentials", "secret file"} {
		if !strings.Contains(sections[name], "Permission denied") {
			t.Errorf("reading %s: want Permission denied, got %q", name, sections[name])
		}
	}
	// The command line is every user's to read: it holds the file's name,
	// never the secret.
	if !strings.Contains(sections["cmdline"], "--github-webhook-secret-file "+secretFile) {
		t.Errorf("Wavegate's command line as the deploy read it: %q", sections["cmdline"])
	}
	env := sections["env"]
	for _, want := range []string{"WAVEGATE_INPUT_CLUSTER=blue\n", "WAVEGATE_INPUT_FLAGS=--fast\n", "WAVEGATE_TARGET=t1\n", "USER=" + testDeployUser + "\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("the deploy's environment lacks %q:\n%s", want, env)
		}
	}
	for _, line := range strings.Split(env, "\n") {
		if strings.HasPrefix(line, "WAVEGATE_") && !strings.HasPrefix(line, "WAVEGATE_INPUT_") && !isStepVariable(line) {
			t.Errorf("the deploy saw Wavegate's setting %s", line)
		}
	}
}

// isStepVariable says whether an environment line is one of the step's
// own WAVEGATE_* variables.
func isStepVariable(line string) bool {
	name, _, _ := strings.Cut(line, "=")
	switch name {
	case "WAVEGATE_REPOSITORY", "WAVEGATE_PIPELINE", "WAVEGATE_RELEASE", "WAVEGATE_STAGE", "WAVEGATE_TARGET",
		"WAVEGATE_ACTION", "WAVEGATE_VARIANT", "WAVEGATE_SHA", "WAVEGATE_PREVIOUS_SHA":
		return true
	}
	return false
}
