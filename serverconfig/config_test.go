package serverconfig

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "wavegate.yml")
	if err := os.WriteFile(file, []byte("listen: \":4000\"\nworkers: 3\ngithub-org: from-file\nretention: 48h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"WAVEGATE_WORKERS":               "5",
		"WAVEGATE_GITHUB_WEBHOOK_SECRET": "from-env",
		"WAVEGATE_CONFIG":                file,
	}
	cfg, err := ParseConfig([]string{"--workers", "9", "--log-level", "debug"}, func(k string) string { return env[k] }, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"flag beats env and file", cfg.Workers, 9},
		{"env", cfg.GitHubWebhookSecret, "from-env"},
		{"file", cfg.Listen, ":4000"},
		{"file duration", cfg.Retention, 48 * time.Hour},
		{"file string", cfg.GitHubOrg, "from-file"},
		{"default", cfg.DataDir, "./data"},
		{"default api", cfg.GitHubAPIURL, "https://api.github.com/"},
		{"flag", cfg.LogLevel, "debug"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown file key", []string{"--config", write("a.yml", "listen: :1\nlisten_addr: :2\n")}, nil, `a.yml:2:1: error: unknown setting "listen_addr"; ` + "`wavegate serve -h` lists them"},
		{"file key typo", []string{"--config", write("typo.yml", "wokers: 2\n")}, nil, `typo.yml:1:1: error: unknown setting "wokers" (did you mean "workers"?)`},
		{"file key twice", []string{"--config", write("twice.yml", "workers: 2\nworkers: 3\n")}, nil, `twice.yml:2:1: error: "workers" is set twice (first at line 1)`},
		{"file not a mapping", []string{"--config", write("list.yml", "- listen\n")}, nil, `list.yml:1:1: error: the config file must be a mapping of settings, got a list`},
		{"file syntax", []string{"--config", write("syntax.yml", "workers: 2\nlisten: a: b\n")}, nil, `syntax.yml:2:10: error: invalid YAML: mapping values are not allowed in this context`},
		{"bad env number", nil, map[string]string{"WAVEGATE_GITHUB_APP_ID": "abc"}, `environment WAVEGATE_GITHUB_APP_ID="abc": want a whole number`},
		{"bad log format", []string{"--log-format", "xml"}, nil, "--log-format"},
		{"bad level", []string{"--log-level", "loud"}, nil, "--log-level"},
		{"two keys", []string{"--github-private-key", "x", "--github-private-key-path", "y"}, nil, "give either --github-private-key or --github-private-key-path (flag, environment or config file), not both"},
		{"days", []string{"--retention", "7d"}, nil, `invalid value "7d" for flag -retention: durations have no days: write 168h`},
		{"bad duration", []string{"--shutdown-timeout", "soon"}, nil, `invalid value "soon" for flag -shutdown-timeout: want a duration such as 90s, 30m or 168h`},
		{"stray argument", []string{"extra"}, nil, "unexpected arguments"},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.yml")}, nil, "nope.yml"},
		{"nested value", []string{"--config", write("b.yml", "listen:\n  port: 1\n")}, nil, "b.yml:2:3: error: listen must be a single value, got a mapping"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(tc.args, func(k string) string { return tc.env[k] }, &strings.Builder{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("github-private-key-path"); got != "WAVEGATE_GITHUB_PRIVATE_KEY_PATH" {
		t.Fatal(got)
	}
}

func TestConfigLogValueRedactsSecrets(t *testing.T) {
	cfg := DefaultConfig()
	cfg.GitHubWebhookSecret, cfg.GitHubPrivateKey = "s3cret-value", "-----BEGIN RSA PRIVATE KEY-----"
	got := cfg.LogValue().String()
	if strings.Contains(got, "s3cret-value") || strings.Contains(got, "PRIVATE KEY") {
		t.Fatalf("secrets in %s", got)
	}
}

// The README's configuration table stays true: every flag is in it with
// its environment variable, and it documents no flag that does not exist.
func TestREADMEDocumentsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	known := map[string]bool{}
	for _, o := range cfg.options() {
		known[o.name] = true
		row := "| `--" + o.name + "` | `" + EnvName(o.name) + "` |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README lacks the row for --%s (%s)", o.name, EnvName(o.name))
		}
	}
	for _, line := range strings.Split(string(readme), "\n") {
		if name, ok := strings.CutPrefix(line, "| `--"); ok {
			name = name[:strings.Index(name, "`")]
			if !known[name] {
				t.Errorf("README documents --%s, which does not exist", name)
			}
		}
	}
}

// Every secret has a -file twin, from the flag, the environment or the
// config file; its trailing newline is no part of the secret, and a value
// given both ways is refused.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// writeMode sets the mode after writing, whatever the umask.
	writeMode := func(name, body string, mode os.FileMode) string {
		p := write(name, body)
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secret, token := write("secret", "s3cret\n"), write("token", "xoxb-1\r\n")
	for _, tc := range []struct {
		name        string
		args        []string
		env         map[string]string
		wantSecret  string
		wantToken   string
		wantErr     string
		wantWarning string
	}{
		{name: "flags", args: []string{"--github-webhook-secret-file", secret, "--slack-bot-token-file", token},
			wantSecret: "s3cret", wantToken: "xoxb-1"},
		{name: "environment", env: map[string]string{"WAVEGATE_GITHUB_WEBHOOK_SECRET_FILE": secret, "WAVEGATE_SLACK_BOT_TOKEN_FILE": token},
			wantSecret: "s3cret", wantToken: "xoxb-1"},
		{name: "config file", args: []string{"--config", write("c.yml", "github-webhook-secret-file: "+secret+"\nslack-bot-token-file: "+token+"\n")},
			wantSecret: "s3cret", wantToken: "xoxb-1"},
		{name: "only one newline is trimmed", args: []string{"--github-webhook-secret-file", write("two", "a b \n\n")}, wantSecret: "a b \n"},
		{name: "no newline", args: []string{"--github-webhook-secret-file", write("bare", "bare")}, wantSecret: "bare"},
		{name: "secret from the environment, its file from a flag",
			args: []string{"--github-webhook-secret-file", secret}, env: map[string]string{"WAVEGATE_GITHUB_WEBHOOK_SECRET": "x"},
			wantErr: "give either --github-webhook-secret or --github-webhook-secret-file (flag, environment or config file), not both"},
		{name: "token and its file",
			args:    []string{"--slack-bot-token", "xoxb-2", "--config", write("t.yml", "slack-bot-token-file: "+token+"\n")},
			wantErr: "give either --slack-bot-token or --slack-bot-token-file (flag, environment or config file), not both"},
		{name: "empty file", args: []string{"--slack-bot-token-file", write("empty", "\n")},
			wantErr: "--slack-bot-token-file: " + filepath.Join(dir, "empty") + " is empty; it should hold the secret"},
		{name: "missing file", args: []string{"--github-webhook-secret-file", filepath.Join(dir, "nope")},
			wantErr: "--github-webhook-secret-file: open " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{name: "huge file", args: []string{"--github-webhook-secret-file", write("huge", strings.Repeat("x", 65<<10))},
			wantErr: "is larger than 64 KiB"},
		{name: "file others can read", args: []string{"--slack-bot-token-file", writeMode("open", "xoxb-3\n", 0o644)},
			wantErr: "--slack-bot-token-file: " + filepath.Join(dir, "open") + " has mode 0644, so others can read or change the secret in it; fix it with: chmod 600 " + filepath.Join(dir, "open")},
		{name: "file its group can read", args: []string{"--slack-bot-token-file", writeMode("group", "xoxb-4\n", 0o640)}, wantToken: "xoxb-4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.GitHubWebhookSecret != tc.wantSecret || cfg.SlackBotToken != tc.wantToken {
				t.Errorf("secret %q, token %q; want %q, %q", cfg.GitHubWebhookSecret, cfg.SlackBotToken, tc.wantSecret, tc.wantToken)
			}
			if len(cfg.warnings) > 0 {
				t.Errorf("warnings %q; a secret given in a file is given as it should be", cfg.warnings)
			}
		})
	}
}

