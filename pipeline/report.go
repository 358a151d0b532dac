package pipeline

import (
	"cmp"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/wavegate/wavegate/config"
	"go.yaml.in/yaml/v3"
)

// maxDiagnostics matches package config's cap, for the same reason: a
// pathological file must not produce a report nothing can display.
const maxDiagnostics = 100

// reporter collects the diagnostics of one file. Its helpers mirror package
// config's unexported ones so that both halves of a file read alike.
type reporter struct {
	file  string
	diags config.Diagnostics
}

func (r *reporter) add(sev config.Severity, pos Pos, format string, args ...any) {
	r.diags = append(r.diags, config.Diagnostic{
		File:     r.file,
		Line:     pos.Line,
		Column:   pos.Column,
		Severity: sev,
		Message:  fmt.Sprintf(format, args...),
	})
}

func (r *reporter) errorf(n *yaml.Node, format string, args ...any) {
	r.add(config.SeverityError, posOf(n), format, args...)
}

func (r *reporter) warnAt(pos Pos, format string, args ...any) {
	r.add(config.SeverityWarning, pos, format, args...)
}

func (r *reporter) errorAt(pos Pos, format string, args ...any) {
	r.add(config.SeverityError, pos, format, args...)
}

// unknownKey reports a key the mapping does not have, suggesting the nearest
// one or, when none is near, listing them all.
func (r *reporter) unknownKey(key *yaml.Node, where string, known []string) {
	if s, ok := closest(key.Value, known); ok {
		r.errorf(key, "unknown key %q in %s (did you mean %q?)", key.Value, where, s)
		return
	}
	r.errorf(key, "unknown key %q in %s (known keys: %s)", key.Value, where, strings.Join(known, ", "))
}

// finish orders the diagnostics by position, because cross-stage rules are
// checked after the walk, and caps them.
func (r *reporter) finish() config.Diagnostics {
	ds := r.diags
	slices.SortStableFunc(ds, func(a, b config.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	if len(ds) > maxDiagnostics {
		dropped := ds[maxDiagnostics:]
		sev := config.SeverityWarning
		if dropped.HasErrors() {
			sev = config.SeverityError
		}
		ds = append(ds[:maxDiagnostics:maxDiagnostics], config.Diagnostic{
			File:     r.file,
			Severity: sev,
			Message:  fmt.Sprintf("too many problems; %d more not shown", len(dropped)),
		})
	}
	return ds
}

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

// deref follows an alias to the node it names; config has rejected cycles
// and an anchor never names an alias, so one step is enough.
func deref(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// isNull reports whether n is an explicit or implicit null ("key:" alone).
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// fields yields the keys and values of a mapping whose keys are plain
// scalars; config has already reported every other kind of key.
func fields(m *yaml.Node) iter.Seq2[*yaml.Node, *yaml.Node] {
	return func(yield func(k, v *yaml.Node) bool) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
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
// scalars so that `parallel: "2"` reads differently from `parallel: 2`.
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
