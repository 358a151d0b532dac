package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is everything `wavegate serve` can be told. Each field is a flag
// (--foo-bar), an environment variable (WAVEGATE_FOO_BAR) and a key of the
// optional YAML file (foo-bar: ...); a flag beats the environment, which
// beats the file, which beats the default.
type Config struct {
	Listen               string
	DataDir              string
	PublicURL            string
	GitHubAppID          int64
	GitHubPrivateKeyPath string
	GitHubPrivateKey     string
	GitHubWebhookSecret  string
	GitHubAPIURL         string
	GitHubOrg            string
	SlackBotToken        string
	SlackAPIURL          string
	LogFormat            string
	LogLevel             string
	Workers              int
	Retention            time.Duration
	ShutdownTimeout      time.Duration
}

// LogValue keeps secrets out of logs even when the whole config is logged.
func (c Config) LogValue() slog.Value {
	redact := func(s string) string {
		if s == "" {
			return ""
		}
		return "[redacted]"
	}
	return slog.GroupValue(
		slog.String("listen", c.Listen), slog.String("data_dir", c.DataDir),
		slog.String("public_url", c.PublicURL), slog.Int64("github_app_id", c.GitHubAppID),
		slog.String("github_private_key_path", c.GitHubPrivateKeyPath),
		slog.String("github_private_key", redact(c.GitHubPrivateKey)),
		slog.String("github_webhook_secret", redact(c.GitHubWebhookSecret)),
		slog.String("github_api_url", c.GitHubAPIURL), slog.String("github_org", c.GitHubOrg),
		slog.String("slack_bot_token", redact(c.SlackBotToken)), slog.String("slack_api_url", c.SlackAPIURL),
		slog.String("log_format", c.LogFormat), slog.String("log_level", c.LogLevel),
		slog.Int("workers", c.Workers), slog.Duration("retention", c.Retention),
	)
}

// option describes one setting once, for the flag, the environment and the file.
type option struct {
	name, usage string
	value       flag.Value
}

func (c *Config) options() []option {
	return []option{
		{"listen", "address to serve HTTP on", stringValue{&c.Listen}},
		{"data-dir", "directory for the SQLite database and the App's credentials", stringValue{&c.DataDir}},
		{"public-url", "URL at which GitHub reaches this server (default: derived from each request)", stringValue{&c.PublicURL}},
		{"github-app-id", "GitHub App id (default: from the setup flow's files in --data-dir)", int64Value{&c.GitHubAppID}},
		{"github-private-key-path", "file holding the GitHub App's private key (PEM)", stringValue{&c.GitHubPrivateKeyPath}},
		{"github-private-key", "the GitHub App's private key itself (PEM), instead of a file", stringValue{&c.GitHubPrivateKey}},
		{"github-webhook-secret", "secret GitHub signs webhook deliveries with", stringValue{&c.GitHubWebhookSecret}},
		{"github-api-url", "GitHub REST API base; https://HOST/api/v3/ for GitHub Enterprise Server", stringValue{&c.GitHubAPIURL}},
		{"github-org", "organization to register the App under in the setup flow (default: your user)", stringValue{&c.GitHubOrg}},
		{"slack-bot-token", "Slack bot token (xoxb-...) for release messages; without it Slack reports are off", stringValue{&c.SlackBotToken}},
		{"slack-api-url", "Slack Web API base, to go through a proxy or a test server", stringValue{&c.SlackAPIURL}},
		{"log-format", "text or json (default: text on a terminal, json otherwise)", stringValue{&c.LogFormat}},
		{"log-level", "debug, info, warn or error", stringValue{&c.LogLevel}},
		{"workers", "webhook deliveries processed at once", intValue{&c.Workers}},
		{"retention", "how long processed deliveries are kept", durationValue{&c.Retention}},
		{"shutdown-timeout", "how long shutdown waits for in-flight work", durationValue{&c.ShutdownTimeout}},
	}
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Listen:          ":3000",
		DataDir:         "./data",
		GitHubAPIURL:    "https://api.github.com/",
		SlackAPIURL:     "https://slack.com/api/",
		LogLevel:        "info",
		Workers:         8,
		Retention:       7 * 24 * time.Hour,
		ShutdownTimeout: 30 * time.Second,
	}
}

// EnvName is the environment variable for a flag name.
func EnvName(flagName string) string {
	return "WAVEGATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ParseConfig resolves the configuration from args, the environment (getenv)
// and the YAML file named by --config or WAVEGATE_CONFIG.
func ParseConfig(args []string, getenv func(string) string, usageOut io.Writer) (Config, error) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("wavegate serve", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	opts := cfg.options()
	for _, o := range opts {
		fs.Var(o.value, o.name, fmt.Sprintf("%s (env %s)", o.usage, EnvName(o.name)))
	}
	configPath := fs.String("config", "", "optional YAML file with any of these settings (env WAVEGATE_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	if *configPath == "" {
		*configPath = getenv("WAVEGATE_CONFIG")
	}
	fileValues := map[string]string{}
	if *configPath != "" {
		var err error
		if fileValues, err = readConfigFile(*configPath, opts); err != nil {
			return Config{}, err
		}
	}
	for _, o := range opts {
		if onCommandLine[o.name] {
			continue
		}
		if v := getenv(EnvName(o.name)); v != "" {
			if err := o.value.Set(v); err != nil {
				return Config{}, fmt.Errorf("environment %s=%q: %w", EnvName(o.name), v, err)
			}
			continue
		}
		if v, ok := fileValues[o.name]; ok {
			if err := o.value.Set(v); err != nil {
				return Config{}, fmt.Errorf("%s: %s: %w", *configPath, o.name, err)
			}
		}
	}
	return cfg, cfg.validate()
}

func readConfigFile(path string, opts []option) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	var raw map[string]yaml.Node
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse config file %s: %w", path, err)
	}
	known := map[string]bool{}
	for _, o := range opts {
		known[o.name] = true
	}
	values := map[string]string{}
	var unknown []string
	for k, node := range raw {
		if !known[k] {
			unknown = append(unknown, fmt.Sprintf("%s:%d: unknown setting %q", path, node.Line, k))
			continue
		}
		if node.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s:%d: %s must be a single value", path, node.Line, k)
		}
		values[k] = node.Value
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, errors.New(strings.Join(unknown, "\n"))
	}
	return values, nil
}

func (c Config) validate() error {
	switch c.LogFormat {
	case "", "text", "json":
	default:
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.GitHubPrivateKey != "" && c.GitHubPrivateKeyPath != "" {
		return errors.New("give the private key either with --github-private-key or --github-private-key-path, not both")
	}
	if c.Workers < 1 {
		return fmt.Errorf("--workers %d: want at least 1", c.Workers)
	}
	if c.DataDir == "" {
		return errors.New("--data-dir must not be empty")
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

type stringValue struct{ p *string }

func (v stringValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v stringValue) Set(s string) error { *v.p = s; return nil }

type int64Value struct{ p *int64 }

func (v int64Value) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.FormatInt(*v.p, 10)
}
func (v int64Value) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*v.p = n
	return nil
}

type intValue struct{ p *int }

func (v intValue) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}
func (v intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*v.p = n
	return nil
}

type durationValue struct{ p *time.Duration }

func (v durationValue) String() string {
	if v.p == nil {
		return "0s"
	}
	return v.p.String()
}
func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration like 90s or 168h", s)
	}
	*v.p = d
	return nil
}
