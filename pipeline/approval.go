package pipeline

import (
	"fmt"
	"strings"

	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

func approvalKeys() []string { return []string{"approvers", "allow_authors", "timeout"} }

// approval reads a stage's approval:. Null is an approval with defaults, like
// {}: anyone with write permission approves within a week.
func (p *parser) approval(n *yaml.Node, path string, pos map[string]Pos) (*Approval, bool) {
	a := &Approval{Timeout: DefaultApprovalTimeout}
	if yamlwalk.IsNull(n) {
		return a, true
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping (approvers, allow_authors, timeout), got %s; approval: {} lets anyone with write permission approve", path, yamlwalk.Describe(n))
		return nil, false
	}
	ok := true
	for k, v := range yamlwalk.Fields(m) {
		kp := path + "." + k.Value
		pos["approval."+k.Value] = posOf(v)
		good := true
		switch k.Value {
		case "approvers":
			a.Approvers, good = p.approvers(v, kp, pos)
		case "allow_authors":
			a.AllowAuthors, good = yamlwalk.Bool(p.r, v, kp)
		case "timeout":
			a.Timeout, good = p.positiveDuration(v, kp)
		default:
			delete(pos, "approval."+k.Value)
			p.r.UnknownKey(k, path, approvalKeys())
			good = false
		}
		ok = ok && good
	}
	return a, ok
}

// approvers reads logins and teams. A login is kept without "@" so that the
// engine compares it with GitHub's logins as they are; a team keeps its "@".
func (p *parser) approvers(n *yaml.Node, path string, pos map[string]Pos) ([]string, bool) {
	items, ok := stringList(p.r, n, path)
	if items == nil {
		return nil, false
	}
	if ok && len(items) == 0 {
		// An empty list might be meant as "nobody"; that would be a stage
		// no release passes, so the author must say which they mean.
		p.r.Errorf(n, "%s is empty; leave it out to let anyone with write permission approve", path)
		return nil, false
	}
	out := make([]string, 0, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		s := it.value
		if !p.re.approver.MatchString(s) {
			hint := ""
			if !strings.HasPrefix(s, "@") && p.re.approver.MatchString("@"+s) {
				hint = fmt.Sprintf(" (did you mean %q?)", "@"+s)
			}
			p.r.Errorf(it.node, "%s[%d] %q is not a GitHub login (alice) or team (@acme/release-managers)%s", path, i, s, hint)
			ok = false
			continue
		}
		if !strings.Contains(s, "/") {
			s = strings.TrimPrefix(s, "@")
		}
		// Logins and team slugs ignore case on GitHub.
		key := strings.ToLower(s)
		if seen[key] {
			p.r.WarnAt(yamlwalk.Pos(it.pos()), "%s[%d] %q is listed twice", path, i, it.value)
			continue
		}
		seen[key] = true
		pos[fmt.Sprintf("approval.approvers[%d]", len(out))] = it.pos()
		out = append(out, s)
	}
	return out, ok
}
