package serverconfig

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is everything `wavegate serve` can be told. Each scalar field is a
// flag (--foo-bar), an environment variable (WAVEGATE_FOO_BAR) and a key of
// the optional YAML file (foo-bar: ...); a flag beats the environment, which
// beats the file, which beats the default. Deployers are structured, so only
// the file sets them.
type Config struct {
	Listen               string
	DataDir              string
	PublicURL            string
	GitHubAppID          int64
	GitHubPrivateKeyPath string
	GitHubPrivateKey     string
	GitHubWebhookSecret  string
	// GitHubWebhookSecretFile and SlackBotTokenFile name files holding the
	// secret; ParseConfig reads them into the secret's own field.
	GitHubWebhookSecretFile string
	GitHubAPIURL            string
	GitHubOrg               string
	// GitHubClientID and GitHubClientSecret are the App's OAuth client,
	// for signing in to the web pages when the App was configured by flags
	// (the setup flow keeps its own); the secret comes only from
	// GitHubClientSecretFile.
	GitHubClientID         string
	GitHubClientSecret     string
	GitHubClientSecretFile string
	SlackBotToken          string
	SlackBotTokenFile      string
	SlackAPIURL            string
	// SlackSigningSecret verifies Slack's slash commands and button
	// presses over HTTP; SlackAppToken (xapp-...) receives them over Socket
	// Mode instead. Either turns Slack commands on.
	SlackSigningSecret     string
	SlackSigningSecretFile string
	SlackAppToken          string
	SlackAppTokenFile      string
	// AlertmanagerToken authenticates Alertmanager's notifications
	// (Authorization: Bearer); empty turns POST /webhooks/alertmanager off.
	AlertmanagerToken     string
	AlertmanagerTokenFile string
	LogFormat             string
	LogLevel              string
	Workers               int
	Retention             time.Duration
	ShutdownTimeout       time.Duration
	// Deployers are the command deployers the operator defines, by name:
	// the only programs a pipeline's {command: NAME} can run.
	Deployers map[string]DeployerConfig

	// PrometheusURL is the Prometheus the alarms' queries go to; empty:
	// none, and pipelines' alarms.queries, alarms.compare and datapoints
	// are not evaluated.
	PrometheusURL string

	// UIPublic serves the read-only web pages under /ui/ without sign-in,
	// for a trusted network; off, /ui/ answers 404.
	UIPublic bool

	// warnings: see Warnings.
	warnings []string
}

// Warnings are what ParseConfig found risky but not wrong, for the caller
// to log once a logger exists.
func (c Config) Warnings() []string { return c.warnings }

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
		slog.String("github_webhook_secret_file", c.GitHubWebhookSecretFile),
		slog.String("github_api_url", c.GitHubAPIURL), slog.String("github_org", c.GitHubOrg),
		slog.String("github_client_id", c.GitHubClientID), slog.String("github_client_secret", redact(c.GitHubClientSecret)),
		slog.String("github_client_secret_file", c.GitHubClientSecretFile),
		slog.String("slack_bot_token", redact(c.SlackBotToken)), slog.String("slack_bot_token_file", c.SlackBotTokenFile),
		slog.String("slack_api_url", c.SlackAPIURL),
		slog.String("slack_signing_secret", redact(c.SlackSigningSecret)), slog.String("slack_signing_secret_file", c.SlackSigningSecretFile),
		slog.String("slack_app_token", redact(c.SlackAppToken)), slog.String("slack_app_token_file", c.SlackAppTokenFile),
		slog.String("alertmanager_token", redact(c.AlertmanagerToken)), slog.String("alertmanager_token_file", c.AlertmanagerTokenFile),
		slog.String("prometheus_url", redactURL(c.PrometheusURL)), slog.Bool("ui_public", c.UIPublic),
		slog.String("log_format", c.LogFormat), slog.String("log_level", c.LogLevel),
		slog.Int("workers", c.Workers), slog.Duration("retention", c.Retention),
		// Names only: a deployer's env may hold the operator's own secrets.
		slog.Any("deployers", slices.Sorted(maps.Keys(c.Deployers))),
	)
}

// option describes one setting once, for the flag, the environment and the
// file. Its usage names the value's kind in back quotes (`ADDR`), which is
// what flag's help prints after the flag's name.
type option struct {
	name, usage string
	value       flag.Value
	// file, on a secret, names its -file twin: a secret on the command line
	// is visible to every local user, in /proc/PID/cmdline.
	file string
}