// A secret on the command line is readable by every local user; Wavegate
// says so and names the way that is not.
func TestSecretOnTheCommandLineWarns(t *testing.T) {
	cfg, err := ParseConfig([]string{"--github-webhook-secret", "s3cret", "--slack-bot-token=xoxb-1", "--workers", "2"},
		func(k string) string { return map[string]string{"WAVEGATE_GITHUB_PRIVATE_KEY": "---PEM---"}[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"--github-webhook-secret on the command line is visible to every local user in /proc/PID/cmdline: give it with --github-webhook-secret-file, or in the environment (WAVEGATE_GITHUB_WEBHOOK_SECRET), instead",
		"--slack-bot-token on the command line is visible to every local user in /proc/PID/cmdline: give it with --slack-bot-token-file, or in the environment (WAVEGATE_SLACK_BOT_TOKEN), instead",
	}
	if !slices.Equal(cfg.warnings, want) {
		t.Errorf("warnings:\n  %s\nwant:\n  %s", strings.Join(cfg.warnings, "\n  "), strings.Join(want, "\n  "))
	}
}

// Slack commands' secrets follow the secret rules: -file twins, never both,
// and an app token that is not one is named as such.
func TestSlackCommandSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	signing, app := write("signing", "8f742231b10e\n"), write("app", "xapp-1-A1-2\n")
	for _, tc := range []struct {
		name                 string
		args                 []string
		env                  map[string]string
		wantSigning, wantApp string
		wantErr              string
	}{
		{name: "files", args: []string{"--slack-signing-secret-file", signing, "--slack-app-token-file", app},
			wantSigning: "8f742231b10e", wantApp: "xapp-1-A1-2"},
		{name: "environment", env: map[string]string{"WAVEGATE_SLACK_SIGNING_SECRET": "s", "WAVEGATE_SLACK_APP_TOKEN_FILE": app},
			wantSigning: "s", wantApp: "xapp-1-A1-2"},
		{name: "both forms", args: []string{"--slack-signing-secret-file", signing}, env: map[string]string{"WAVEGATE_SLACK_SIGNING_SECRET": "s"},
			wantErr: "give either --slack-signing-secret or --slack-signing-secret-file"},
		{name: "bot token as app token", args: []string{"--slack-app-token-file", write("bot", "xoxb-1\n")},
			wantErr: "--slack-app-token: an app-level token starts with xapp-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.SlackSigningSecret != tc.wantSigning || cfg.SlackAppToken != tc.wantApp {
				t.Errorf("signing secret %q, app token %q; want %q, %q", cfg.SlackSigningSecret, cfg.SlackAppToken, tc.wantSigning, tc.wantApp)
			}
			if s := cfg.LogValue().String(); strings.Contains(s, tc.wantApp) || strings.Contains(s, "8f742231b10e") {
				t.Errorf("a Slack secret in the log value %s", s)
			}
		})
	}
}

