package config

import "github.com/wavegate/wavegate/config/yamlwalk"

// The diagnostic types live in package yamlwalk, whose reporter builds them
// for both the config and pipeline parsers; they are aliases here so that
// every user of config.Diagnostic keeps compiling unchanged.

// Severity says whether a diagnostic makes the file unusable.
type Severity = yamlwalk.Severity

// Severities. SeverityError is the zero value so that a Diagnostic built
// without a severity fails closed.
const (
	SeverityError   = yamlwalk.SeverityError
	SeverityWarning = yamlwalk.SeverityWarning
)

// Diagnostic is one problem found in a file. Line and Column are 1-based;
// zero means the problem concerns the whole file (or YAML did not say where),
// and a consumer that needs a line, such as a check-run annotation, should
// use line 1.
type Diagnostic = yamlwalk.Diagnostic

// Diagnostics is every problem found, in file order. It implements error so
// that it can be returned as one; it is an error only if HasErrors.
type Diagnostics = yamlwalk.Diagnostics
