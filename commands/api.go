package commands

// The functions below are the package's API; their bodies are being built.

// Parse reads one line. A line whose first word is not /deploy is
// NotCommand.
func Parse(line string) Parsed { return parse(line) }

// ParseComment returns the commands of a PR comment in order, valid or
// invalid: each line that starts with /deploy (after up to 3 spaces),
// outside fenced or indented code blocks, block quotes and HTML comments.
func ParseComment(body string) []Parsed { return parseComment(body) }

// Usage is the usage text of one verb; Help lists every verb.
func Usage(v Verb) string { return usage(v) }

// Help is the answer to /deploy help.
func Help() string { return help() }

// Authorize decides whether a may run c on s, per DESIGN.md (Commands):
// help, status, link and unlink anyone; approve and reject the stage's
// approvers when it names any, otherwise write, never the release's own
// authors unless s.AllowAuthors; pause --org an organization owner; the
// rest s.OverridePermission (default maintain).
func Authorize(c Command, a Actor, s Subject) Decision { return authorize(c, a, s) }
