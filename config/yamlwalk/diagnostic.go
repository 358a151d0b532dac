package yamlwalk

import (
	"fmt"
	"strings"
)

// Severity says whether a diagnostic makes the file unusable.
type Severity int

const (
	// SeverityError is the zero value so that a Diagnostic built without a
	// severity fails closed.
	SeverityError Severity = iota
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one problem found in a file. Line and Column are 1-based;
// zero means the problem concerns the whole file (or YAML did not say where),
// and a consumer that needs a line, such as a check-run annotation, should
// use line 1.
type Diagnostic struct {
	File     string
	Line     int
	Column   int
	Severity Severity
	Message  string
}

// String formats the diagnostic the way compilers do, so that editors and
// terminals can jump to it: "file:line:col: error: message".
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d", d.Line)
		if d.Column > 0 {
			fmt.Fprintf(&b, ":%d", d.Column)
		}
	}
	fmt.Fprintf(&b, ": %s: %s", d.Severity, d.Message)
	return b.String()
}

// Diagnostics is every problem found, in file order. It implements error so
// that it can be returned as one; it is an error only if HasErrors.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error rather than a warning.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity != SeverityWarning {
			return true
		}
	}
	return false
}

// Error lists the errors, one a line; warnings are left out because they do
// not explain a failure.
func (ds Diagnostics) Error() string {
	var lines []string
	for _, d := range ds {
		if d.Severity != SeverityWarning {
			lines = append(lines, d.String())
		}
	}
	if len(lines) == 0 {
		return "no errors"
	}
	return strings.Join(lines, "\n")
}
