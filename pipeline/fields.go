package pipeline

import (
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// Readers for the pipeline-level keys other than stages.

func (p *parser) branch(n *yaml.Node, path string) (string, bool) {
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return "", false
	}
	if err := checkBranch(s); err != nil {
		p.r.Errorf(n, "%s %q: %v", path, s, err)
		return "", false
	}
	return s, true
}

// paths reads globs as checks.MatchAny takes them. A list that can select
// nothing is an error: the pipeline would never release.
func (p *parser) paths(n *yaml.Node, path string, pos map[string]Pos) ([]string, bool) {
	items, ok := stringList(p.r, n, path)
	if items == nil {
		return nil, false
	}
	if ok && len(items) == 0 {
		p.r.Errorf(n, "%s is empty, so no push would ever release; leave it out to select every file", path)
		return nil, false
	}
	out := make([]string, 0, len(items))
	includes := 0
	for i, it := range items {
		pos[fmt.Sprintf("paths[%d]", i)] = it.pos()
		glob, excl := strings.CutPrefix(it.value, "!")
		if err := checks.ValidateGlob(glob); err != nil {
			p.r.Errorf(it.node, "%s[%d] %q: %v", path, i, it.value, err)
			ok = false
			continue
		}
		if !excl {
			includes++
		}
		out = append(out, it.value)
	}
	if ok && includes == 0 {
		p.r.Errorf(n, `%s only excludes, so it selects no file; start with "**" to exclude from everything`, path)
		return nil, false
	}
	return out, ok
}

func (p *parser) positiveDuration(n *yaml.Node, path string) (time.Duration, bool) {
	d, ok := durationValue(p.r, p.re.duration, n, path)
	if ok && d == 0 {
		p.r.Errorf(n, "%s must be longer than 0s", path)
		return 0, false
	}
	return d, ok
}

func (p *parser) slackChannel(n *yaml.Node, path string) (string, bool) {
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return "", false
	}
	if p.re.slack.MatchString(s) {
		return s, true
	}
	hint := ""
	if p.re.slack.MatchString("#" + s) {
		hint = fmt.Sprintf(" (did you mean %q?)", "#"+s)
	}
	p.r.Errorf(n, `%s must be a channel name starting with "#" (like "#deploys") or a channel ID (like C0123456789); got %q%s`, path, s, hint)
	return "", false
}

// rawMapping checks the shape of a section that later packages interpret.
// Null is absent, as for config's sections: a block whose every line is
// commented out is empty, not wrong.
func (p *parser) rawMapping(n *yaml.Node, path string) (*yaml.Node, bool) {
	if yamlwalk.IsNull(n) {
		return nil, true
	}
	v := yamlwalk.Deref(n)
	if v.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping, got %s", path, yamlwalk.Describe(n))
		return nil, false
	}
	return v, true
}

// datapoints reads the query template. Only its syntax is checked here: the
// data it is executed with belongs to the alarms package.
func (p *parser) datapoints(n *yaml.Node, path string) (string, bool) {
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		p.r.Errorf(n, "%s must not be empty; leave it out to count no data points", path)
		return "", false
	}
	if _, err := template.New("datapoints").Parse(s); err != nil {
		p.r.Errorf(n, "%s is not a valid template: %v", path, err)
		return "", false
	}
	return s, true
}

func overridesKeys() []string { return []string{"permission"} }

func (p *parser) overrides(n *yaml.Node, path string, pos map[string]Pos) (Overrides, bool) {
	o := Overrides{Permission: DefaultOverridePermission}
	if yamlwalk.IsNull(n) {
		return o, true
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping, got %s", path, yamlwalk.Describe(n))
		return o, false
	}
	ok := true
	for k, v := range yamlwalk.Fields(m) {
		switch k.Value {
		case "permission":
			pos["overrides.permission"] = posOf(v)
			s, good := yamlwalk.OneOf(p.r, v, path+".permission", permissionNames())
			if !good {
				ok = false
				continue
			}
			perm, err := checks.ParsePermission(s)
			if err != nil {
				p.r.Errorf(v, "%s.permission: %v", path, err)
				ok = false
				continue
			}
			o.Permission = perm
		default:
			p.r.UnknownKey(k, path, overridesKeys())
			ok = false
		}
	}
	return o, ok
}

// permissionNames lists the roles for messages; the mapping itself is
// checks.ParsePermission's.
func permissionNames() []string {
	return []string{"read", "triage", "write", "maintain", "admin"}
}