// The Alertmanager token follows the secret rules: a -file twin, the
// environment, never both, never in the log.
func TestAlertmanagerToken(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "am-token")
	if err := os.WriteFile(file, []byte("am-7c1d0e\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "file", args: []string{"--alertmanager-token-file", file}, want: "am-7c1d0e"},
		{name: "environment", env: map[string]string{"WAVEGATE_ALERTMANAGER_TOKEN": "am-7c1d0e"}, want: "am-7c1d0e"},
		{name: "environment file", env: map[string]string{"WAVEGATE_ALERTMANAGER_TOKEN_FILE": file}, want: "am-7c1d0e"},
		{name: "none", want: ""},
		{name: "both forms", args: []string{"--alertmanager-token-file", file}, env: map[string]string{"WAVEGATE_ALERTMANAGER_TOKEN": "x"},
			wantErr: "give either --alertmanager-token or --alertmanager-token-file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AlertmanagerToken != tc.want {
				t.Errorf("token %q, want %q", cfg.AlertmanagerToken, tc.want)
			}
			if s := cfg.LogValue().String(); strings.Contains(s, "am-7c1d0e") {
				t.Errorf("the token in the log value %s", s)
			}
		})
	}
	cfg, err := ParseConfig([]string{"--alertmanager-token", "am-7c1d0e"}, func(string) string { return "" }, io.Discard)
	if err != nil || !slices.ContainsFunc(cfg.Warnings(), func(w string) bool { return strings.Contains(w, "--alertmanager-token-file") }) {
		t.Errorf("the token on the command line: warnings %v, %v; want one pointing to --alertmanager-token-file", cfg.Warnings(), err)
	}
}

