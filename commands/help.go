package commands

import (
	"fmt"
	"strings"
)

// Help and usage are Markdown read both in PR comments and in Slack, so
// they keep to what both render: backticks, bold and lists.

func usage(v Verb) string {
	s, ok := specOf(v)
	if !ok {
		return help()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: `/deploy %s`\n", s.syntax)
	b.WriteString(capitalize(s.summary))
	b.WriteString("\n")
	for _, n := range notes(v) {
		b.WriteString(n)
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Example: `%s`", s.example)
	return b.String()
}

// notes are what a verb's usage says beyond its syntax.
func notes(v Verb) []string {
	release := "`--release N` acts on release N of the repository instead of the one the pull request or button implies."
	switch v {
	case VerbStatus:
		return []string{release}
	case VerbApprove, VerbReject:
		return []string{release}
	case VerbOverride:
		return []string{
			"BLOCKER is one of " + blockerList() + ". An approval is given with `/deploy approve`, a pause lifted with `/deploy resume`.",
			"`--ttl` (like 30m, 4h or 2d, at most 30d) makes the override lapse by itself; without it, it lasts for the release.",
			release,
		}
	case VerbRollback:
		return []string{release}
	case VerbPause, VerbResume:
		return []string{"Without PIPELINE, `--all` or `--org`: the pipeline the pull request, button or Slack channel implies. `--org` is for organization owners only."}
	case VerbLink:
		return []string{"The code is valid 10 minutes and works once, on a pull request of any repository Wavegate is installed on."}
	case VerbBlock, VerbUnblock:
		return []string{"SHA is 7 to 40 hex digits of the commit."}
	}
	return nil
}

func help() string {
	var b strings.Builder
	b.WriteString("**Wavegate commands**, one per line, in a pull request comment or in Slack:\n\n")
	for _, v := range verbs() {
		s, _ := specOf(v)
		fmt.Fprintf(&b, "- `/deploy %s`: %s\n", s.syntax, s.summary)
	}
	b.WriteString("\n")
	b.WriteString("Put a reason of several words in quotes: `--reason \"errors up after deploy\"`. ")
	b.WriteString("In a pull request comment a command acts on the release that holds the pull request's merge commit; ")
	b.WriteString("`--release N` names another release of the repository. ")
	b.WriteString("In Slack, name the repository before the verb (`/deploy acme/api status`) unless the channel is a pipeline's channel. ")
	b.WriteString("`/deploy help` shows this list; a wrong command is answered with the usage of its verb.")
	return b.String()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
