package serverconfig

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/config/yamlwalk"
	"github.com/wavegate/wavegate/deploy"
	"github.com/wavegate/wavegate/pipeline"
)

// maxConfigFile bounds the server's config file: a few KiB in practice.
const maxConfigFile = 1 << 20

// fileSettings is what the config file holds: scalar settings by name, as
// their flags take them, and the deployers.
type fileSettings struct {
	values    map[string]string
	deployers map[string]DeployerConfig
}

// readConfigFile reads the server's config file. Every problem is reported
// at file:line:col, all of them at once, as config.Diagnostics.
func readConfigFile(path string, opts []option) (fileSettings, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileSettings{}, fmt.Errorf("read config file: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	f.Close()
	if err != nil {
		return fileSettings{}, fmt.Errorf("read config file %s: %w", path, err)
	}
	if len(data) > maxConfigFile {
		return fileSettings{}, fmt.Errorf("config file %s is larger than %d KiB", path, maxConfigFile>>10)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fileSettings{}, syntaxErrors(path, data, err)
	}
	r := yamlwalk.NewReporter(path)
	settings := fileSettings{values: map[string]string{}}
	if len(doc.Content) == 1 && !yamlwalk.IsNull(doc.Content[0]) {
		settings.read(r, path, doc.Content[0], opts)
	}
	if diags := r.Finish(); diags.HasErrors() {
		return fileSettings{}, diags
	}
	return settings, nil
}

func (s *fileSettings) read(r *yamlwalk.Reporter, file string, root *yaml.Node, opts []option) {
	root = yamlwalk.Deref(root)
	if root.Kind != yaml.MappingNode {
		r.Errorf(root, "the config file must be a mapping of settings, got %s", yamlwalk.Describe(root))
		return
	}
	known := []string{"deployers"}
	for _, o := range opts {
		known = append(known, o.name)
	}
	seen := map[string]int{}
	for k, v := range yamlwalk.Pairs(root) {
		if k.Kind != yaml.ScalarNode {
			r.Errorf(k, "a setting's name must be a plain word, got %s", yamlwalk.Describe(k))
			continue
		}
		if twice(r, seen, k) {
			continue
		}
		switch {
		case k.Value == "deployers":
			s.deployers = readDeployers(r, file, v)
		case !isKnown(k.Value, opts):
			if c, ok := yamlwalk.Closest(k.Value, known); ok {
				r.Errorf(k, "unknown setting %q (did you mean %q?)", k.Value, c)
			} else {
				r.Errorf(k, "unknown setting %q; `wavegate serve -h` lists them", k.Value)
			}
		default:
			val := yamlwalk.Deref(v)
			if val.Kind != yaml.ScalarNode || yamlwalk.IsNull(val) {
				r.Errorf(v, "%s must be a single value, got %s", k.Value, yamlwalk.Describe(v))
				continue
			}
			s.values[k.Value] = val.Value
		}
	}
}

// twice reports a key that its mapping already has: YAML would keep the
// last silently, and the file would not mean what its first line says.
func twice(r *yamlwalk.Reporter, seen map[string]int, k *yaml.Node) bool {
	if line, dup := seen[k.Value]; dup {
		r.Errorf(k, "%q is set twice (first at line %d)", k.Value, line)
		return true
	}
	seen[k.Value] = k.Line
	return false
}

func isKnown(name string, opts []option) bool {
	for _, o := range opts {
		if o.name == name {
			return true
		}
	}
	return false
}

func deployerConfigKeys() []string { return []string{"command", "env", "user", "dir", "timeout"} }

// readDeployers reads deployers: {NAME: {command: [argv...], env, user, dir,
// timeout}}. What needs the machine (the user, the directory) is checked at
// start by deploy.Prepare; this is the file's shape.
func readDeployers(r *yamlwalk.Reporter, file string, n *yaml.Node) map[string]DeployerConfig {
	if yamlwalk.IsNull(n) {
		return nil
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		r.Errorf(n, "deployers must be a mapping of deployer names to deployers, got %s", yamlwalk.Describe(n))
		return nil
	}
	out := map[string]DeployerConfig{}
	seen := map[string]int{}
	for k, v := range yamlwalk.Fields(m) {
		if twice(r, seen, k) {
			continue
		}
		if !pipeline.ValidDeployerName(k.Value) {
			r.Errorf(k, "deployer name %q is not allowed: use %s (pipelines name it in deployer: {command: NAME})", k.Value, pipeline.NameRule())
			continue
		}
		if d, ok := readDeployer(r, file, k, v); ok {
			out[k.Value] = d
		}
	}
	return out
}

func readDeployer(r *yamlwalk.Reporter, file string, k, n *yaml.Node) (DeployerConfig, bool) {
	path := "deployers." + k.Value
	d := DeployerConfig{At: fmt.Sprintf("%s:%d:%d", file, k.Line, k.Column)}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		r.Errorf(n, "%s must be a mapping with command: and, as needed, user:, dir:, env: and timeout:, got %s", path, yamlwalk.Describe(n))
		return d, false
	}
	ok, hasCommand := true, false
	seen := map[string]int{}
	for key, v := range yamlwalk.Fields(m) {
		kp := path + "." + key.Value
		if twice(r, seen, key) {
			ok = false
			continue
		}
		good := true
		switch key.Value {
		case "command":
			hasCommand = true
			d.Command, good = readArgv(r, v, kp)
		case "env":
			d.Env, good = readEnv(r, v, kp)
		case "user":
			d.User, good = nonEmptyString(r, v, kp)
		case "dir":
			if d.Dir, good = nonEmptyString(r, v, kp); good && !strings.HasPrefix(d.Dir, "/") {
				r.Errorf(v, "%s must be an absolute path, got %q", kp, d.Dir)
				good = false
			}
		case "timeout":
			d.Timeout, good = readTimeout(r, v, kp)
		default:
			r.UnknownKey(key, path, deployerConfigKeys())
			good = false
		}
		ok = ok && good
	}
	// After another error, most likely a misspelt command:, this would
	// only repeat it.
	if !hasCommand && ok {
		r.Errorf(k, "%s needs command: the program and its arguments, such as [/srv/deploy/bin/deploy, --verbose]", path)
		ok = false
	}
	return d, ok
}

