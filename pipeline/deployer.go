package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// Limits on a command deployer's inputs, which become environment variables
// of every deploy: enough for a cluster name or a few flags, not a way to
// ship a script.
const (
	// inputKeyPattern is what the environment variable's name is made of
	// after WAVEGATE_INPUT_: shells and every language read such a name.
	inputKeyPattern = `^[A-Z][A-Z0-9_]*$`
	maxInputKeyLen  = 64
	maxInputs       = 32
	maxInputLen     = 1024 // characters
)

func deployerKeys() []string { return []string{"command", "inputs", "workflow"} }

// ValidDeployerName reports whether name may name a command deployer. The
// rule is that of pipeline and stage names (NameRule), because the name is
// written in a repository's file beside them.
func ValidDeployerName(name string) bool { return compilePatterns().validName(name) }

// NameRule describes the rule of names for messages.
func NameRule() string { return nameRule() }

// deployer reads `github`, `{command: NAME, inputs: {...}}` or
// `{workflow: file.yml}`. pipeline is the pipeline's name, which the
// message about the old argv form offers as the deployer's.
func (p *parser) deployer(n *yaml.Node, path, pipeline string) (Deployer, bool) {
	v := yamlwalk.Deref(n)
	switch v.Kind {
	case yaml.ScalarNode:
		s, ok := yamlwalk.String(p.r, n, path)
		if !ok {
			return Deployer{}, false
		}
		switch s {
		case string(DeployerGitHub):
			return Deployer{Kind: DeployerGitHub}, true
		case string(DeployerCommand):
			p.r.Errorf(n, `%s: a command deployer names one that Wavegate's operator defines: write {command: NAME}`, path)
		case string(DeployerWorkflow):
			p.r.Errorf(n, `%s: a workflow deployer names its workflow file: write {workflow: deploy.yml}`, path)
		default:
			hint := ""
			if c, ok := yamlwalk.Closest(s, []string{string(DeployerGitHub)}); ok {
				hint = fmt.Sprintf(" (did you mean %q?)", c)
			}
			p.r.Errorf(n, `%s must be github, {command: NAME} or {workflow: FILE}; got %q%s`, path, s, hint)
		}
		return Deployer{}, false
	case yaml.MappingNode:
	default:
		p.r.Errorf(n, `%s must be github, {command: NAME} or {workflow: FILE}; got %s`, path, yamlwalk.Describe(n))
		return Deployer{}, false
	}

	var d Deployer
	var first, inputsKey *yaml.Node
	var inputs map[string]string
	ok := true
	for k, val := range yamlwalk.Fields(v) {
		kp := path + "." + k.Value
		switch k.Value {
		case "command", "workflow":
			if first != nil {
				p.r.Errorf(k, "%s takes one of command or workflow, not both", path)
				ok = false
				continue
			}
			first = k
			var good bool
			if k.Value == "command" {
				d, good = p.command(val, kp, pipeline)
			} else {
				d, good = p.workflow(val, kp)
			}
			ok = ok && good
		case "inputs":
			inputsKey = k
			var good bool
			inputs, good = p.inputs(val, kp)
			ok = ok && good
		default:
			p.r.UnknownKey(k, path, deployerKeys())
			ok = false
		}
	}
	switch {
	case first == nil && ok:
		p.r.Errorf(n, "%s needs command or workflow", path)
		ok = false
	case inputsKey != nil && first != nil && first.Value != "command":
		p.r.Errorf(inputsKey, "%s.inputs go with a command deployer; a workflow deployer takes none", path)
		ok = false
	}
	d.Inputs = inputs
	return d, ok
}

// command reads the name of a command deployer. The program itself is the
// operator's to define: the argv a repository used to give, or a string
// that looks like one, is refused with the exact lines that move it to the
// server's config file.
func (p *parser) command(n *yaml.Node, path, pipeline string) (Deployer, bool) {
	v := yamlwalk.Deref(n)
	if v.Kind == yaml.SequenceNode {
		var argv []string
		for _, c := range v.Content {
			if c := yamlwalk.Deref(c); c.Kind == yaml.ScalarNode {
				argv = append(argv, c.Value)
			}
		}
		if len(argv) == 0 {
			p.r.Errorf(n, "%s must name a deployer that Wavegate's operator defines: write {command: NAME}", path)
			return Deployer{}, false
		}
		p.r.Errorf(n, "%s: a repository no longer gives the program to run; Wavegate's operator defines it. %s", path, moveToServer(pipeline, argv))
		return Deployer{}, false
	}
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return Deployer{}, false
	}
	if p.re.validName(s) {
		return Deployer{Kind: DeployerCommand, Name: s, Pos: posOf(n)}, true
	}
	if strings.ContainsAny(s, "/ \t") {
		p.r.Errorf(n, "%s names a deployer that Wavegate's operator defines, not a program. %s", path, moveToServer(pipeline, strings.Fields(s)))
		return Deployer{}, false
	}
	p.r.Errorf(n, "%s: deployer name %q is not allowed: use %s", path, s, nameRule())
	return Deployer{}, false
}