func (c *Config) options() []option {
	return []option{
		{name: "listen", usage: "`ADDR` (host:port) to serve HTTP on", value: stringValue{&c.Listen}},
		{name: "data-dir", usage: "`DIR` for the SQLite database and the App's credentials", value: stringValue{&c.DataDir}},
		{name: "public-url", usage: "`URL` at which GitHub reaches this server (default: derived from each request)", value: stringValue{&c.PublicURL}},
		{name: "github-app-id", usage: "GitHub App `ID` (default: from the setup flow's files in --data-dir)", value: int64Value{&c.GitHubAppID}},
		{name: "github-private-key-path", usage: "`FILE` holding the GitHub App's private key (PEM)", value: stringValue{&c.GitHubPrivateKeyPath}},
		{name: "github-private-key", usage: "the GitHub App's private key itself (`PEM`); prefer --github-private-key-path: a flag's value is visible to every local user", value: stringValue{&c.GitHubPrivateKey},
			file: "github-private-key-path"},
		{name: "github-webhook-secret", usage: "`SECRET` GitHub signs webhook deliveries with; prefer --github-webhook-secret-file or the environment: a flag's value is visible to every local user", value: stringValue{&c.GitHubWebhookSecret},
			file: "github-webhook-secret-file"},
		{name: "github-webhook-secret-file", usage: "`FILE` holding the webhook secret (a trailing newline is ignored)", value: stringValue{&c.GitHubWebhookSecretFile}},
		{name: "github-api-url", usage: "GitHub REST API base `URL`; https://HOST/api/v3/ for GitHub Enterprise Server", value: stringValue{&c.GitHubAPIURL}},
		{name: "github-client-id", usage: "the GitHub App's OAuth client `ID`, for signing in to the web pages (default: from the setup flow's files in --data-dir)", value: stringValue{&c.GitHubClientID}},
		{name: "github-client-secret-file", usage: "`FILE` holding the GitHub App's OAuth client secret, for signing in to the web pages (a trailing newline is ignored)", value: stringValue{&c.GitHubClientSecretFile}},
		{name: "github-org", usage: "organization (`ORG`) to register the App under in the setup flow (default: your user)", value: stringValue{&c.GitHubOrg}},
		{name: "slack-bot-token", usage: "Slack bot `TOKEN` (xoxb-...) for release messages, without which Slack reports are off; prefer --slack-bot-token-file or the environment: a flag's value is visible to every local user", value: stringValue{&c.SlackBotToken},
			file: "slack-bot-token-file"},
		{name: "slack-bot-token-file", usage: "`FILE` holding the Slack bot token (a trailing newline is ignored)", value: stringValue{&c.SlackBotTokenFile}},
		{name: "slack-api-url", usage: "Slack Web API base `URL`, to go through a proxy or a test server", value: stringValue{&c.SlackAPIURL}},
		{name: "slack-signing-secret", usage: "Slack app's signing `SECRET`, which turns on /deploy in Slack at POST /slack/commands and /slack/interactions; prefer --slack-signing-secret-file or the environment: a flag's value is visible to every local user", value: stringValue{&c.SlackSigningSecret},
			file: "slack-signing-secret-file"},
		{name: "slack-signing-secret-file", usage: "`FILE` holding the Slack signing secret (a trailing newline is ignored)", value: stringValue{&c.SlackSigningSecretFile}},
		{name: "slack-app-token", usage: "Slack app-level `TOKEN` (xapp-...) with connections:write, which receives /deploy and button presses over Socket Mode, with no public URL; prefer --slack-app-token-file or the environment: a flag's value is visible to every local user", value: stringValue{&c.SlackAppToken},
			file: "slack-app-token-file"},
		{name: "slack-app-token-file", usage: "`FILE` holding the Slack app-level token (a trailing newline is ignored)", value: stringValue{&c.SlackAppTokenFile}},
		{name: "alertmanager-token", usage: "bearer `TOKEN` Alertmanager sends (http_config.authorization), which turns on POST /webhooks/alertmanager; prefer --alertmanager-token-file or the environment: a flag's value is visible to every local user", value: stringValue{&c.AlertmanagerToken},
			file: "alertmanager-token-file"},
		{name: "alertmanager-token-file", usage: "`FILE` holding the Alertmanager bearer token (a trailing newline is ignored)", value: stringValue{&c.AlertmanagerTokenFile}},
		{name: "prometheus-url", usage: "Prometheus base `URL` (such as http://prometheus:9090) that pipelines' alarms.queries, alarms.compare and datapoints are evaluated through; a user:password in it is sent as basic authentication", value: stringValue{&c.PrometheusURL}},
		{name: "ui-public", usage: "serve the read-only web pages under /ui/ to anyone who reaches this server, without sign-in: only on a trusted network", value: boolValue{&c.UIPublic}},
		{name: "log-format", usage: "`FORMAT` of the log: text or json (default: text on a terminal, json otherwise)", value: stringValue{&c.LogFormat}},
		{name: "log-level", usage: "`LEVEL` of the log: debug, info, warn or error", value: stringValue{&c.LogLevel}},
		{name: "workers", usage: "`N` webhook deliveries processed at once", value: intValue{&c.Workers}},
		{name: "retention", usage: "how long processed deliveries are kept (`DURATION`, such as 168h)", value: durationValue{&c.Retention}},
		{name: "shutdown-timeout", usage: "how long shutdown waits for in-flight work (`DURATION`, such as 30s)", value: durationValue{&c.ShutdownTimeout}},
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

// UsageError is a mistake on the command line: an unknown flag, a bad
// value, a stray argument. The caller prints it once with a pointer to -h,
// not the whole usage, which would bury it.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// ParseConfig resolves the configuration from args, the environment (getenv)
// and the YAML file named by --config or WAVEGATE_CONFIG, and reads the
// secrets' files. -h prints the flags on usageOut and returns flag.ErrHelp.
func ParseConfig(args []string, getenv func(string) string, usageOut io.Writer) (Config, error) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("wavegate serve", flag.ContinueOnError)
	// flag would print a bad value's error followed by every flag; the
	// caller prints the error instead, once.
	fs.SetOutput(io.Discard)
	opts := cfg.options()
	for _, o := range opts {
		fs.Var(o.value, o.name, fmt.Sprintf("%s (env %s)", o.usage, EnvName(o.name)))
	}
	configPath := fs.String("config", "", "optional YAML `FILE` with any of these settings and the deployers (env WAVEGATE_CONFIG)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(usageOut, "Usage: wavegate serve [flags]\n\nEvery flag is also an environment variable and a key of the --config file;\n"+
				"a flag beats the environment, which beats the file.\n\n")
			fs.SetOutput(usageOut)
			fs.PrintDefaults()
			return Config{}, err
		}
		return Config{}, UsageError{err}
	}
	if fs.NArg() > 0 {
		return Config{}, UsageError{fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	if *configPath == "" {
		*configPath = getenv("WAVEGATE_CONFIG")
	}
	var file fileSettings
	if *configPath != "" {
		var err error
		if file, err = readConfigFile(*configPath, opts); err != nil {
			return Config{}, err
		}
		cfg.Deployers = file.deployers
	}
	if onCommandLine["prometheus-url"] && hasPassword(cfg.PrometheusURL) {
		cfg.warnings = append(cfg.warnings, "--prometheus-url on the command line holds a password, visible to every local user in /proc/PID/cmdline: "+
			"give it in the environment ("+EnvName("prometheus-url")+") or the --config file instead")
	}
	for _, o := range opts {
		if onCommandLine[o.name] {
			if o.file != "" {
				cfg.warnings = append(cfg.warnings, fmt.Sprintf("--%s on the command line is visible to every local user in /proc/PID/cmdline: "+
					"give it with --%s, or in the environment (%s), instead", o.name, o.file, EnvName(o.name)))
			}
			continue
		}
		if v := getenv(EnvName(o.name)); v != "" {
			if err := o.value.Set(v); err != nil {
				return Config{}, fmt.Errorf("environment %s=%q: %w", EnvName(o.name), v, err)
			}
			continue
		}
		if v, ok := file.values[o.name]; ok {
			if err := o.value.Set(v); err != nil {
				return Config{}, fmt.Errorf("%s: %s: %w", *configPath, o.name, err)
			}
		}
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	if err := cfg.readSecretFiles(); err != nil {
		return Config{}, err
	}
	// Checked once the file is read: a bot token (xoxb-) given as the app
	// token would fail at Slack's end with a message that names neither.
	if cfg.SlackAppToken != "" && !strings.HasPrefix(cfg.SlackAppToken, "xapp-") {
		return Config{}, errors.New("--slack-app-token: an app-level token starts with xapp- (create one under Basic Information, App-Level Tokens, with the connections:write scope); xoxb- is the bot token, --slack-bot-token")
	}
	return cfg, nil
}

// maxSecretFile bounds a secret's file: a secret is a line, and a file
// many times larger is the wrong file.
const maxSecretFile = 64 << 10

// readSecretFiles puts the contents of each secret's file in the secret's
// own field. Files are how secrets should be given: unlike a flag, a file
// is not visible to other users, and unlike the environment it is not
// inherited by every child.
func (c *Config) readSecretFiles() error {
	for _, s := range []struct {
		flag, path string
		value      *string
	}{
		{"github-webhook-secret-file", c.GitHubWebhookSecretFile, &c.GitHubWebhookSecret},
		{"github-client-secret-file", c.GitHubClientSecretFile, &c.GitHubClientSecret},
		{"slack-bot-token-file", c.SlackBotTokenFile, &c.SlackBotToken},
		{"slack-signing-secret-file", c.SlackSigningSecretFile, &c.SlackSigningSecret},
		{"slack-app-token-file", c.SlackAppTokenFile, &c.SlackAppToken},
		{"alertmanager-token-file", c.AlertmanagerTokenFile, &c.AlertmanagerToken},
	} {
		if s.path == "" {
			continue
		}
		f, err := os.Open(s.path)
		if err != nil {
			return fmt.Errorf("--%s: %w", s.flag, err)
		}
		// A file is better than a flag only while other users cannot read
		// it; its group may, for a secret provisioned for Wavegate's group.
		if st, err := f.Stat(); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o026 != 0 {
			f.Close()
			return fmt.Errorf("--%s: %s has mode %04o, so others can read or change the secret in it; fix it with: chmod 600 %s",
				s.flag, s.path, st.Mode().Perm(), s.path)
		}
		data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
		f.Close()
		if err != nil {
			return fmt.Errorf("--%s: read %s: %w", s.flag, s.path, err)
		}
		if len(data) > maxSecretFile {
			return fmt.Errorf("--%s: %s is larger than %d KiB; it should hold the secret alone", s.flag, s.path, maxSecretFile>>10)
		}
		// Editors and echo end a file with a newline that is no part of the
		// secret.
		v, ok := strings.CutSuffix(string(data), "\n")
		if ok {
			v = strings.TrimSuffix(v, "\r")
		}
		if v == "" {
			return fmt.Errorf("--%s: %s is empty; it should hold the secret", s.flag, s.path)
		}
		*s.value = v
	}
	return nil
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
	// Neither form of a secret silently wins over the other, whichever
	// sources they came from.
	for _, s := range []struct{ value, file, valueFlag, fileFlag string }{
		{c.GitHubPrivateKey, c.GitHubPrivateKeyPath, "github-private-key", "github-private-key-path"},
		{c.GitHubWebhookSecret, c.GitHubWebhookSecretFile, "github-webhook-secret", "github-webhook-secret-file"},
		{c.SlackBotToken, c.SlackBotTokenFile, "slack-bot-token", "slack-bot-token-file"},
		{c.SlackSigningSecret, c.SlackSigningSecretFile, "slack-signing-secret", "slack-signing-secret-file"},
		{c.SlackAppToken, c.SlackAppTokenFile, "slack-app-token", "slack-app-token-file"},
		{c.AlertmanagerToken, c.AlertmanagerTokenFile, "alertmanager-token", "alertmanager-token-file"},
	} {
		if s.value != "" && s.file != "" {
			return fmt.Errorf("give either --%s or --%s (flag, environment or config file), not both", s.valueFlag, s.fileFlag)
		}
	}
	if c.PrometheusURL != "" {
		u, err := url.Parse(c.PrometheusURL)
		// The URL may hold a password: the error does not repeat it.
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("--prometheus-url: want an http:// or https:// URL with a host, such as http://prometheus:9090")
		}
	}
	if c.Workers < 1 {
		return fmt.Errorf("--workers %d: want at least 1", c.Workers)
	}
	if c.DataDir == "" {
		return errors.New("--data-dir must not be empty")
	}
	return nil
}

// redactURL hides a URL's password, for logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if s == "" {
			return ""
		}
		return "[unparsable URL]"
	}
	return u.Redacted()
}

func hasPassword(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return false
	}
	_, ok := u.User.Password()
	return ok
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

type boolValue struct{ p *bool }

func (v boolValue) String() string   { return strconv.FormatBool(v.p != nil && *v.p) }
func (v boolValue) IsBoolFlag() bool { return true }
func (v boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*v.p = b
	return nil
}

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
		return errors.New("want a whole number")
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
		return errors.New("want a whole number")
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
		// The callers quote the value; the error says what to write instead.
		if days, ok := strings.CutSuffix(s, "d"); ok {
			if n, err := strconv.Atoi(days); err == nil && n >= 0 && n <= 100_000 {
				return fmt.Errorf("durations have no days: write %dh", 24*n)
			}
		}
		return errors.New("want a duration such as 90s, 30m or 168h (units ns, us, ms, s, m, h)")
	}
	*v.p = d
	return nil
}