func TestPrometheusURL(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		err     string
		warning bool
	}{
		{name: "unset", want: ""},
		{name: "flag", args: []string{"--prometheus-url", "http://prometheus:9090"}, want: "http://prometheus:9090"},
		{name: "environment", env: map[string]string{"WAVEGATE_PROMETHEUS_URL": "https://prom.example/prom/"}, want: "https://prom.example/prom/"},
		{name: "password in the environment: no warning", env: map[string]string{"WAVEGATE_PROMETHEUS_URL": "https://u:hunter2@prom.example"},
			want: "https://u:hunter2@prom.example"},
		{name: "password on the command line: a warning", args: []string{"--prometheus-url", "https://u:hunter2@prom.example"},
			want: "https://u:hunter2@prom.example", warning: true},
		{name: "no scheme", args: []string{"--prometheus-url", "prometheus:9090"}, err: "--prometheus-url: want an http:// or https:// URL"},
		{name: "no host", args: []string{"--prometheus-url", "http:///api"}, err: "--prometheus-url: want an http:// or https:// URL"},
		{name: "bad URL with a password", args: []string{"--prometheus-url", "http://u:hunter2@%zz"}, err: "--prometheus-url: want an http:// or https:// URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("err = %v, want %q without the password", err, tc.err)
				}
				return
			}
			if err != nil || cfg.PrometheusURL != tc.want {
				t.Fatalf("PrometheusURL = %q, %v; want %q", cfg.PrometheusURL, err, tc.want)
			}
			warned := slices.ContainsFunc(cfg.Warnings(), func(w string) bool { return strings.Contains(w, "--prometheus-url") })
			if warned != tc.warning {
				t.Fatalf("warnings = %q, want a --prometheus-url warning: %t", cfg.Warnings(), tc.warning)
			}
			if s := cfg.LogValue().String(); strings.Contains(s, "hunter2") {
				t.Fatalf("the password is in the log value %s", s)
			}
		})
	}
}

func TestUIPublic(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		file string
		want bool
		err  string
	}{
		{name: "off by default", want: false},
		{name: "bare flag", args: []string{"--ui-public"}, want: true},
		{name: "flag with a value", args: []string{"--ui-public=false"}, env: map[string]string{"WAVEGATE_UI_PUBLIC": "true"}, want: false},
		{name: "environment", env: map[string]string{"WAVEGATE_UI_PUBLIC": "true"}, want: true},
		{name: "file", file: "ui-public: true\n", want: true},
		{name: "not a boolean", env: map[string]string{"WAVEGATE_UI_PUBLIC": "yes please"}, err: "want true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				path := filepath.Join(t.TempDir(), "wavegate.yml")
				if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append([]string{"--config", path}, args...)
			}
			cfg, err := ParseConfig(args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || cfg.UIPublic != tc.want {
				t.Fatalf("UIPublic = %t, %v; want %t", cfg.UIPublic, err, tc.want)
			}
		})
	}
}

// The App's OAuth client for web sign-in: the id by flag, the secret only
// from a file, read like every secret and never logged.
func TestGitHubClient(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "client-secret")
	if err := os.WriteFile(secret, []byte("c1ient-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open")
	if err := os.WriteFile(open, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig([]string{"--github-client-id", "Iv23abc", "--github-client-secret-file", secret}, func(string) string { return "" }, io.Discard)
	if err != nil || cfg.GitHubClientID != "Iv23abc" || cfg.GitHubClientSecret != "c1ient-s3cret" {
		t.Fatalf("id %q secret %q err %v; want Iv23abc and the file's line", cfg.GitHubClientID, cfg.GitHubClientSecret, err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "cfg", cfg)
	if strings.Contains(logged.String(), "c1ient-s3cret") || !strings.Contains(logged.String(), "Iv23abc") {
		t.Errorf("logged config shows the secret or hides the id: %s", logged.String())
	}
	env := map[string]string{"WAVEGATE_GITHUB_CLIENT_ID": "Iv23env", "WAVEGATE_GITHUB_CLIENT_SECRET_FILE": secret}
	if cfg, err = ParseConfig(nil, func(k string) string { return env[k] }, io.Discard); err != nil || cfg.GitHubClientID != "Iv23env" || cfg.GitHubClientSecret != "c1ient-s3cret" {
		t.Errorf("from the environment: id %q, err %v", cfg.GitHubClientID, err)
	}
	if _, err := ParseConfig([]string{"--github-client-secret-file", open}, func(string) string { return "" }, io.Discard); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a secret file others can read: err = %v, want the chmod advice", err)
	}
}
