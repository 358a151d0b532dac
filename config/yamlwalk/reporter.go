package yamlwalk

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxDiagnostics keeps a pathological file (thousands of unknown keys) from
// producing a report larger than anything that could display it.
const MaxDiagnostics = 100

// Pos locates a value in the file; Line and Column are 1-based.
type Pos struct{ Line, Column int }

// PosOf is where n was written.
func PosOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

// Reporter collects the diagnostics of one file.
type Reporter struct {
	file  string
	diags Diagnostics
}

// NewReporter returns a Reporter whose diagnostics name file.
func NewReporter(file string) *Reporter { return &Reporter{file: file} }

func (r *Reporter) add(sev Severity, pos Pos, format string, args ...any) {
	r.diags = append(r.diags, Diagnostic{
		File:     r.file,
		Line:     pos.Line,
		Column:   pos.Column,
		Severity: sev,
		Message:  fmt.Sprintf(format, args...),
	})
}

// Errorf reports an error at n, which is where it was written even when it
// is an alias: a problem is reported where the value is used.
func (r *Reporter) Errorf(n *yaml.Node, format string, args ...any) {
	r.add(SeverityError, PosOf(n), format, args...)
}

// Warnf reports a warning at n.
func (r *Reporter) Warnf(n *yaml.Node, format string, args ...any) {
	r.add(SeverityWarning, PosOf(n), format, args...)
}

// ErrorAt reports an error at a position kept from the walk, for rules that
// are checked after it, when the node is no longer at hand.
func (r *Reporter) ErrorAt(pos Pos, format string, args ...any) {
	r.add(SeverityError, pos, format, args...)
}

// WarnAt reports a warning at a position kept from the walk.
func (r *Reporter) WarnAt(pos Pos, format string, args ...any) {
	r.add(SeverityWarning, pos, format, args...)
}

// UnknownKey reports a key that the section does not have, suggesting the
// nearest one or, when none is near, listing them all. An empty section is
// the top level, which needs no "in ...".
func (r *Reporter) UnknownKey(key *yaml.Node, section string, known []string) {
	where := ""
	if section != "" {
		where = " in " + section
	}
	if s, ok := Closest(key.Value, known); ok {
		r.Errorf(key, "unknown key %q%s (did you mean %q?)", key.Value, where, s)
		return
	}
	r.Errorf(key, "unknown key %q%s (known keys: %s)", key.Value, where, strings.Join(known, ", "))
}

// Finish orders the diagnostics by position, because structural passes,
// section parsers and cross-section rules find problems in different
// orders, and caps them at MaxDiagnostics.
func (r *Reporter) Finish() Diagnostics {
	ds := r.diags
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	if len(ds) > MaxDiagnostics {
		dropped := ds[MaxDiagnostics:]
		sev := SeverityWarning
		if dropped.HasErrors() {
			sev = SeverityError
		}
		ds = append(ds[:MaxDiagnostics:MaxDiagnostics], Diagnostic{
			File:     r.file,
			Severity: sev,
			Message:  fmt.Sprintf("too many problems; %d more not shown", len(dropped)),
		})
	}
	return ds
}
