// Package effects performs the outbox's effects: deploy steps, PR comments
// and notices, the deploy check run, GitHub deployment statuses, and the
// Slack message of each release with its thread. It also turns the engine's
// saved decisions into those effects (EngineStore), so that what is queued
// and how it is performed are read in one place.
//
// Each performer is a small type whose dependencies are given explicitly:
// a source of GitHub clients, a Slack poster, the store's interfaces, the
// engine runner, the clock, the logger and the renderer. Rendering belongs
// to notify and deploying to deploy; this package only decides what to
// call, in which order, and what to record so that a retry after a crash
// neither loses an effect nor performs it twice.
package effects
