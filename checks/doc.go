// Package checks owns the review gate's evaluation and (later) the
// pipeline-config checks: pure functions from small domain types to results
// that explain themselves.
//
// Nothing here talks to GitHub, Slack or a database, reads a clock or does
// I/O. Callers (githubapp adapters, workers) fetch what is needed, convert it
// to the types below and call Evaluate; the Result it returns says not only
// whether the gate passes but which reviews counted, which did not and why,
// which checklist items are ticked and what the author should do next, so
// that one result can drive a check-run summary, a PR comment and a Slack
// message alike without recomputing anything.
//
// Pull request descriptions and review data are untrusted input: every
// function in this package accepts any string (huge, binary, deeply nested,
// with unclosed constructs) without panicking and in time linear in its size.
package checks
