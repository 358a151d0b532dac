// Package pipeline is the deployment engine's pure half.
//
// It owns the pipelines: section of .github/wavegate.yml: the model the
// engine runs ([Pipeline], [Stage]) and [Parse], which reads the section
// from the YAML node that package config keeps for it, with every problem
// reported at file:line:col as a config.Diagnostic. Parse is all or
// nothing: when any diagnostic is an error it returns no pipelines at all,
// so that a broken file can never half-apply (a pipeline that lost a stage,
// or a stage that lost its bake, would deploy faster and wider than its
// authors wrote).
//
// It also owns the engine's [State], the operations people and deployers
// apply to it ([AddRelease], [RecordOutcome], [Decide], [Rollback], ...),
// and the planner, [Plan], which computes the next state, its effects and
// what holds each release. Package engine runs them: it loads, plans,
// saves and keeps the timers.
//
// The package is pure: no I/O, no clock, no GitHub, no Slack, no SQL.
package pipeline
