package config

import (
	"cmp"
	"fmt"
	"iter"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxDiagnostics keeps a pathological file (thousands of unknown keys) from
// producing a report larger than anything that could display it.
const maxDiagnostics = 100

// reporter collects the diagnostics of one file.
type reporter struct {
	file  string
	diags Diagnostics
}

func (r *reporter) add(sev Severity, line, col int, format string, args ...any) {
	r.diags = append(r.diags, Diagnostic{
		File:     r.file,
		Line:     line,
		Column:   col,
		Severity: sev,
		Message:  fmt.Sprintf(format, args...),
	})
}

func (r *reporter) errorf(n *yaml.Node, format string, args ...any) {
	r.add(SeverityError, n.Line, n.Column, format, args...)
}

func (r *reporter) warnf(n *yaml.Node, format string, args ...any) {
	r.add(SeverityWarning, n.Line, n.Column, format, args...)
}

// unknownKey reports a key that the section does not have, suggesting the
// nearest one or, when none is near, listing them all.
func (r *reporter) unknownKey(key *yaml.Node, section string, known []string) {
	where := ""
	if section != "" {
		where = " in " + section
	}
	if s, ok := closest(key.Value, known); ok {
		r.errorf(key, "unknown key %q%s (did you mean %q?)", key.Value, where, s)
		return
	}
	r.errorf(key, "unknown key %q%s (known keys: %s)", key.Value, where, strings.Join(known, ", "))
}

// finish orders the diagnostics by position, because the structural pass and
// the section parsers find problems in different orders, and caps them.
func (r *reporter) finish() Diagnostics {
	ds := r.diags
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	if len(ds) > maxDiagnostics {
		dropped := ds[maxDiagnostics:]
		sev := SeverityWarning
		if dropped.HasErrors() {
			sev = SeverityError
		}
		ds = append(ds[:maxDiagnostics:maxDiagnostics], Diagnostic{
			File:     r.file,
			Severity: sev,
			Message:  fmt.Sprintf("too many problems; %d more not shown", len(dropped)),
		})
	}
	return ds
}

// deref follows an alias to the node it names. The structural pass has
// already rejected cycles, and an anchor can never name an alias, so one step
// is enough.
func deref(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// isNull reports whether n is an explicit or implicit null ("key:" with
// nothing after it).
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// pairs yields the keys and values of a mapping node, all of them: for the
// structural pass.
func pairs(m *yaml.Node) iter.Seq2[*yaml.Node, *yaml.Node] {
	return func(yield func(k, v *yaml.Node) bool) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if !yield(m.Content[i], m.Content[i+1]) {
				return
			}
		}
	}
}

// fields yields the keys and values of a mapping node whose keys are plain
// names: for section parsers, which would only repeat what the structural
// pass said about the others.
func fields(m *yaml.Node) iter.Seq2[*yaml.Node, *yaml.Node] {
	return func(yield func(k, v *yaml.Node) bool) {
		for k, v := range pairs(m) {
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				continue
			}
			if !yield(k, v) {
				return
			}
		}
	}
}

// describe names what a node is for "got ..." in a type error, quoting
// scalars so that `approvals: "2"` reads differently from `approvals: 2`.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if r := []rune(v); len(r) > 40 {
			v = string(r[:40]) + "…"
		}
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!str":
			return fmt.Sprintf("string %q", v)
		case "!!bool":
			return "boolean " + v
		case "!!int", "!!float":
			return "number " + v
		default:
			return fmt.Sprintf("%s %q", n.Tag, v)
		}
	}
	return "nothing"
}

// section returns the mapping under a top-level key, or nil when the key
// has no value (a section whose every line is commented out is empty, not
// wrong).
func section(r *reporter, name string, n *yaml.Node) *yaml.Node {
	if isNull(n) {
		return nil
	}
	v := deref(n)
	if v.Kind != yaml.MappingNode {
		r.errorf(n, "%s must be a mapping, got %s", name, describe(n))
		return nil
	}
	return v
}
