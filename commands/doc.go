// Package commands owns the /deploy grammar shared by PR comments, Slack
// slash commands, Slack and check-run buttons and the web page, and who may
// run each command.
//
// [Parse] reads one line into a tri-state [Parsed]: not a command (ordinary
// text, ignored silently), a [Command], or a command with an error that a
// person can act on (the error and the usage of that verb). [ParseComment]
// finds the command lines of a PR comment, skipping code blocks and quotes.
// [Authorize] is a pure function of the command, the actor and what the
// command acts on, and explains its refusals.
//
// The package is pure: no I/O, no clock, no GitHub, no Slack, no SQL.
package commands