// moveToServer says how to move an argv to the server's config file, in
// YAML that can be pasted as it is.
func moveToServer(pipeline string, argv []string) string {
	name := pipeline
	if !compilePatterns().validName(name) {
		name = "deploy"
	}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	return fmt.Sprintf("Put it in Wavegate's server config file (--config): deployers: {%s: {command: [%s]}} "+
		"(with user: and dir: as the operator sees fit), and write here: deployer: {command: %s}",
		name, strings.Join(quoted, ", "), name)
}

// inputs reads the values a repository passes to its command deployer.
// They become environment variables, so their names and sizes are bounded
// and they must be strings: an unquoted 3 or true is quoted by the author,
// not guessed at.
func (p *parser) inputs(n *yaml.Node, path string) (map[string]string, bool) {
	if yamlwalk.IsNull(n) {
		return nil, true
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping of names to strings, got %s", path, yamlwalk.Describe(n))
		return nil, false
	}
	if len(m.Content)/2 > maxInputs {
		p.r.Errorf(n, "%s has %d entries; at most %d are allowed", path, len(m.Content)/2, maxInputs)
		return nil, false
	}
	keyRE := regexp.MustCompile(inputKeyPattern)
	out := map[string]string{}
	ok := true
	for k, val := range yamlwalk.Fields(m) {
		kp := path + "." + k.Value
		if len(k.Value) > maxInputKeyLen || !keyRE.MatchString(k.Value) {
			hint := ""
			if up := strings.ToUpper(strings.ReplaceAll(k.Value, "-", "_")); up != k.Value && len(up) <= maxInputKeyLen && keyRE.MatchString(up) {
				hint = fmt.Sprintf(" (did you mean %q?)", up)
			}
			p.r.Errorf(k, "input name %q is not allowed: use upper-case letters, digits and \"_\", starting with a letter, at most %d characters; it becomes WAVEGATE_INPUT_<NAME>%s", k.Value, maxInputKeyLen, hint)
			ok = false
			continue
		}
		sv := yamlwalk.Deref(val)
		if sv.Kind == yaml.ScalarNode && sv.ShortTag() != "!!str" && sv.ShortTag() != "!!null" {
			p.r.Errorf(val, "%s must be a string, got %s: quote it, %q", kp, yamlwalk.Describe(val), sv.Value)
			ok = false
			continue
		}
		s, good := yamlwalk.String(p.r, val, kp)
		switch {
		case !good:
			ok = false
		case strings.ContainsRune(s, 0):
			// The operating system cannot pass a NUL inside a variable.
			p.r.Errorf(val, "%s must not contain a NUL character", kp)
			ok = false
		case utf8.RuneCountInString(s) > maxInputLen:
			p.r.Errorf(val, "%s is %d characters long; at most %d are allowed", kp, utf8.RuneCountInString(s), maxInputLen)
			ok = false
		default:
			out[k.Value] = s
		}
	}
	return out, ok
}

// workflow reads the file name of a workflow in .github/workflows, as
// GitHub's workflow-dispatch API takes it.
func (p *parser) workflow(n *yaml.Node, path string) (Deployer, bool) {
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return Deployer{}, false
	}
	base, yml := strings.CutSuffix(s, ".yml")
	if !yml {
		base, yml = strings.CutSuffix(s, ".yaml")
	}
	if !yml || base == "" || strings.Contains(s, "/") {
		p.r.Errorf(n, "%s must be a workflow file name in .github/workflows, like deploy.yml; got %q", path, s)
		return Deployer{}, false
	}
	p.r.Warnf(n, "the workflow deployer is not available yet")
	return Deployer{Kind: DeployerWorkflow, Workflow: s}, true
}

// CheckDeployers reports, at file:line, each command deployer of ps whose
// name is not among known, the deployers the server's operator defines.
// Parse cannot tell: the names belong to the server, not to the file. The
// App checks them before a push starts a release, and `wavegate validate
// --server-config` checks them locally.
func CheckDeployers(file string, ps []Pipeline, known []string) config.Diagnostics {
	r := yamlwalk.NewReporter(file)
	for _, p := range ps {
		d := p.Deployer
		if d.Kind != DeployerCommand || slices.Contains(known, d.Name) {
			continue
		}
		defined := "it defines none"
		if len(known) > 0 {
			sorted := slices.Sorted(slices.Values(known))
			defined = "it defines " + strings.Join(sorted, ", ")
		}
		hint := ""
		if c, ok := yamlwalk.Closest(d.Name, known); ok {
			hint = fmt.Sprintf(" (did you mean %q?)", c)
		}
		r.ErrorAt(yamlwalk.Pos(d.Pos), "pipelines.%s.deployer.command: Wavegate's server defines no deployer %q%s (%s); "+
			"its operator adds one under deployers: in Wavegate's config file", p.Name, d.Name, hint, defined)
	}
	return r.Finish()
}