// readArgv reads the program and its arguments. One string is refused
// rather than split, because splitting would guess at quoting.
func readArgv(r *yamlwalk.Reporter, n *yaml.Node, path string) ([]string, bool) {
	if v := yamlwalk.Deref(n); v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && strings.TrimSpace(v.Value) != "" {
		words := strings.Fields(v.Value)
		for i, w := range words {
			words[i] = fmt.Sprintf("%q", w)
		}
		r.Errorf(n, "%s must be a list of arguments, not one string: write command: [%s]", path, strings.Join(words, ", "))
		return nil, false
	}
	nodes, ok := yamlwalk.StringList(r, n, path)
	if nodes == nil {
		return nil, false
	}
	if ok && len(nodes) == 0 {
		r.Errorf(n, "%s is empty: it needs at least the program to run", path)
		return nil, false
	}
	argv := make([]string, 0, len(nodes))
	for i, c := range nodes {
		a := yamlwalk.Deref(c).Value
		switch {
		case a == "":
			r.Errorf(c, "%s[%d] must not be empty", path, i)
			ok = false
		case strings.ContainsRune(a, 0):
			r.Errorf(c, "%s[%d] must not contain a NUL character", path, i)
			ok = false
		default:
			argv = append(argv, a)
		}
	}
	return argv, ok
}

// readEnv reads the deployer's environment. WAVEGATE_* names belong to
// Wavegate: a deploy reads the step from them, and they must mean that.
func readEnv(r *yamlwalk.Reporter, n *yaml.Node, path string) (map[string]string, bool) {
	if yamlwalk.IsNull(n) {
		return nil, true
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		r.Errorf(n, "%s must be a mapping of variable names to values, got %s", path, yamlwalk.Describe(n))
		return nil, false
	}
	env := map[string]string{}
	ok := true
	seen := map[string]int{}
	for k, v := range yamlwalk.Fields(m) {
		kp := path + "." + k.Value
		switch {
		case twice(r, seen, k):
			ok = false
			continue
		case !deploy.ValidEnvName(k.Value):
			r.Errorf(k, "%s: %q is not a valid environment variable name: use letters, digits and \"_\", not starting with a digit", path, k.Value)
			ok = false
			continue
		case strings.HasPrefix(strings.ToUpper(k.Value), "WAVEGATE_"):
			r.Errorf(k, "%s: %s is reserved: WAVEGATE_* variables are the step's, set by Wavegate", path, k.Value)
			ok = false
			continue
		}
		val := yamlwalk.Deref(v)
		if val.Kind != yaml.ScalarNode || yamlwalk.IsNull(val) {
			r.Errorf(v, "%s must be a single value, got %s", kp, yamlwalk.Describe(v))
			ok = false
			continue
		}
		if strings.ContainsRune(val.Value, 0) {
			r.Errorf(v, "%s must not contain a NUL character", kp)
			ok = false
			continue
		}
		env[k.Value] = val.Value
	}
	return env, ok
}

