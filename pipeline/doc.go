// Package pipeline owns the pipelines: section of .github/wavegate.yml: the
// model the engine runs ([Pipeline], [Stage]) and [Parse], which reads the
// section from the YAML node that package config keeps for it, with every
// problem reported at file:line:col as a config.Diagnostic.
//
// Parse is all or nothing: when any diagnostic is an error it returns no
// pipelines at all, so that a broken file can never half-apply (a pipeline
// that lost a stage, or a stage that lost its bake, would deploy faster and
// wider than its authors wrote).
//
// The package is pure: no I/O, no GitHub, no Slack, no SQL.
package pipeline
