// Package commandrun runs /deploy commands from every surface (PR comments,
// check-run and Slack buttons, Slack slash commands, the web page): it
// resolves what a command acts on (repository, pipeline, release, stage),
// verifies who the actor is (a Slack user through a verified link), asks
// GitHub for the actor's role and team memberships as they are now, lets
// package commands decide, applies an accepted command through the engine
// exactly once, records every command in the audit log and says what
// happened in words the actor can act on. Surfaces only translate.
package commandrun
