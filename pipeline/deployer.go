package pipeline

import (
	"fmt"
	"strings"

	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

func deployerKeys() []string { return []string{"command", "workflow"} }

// deployer reads `github`, `{command: [argv...]}` or `{workflow: file.yml}`.
func (p *parser) deployer(n *yaml.Node, path string) (Deployer, bool) {
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
			p.r.Errorf(n, `%s: a command deployer names its program: write {command: ["./deploy.sh"]}`, path)
		case string(DeployerWorkflow):
			p.r.Errorf(n, `%s: a workflow deployer names its workflow file: write {workflow: deploy.yml}`, path)
		default:
			hint := ""
			if c, ok := yamlwalk.Closest(s, []string{string(DeployerGitHub)}); ok {
				hint = fmt.Sprintf(" (did you mean %q?)", c)
			}
			p.r.Errorf(n, `%s must be github, {command: [...]} or {workflow: FILE}; got %q%s`, path, s, hint)
		}
		return Deployer{}, false
	case yaml.MappingNode:
	default:
		p.r.Errorf(n, `%s must be github, {command: [...]} or {workflow: FILE}; got %s`, path, yamlwalk.Describe(n))
		return Deployer{}, false
	}

	var d Deployer
	var first *yaml.Node
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
				d, good = p.command(val, kp)
			} else {
				d, good = p.workflow(val, kp)
			}
			ok = ok && good
		default:
			p.r.UnknownKey(k, path, deployerKeys())
			ok = false
		}
	}
	if first == nil && ok {
		p.r.Errorf(n, "%s needs command or workflow", path)
		ok = false
	}
	return d, ok
}

// command reads an argv. One string is refused rather than split, because
// splitting would have to guess at quoting; the message shows the list the
// words make so the author can check it.
func (p *parser) command(n *yaml.Node, path string) (Deployer, bool) {
	if v := yamlwalk.Deref(n); v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && strings.TrimSpace(v.Value) != "" {
		words := strings.Fields(v.Value)
		for i, w := range words {
			words[i] = fmt.Sprintf("%q", w)
		}
		p.r.Errorf(n, "%s must be a list of arguments, not one string: write command: [%s]", path, strings.Join(words, ", "))
		return Deployer{}, false
	}
	items, ok := stringList(p.r, n, path)
	if items == nil {
		return Deployer{}, false
	}
	if ok && len(items) == 0 {
		p.r.Errorf(n, "%s is empty: it needs at least the program to run", path)
		return Deployer{}, false
	}
	argv := make([]string, 0, len(items))
	for i, it := range items {
		switch {
		case it.value == "":
			p.r.Errorf(it.node, "%s[%d] must not be empty", path, i)
			ok = false
		case strings.ContainsRune(it.value, 0):
			// The operating system cannot pass a NUL inside an argument.
			p.r.Errorf(it.node, "%s[%d] must not contain a NUL character", path, i)
			ok = false
		default:
			argv = append(argv, it.value)
		}
	}
	return Deployer{Kind: DeployerCommand, Command: argv}, ok
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