func nonEmptyString(r *yamlwalk.Reporter, n *yaml.Node, path string) (string, bool) {
	s, ok := yamlwalk.String(r, n, path)
	if ok && strings.TrimSpace(s) == "" {
		r.Errorf(n, "%s must not be empty", path)
		return "", false
	}
	return s, ok
}

func readTimeout(r *yamlwalk.Reporter, n *yaml.Node, path string) (time.Duration, bool) {
	s, ok := yamlwalk.String(r, n, path)
	if !ok {
		return 0, false
	}
	var d time.Duration
	if err := (durationValue{&d}).Set(s); err != nil {
		r.Errorf(n, "%s %q: %v", path, s, err)
		return 0, false
	}
	if d <= 0 {
		r.Errorf(n, "%s must be longer than 0s, got %q", path, s)
		return 0, false
	}
	return d, true
}

// syntaxErrors reports a YAML syntax error at file:line:col, as
// config.Parse words it (yaml.v3 gives a line, which config corrects
// where yaml.v3 counts from 0), with the column PlaceSyntaxErrors finds.
func syntaxErrors(path string, data []byte, err error) error {
	_, diags := config.Parse(path, data)
	var out config.Diagnostics
	for _, d := range diags {
		if strings.HasPrefix(d.Message, syntaxPrefix) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return fmt.Errorf("parse config file %s: %w", path, err)
	}
	PlaceSyntaxErrors(out, data)
	return out
}

// syntaxPrefix starts config's message for a YAML syntax error.
const syntaxPrefix = "invalid YAML: "

// PlaceSyntaxErrors gives each YAML syntax error of ds a line and column:
// yaml.v3 names only a line, and editors and problem matchers want both.
// The column is the best the text of the line allows (see syntaxColumn).
func PlaceSyntaxErrors(ds config.Diagnostics, data []byte) {
	lines := strings.Split(string(data), "\n")
	for i, d := range ds {
		if !strings.HasPrefix(d.Message, syntaxPrefix) || d.Column > 0 {
			continue
		}
		msg := strings.TrimPrefix(d.Message, syntaxPrefix)
		// yaml.v3 names no line for an undefined alias: the alias's first
		// use is where it is.
		if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok && d.Line == 0 {
			name, _, _ = strings.Cut(name, "'")
			for n, l := range lines {
				if strings.Contains(l, "*"+name) {
					ds[i].Line = n + 1
					break
				}
			}
		}
		ds[i].Line = max(ds[i].Line, 1)
		text := ""
		if ds[i].Line <= len(lines) {
			text = strings.TrimSuffix(lines[ds[i].Line-1], "\r")
		}
		ds[i].Column = syntaxColumn(text, msg)
	}
}

// syntaxColumn finds, in the line a YAML error names, what the error is
// about: the tab or reserved character that cannot start a token, the
// second colon of "a: b: c", the undefined alias, the bad escape. Failing
// that, the line's first character that is not a space, or 1.
func syntaxColumn(line, msg string) int {
	at := -1
	switch {
	case strings.Contains(msg, "tab character"):
		at = strings.IndexByte(line, '\t')
	case strings.Contains(msg, "cannot start any token"):
		at = strings.IndexAny(line, "\t@`")
	case strings.Contains(msg, "mapping values are not allowed"):
		if first := strings.Index(line, ": "); first >= 0 {
			if second := strings.IndexByte(line[first+1:], ':'); second >= 0 {
				at = first + 1 + second
			}
		}
	case strings.Contains(msg, "unknown escape character"):
		at = strings.IndexByte(line, '\\')
	case strings.HasPrefix(msg, "unknown anchor '"):
		name, _, _ := strings.Cut(strings.TrimPrefix(msg, "unknown anchor '"), "'")
		at = strings.Index(line, "*"+name)
	}
	if at < 0 {
		at = len(line) - len(strings.TrimLeft(line, " "))
		if at == len(line) {
			at = 0
		}
	}
	return utf8.RuneCountInString(line[:at]) + 1
}
