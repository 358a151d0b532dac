package config

import (
	"strings"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// maxApprovals is a sanity bound: a number above it is a typo, and a gate no
// team can satisfy is worse than an error at the line that asked for it.
const maxApprovals = 10

// Setting is one value of a file with whether the file set it, so that
// merging can tell "not mentioned" from "set to the zero value"
// (approvals: 0, checklist: []).
type Setting[T any] struct {
	Value T
	Set   bool
	// Line and Column locate the key that set it.
	Line, Column int
}

// Review is the review: section of one file.
type Review struct {
	Approvals               Setting[int]
	ApproverPermission      Setting[checks.Permission]
	StaleApprovals          Setting[checks.StaleApprovals]
	Checklist               Setting[[]string]
	ChecklistSkipPaths      Setting[[]string]
	BlockOnChangesRequested Setting[bool]
}

func reviewKeys() []string {
	return []string{
		"approvals", "approver_permission", "stale_approvals",
		"checklist", "checklist_skip_paths", "block_on_changes_requested",
	}
}

func parseReview(r *yamlwalk.Reporter, n *yaml.Node, rv *Review) {
	m := section(r, "review", n)
	if m == nil {
		return
	}
	for k, v := range yamlwalk.Fields(m) {
		p := "review." + k.Value
		switch k.Value {
		case "approvals":
			if x, ok := yamlwalk.Int(r, v, p, 0, maxApprovals); ok {
				set(&rv.Approvals, k, x)
			}
		case "approver_permission":
			if s, ok := yamlwalk.OneOf(r, v, p, permissionNames()); ok {
				// OneOf admitted only names that ParsePermission knows.
				if perm, err := checks.ParsePermission(s); err == nil {
					set(&rv.ApproverPermission, k, perm)
				} else {
					r.Errorf(v, "%s: %v", p, err)
				}
			}
		case "stale_approvals":
			if s, ok := yamlwalk.OneOf(r, v, p, []string{string(checks.StaleDismiss), string(checks.StaleKeep)}); ok {
				set(&rv.StaleApprovals, k, checks.StaleApprovals(s))
			}
		case "checklist":
			if items, ok := checklist(r, v, p); ok {
				set(&rv.Checklist, k, items)
			}
		case "checklist_skip_paths":
			if globs, ok := skipPaths(r, v, p); ok {
				set(&rv.ChecklistSkipPaths, k, globs)
			}
		case "block_on_changes_requested":
			if b, ok := yamlwalk.Bool(r, v, p); ok {
				set(&rv.BlockOnChangesRequested, k, b)
			}
		default:
			r.UnknownKey(k, "review", reviewKeys())
		}
	}
}

func set[T any](s *Setting[T], key *yaml.Node, v T) {
	*s = Setting[T]{Value: v, Set: true, Line: key.Line, Column: key.Column}
}

// checklist reads the items, trimmed. Items must be single lines because
// each is matched against one "- [x] ..." line of the description, and
// distinct in the form the matcher compares (see checklistKey): two items
// it cannot tell apart would be ticked by one box.
func checklist(r *yamlwalk.Reporter, n *yaml.Node, p string) ([]string, bool) {
	items, ok := yamlwalk.StringList(r, n, p)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	first := map[string]*yaml.Node{}
	for i, it := range items {
		text := strings.TrimSpace(yamlwalk.Deref(it).Value)
		key := checklistKey(text)
		switch {
		case text == "":
			r.Errorf(it, "%s[%d] must not be empty", p, i)
			ok = false
		case strings.ContainsAny(text, "\r\n"):
			r.Errorf(it, "%s[%d] must be a single line", p, i)
			ok = false
		case key == "":
			// The matcher never ticks such an item, so the gate could
			// never pass.
			r.Errorf(it, "%s[%d] has no words once emphasis and punctuation are ignored: %q", p, i, text)
			ok = false
		case first[key] != nil:
			r.Errorf(it, "duplicate checklist item %q (first at line %d; case, spacing, emphasis and final punctuation are ignored)", text, first[key].Line)
			ok = false
		default:
			first[key] = it
			out = append(out, text)
		}
	}
	return out, ok
}

// checklistKey is how the gate tells items apart (see checks.ItemKey).
func checklistKey(s string) string { return checks.ItemKey(s) }

// skipPaths reads globs as checks.MatchAny takes them ("!" excludes), with
// checks.ValidateGlob's rules, so that a pattern that could never match a
// changed file is reported here rather than silently skipping nothing.
func skipPaths(r *yamlwalk.Reporter, n *yaml.Node, p string) ([]string, bool) {
	items, ok := yamlwalk.StringList(r, n, p)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		g := yamlwalk.Deref(it).Value
		if err := checks.ValidateGlob(g); err != nil {
			r.Errorf(it, "%s[%d] %q: %v", p, i, g, err)
			ok = false
			continue
		}
		out = append(out, g)
	}
	return out, ok
}

// permissionNames lists the roles for messages and "did you mean"; the
// mapping itself is checks.ParsePermission's.
func permissionNames() []string {
	return []string{"read", "triage", "write", "maintain", "admin"}
}
