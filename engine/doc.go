// Package engine is the deployment engine's impure half: the [Runner]
// loads a pipeline's state, applies an operation to it (a new release, a
// deploy result, a command), calls the pure planner [pipeline.Plan], and
// saves the new state with the effects it needs in one transaction. It
// keeps the timers: it wakes at the earliest stored wake time, never in a
// polling loop.
//
// Everything it decides comes from package pipeline; what it persists and
// how is a [Store]'s business, and what the effects do is the outbox's.
package engine
