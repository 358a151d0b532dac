package app

import (
	"os"
	"path/filepath"
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
		{"unknown file key", []string{"--config", write("a.yml", "listen: :1\nlisten_addr: :2\n")}, nil, `a.yml:2: unknown setting "listen_addr"`},
		{"bad env number", nil, map[string]string{"WAVEGATE_GITHUB_APP_ID": "abc"}, "WAVEGATE_GITHUB_APP_ID"},
		{"bad log format", []string{"--log-format", "xml"}, nil, "--log-format"},
		{"bad level", []string{"--log-level", "loud"}, nil, "--log-level"},
		{"two keys", []string{"--github-private-key", "x", "--github-private-key-path", "y"}, nil, "not both"},
		{"bad duration", []string{"--retention", "7d"}, nil, "duration"},
		{"stray argument", []string{"extra"}, nil, "unexpected arguments"},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.yml")}, nil, "nope.yml"},
		{"nested value", []string{"--config", write("b.yml", "listen:\n  port: 1\n")}, nil, "single value"},
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
