package pipeline

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Patterns shared by the parser and the JSON Schema, so that an editor and
// `wavegate validate` accept the same file. They are written in the common
// subset of RE2 and ECMA-262 regular expressions.
const (
	// Pipeline and stage names are typed in commands (/deploy approve
	// wave-1), so they are kept to what needs no quoting and no shift key.
	namePattern = `^[a-z0-9][a-z0-9_-]*$`
	maxNameLen  = 64
	// durationPattern is Go's duration syntax without signs or fractions.
	durationPattern = `^[0-9]+(ns|us|µs|ms|s|m|h)([0-9]+(ns|us|µs|ms|s|m|h))*$`
	// targetPattern is what GitHub accepts as an environment name: no
	// control characters, no leading "/".
	targetPattern = `^[^/\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$`
	maxTargetLen  = 255
	// approverPattern is a login ("alice", or "@alice") or a team
	// ("@acme/release-managers"). Logins are GitHub's alphabet; older
	// accounts may have hyphens where new ones may not, so hyphens are not
	// constrained further.
	approverPattern = `^(@?[A-Za-z0-9][A-Za-z0-9-]{0,38}|@[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9][A-Za-z0-9_.-]*)$`
	// slackChannelPattern is "#name" or a channel ID; a bare name is
	// rejected because it could not be told from an ID.
	slackChannelPattern = `^(#[^\s#]{1,80}|[CG][A-Z0-9]{8,})$`
)

// patterns holds the compiled regular expressions of one Parse: the
// package keeps no globals.
type patterns struct {
	name, duration, approver, slack, label *regexp.Regexp
}

func compilePatterns() patterns {
	return patterns{
		name:     regexp.MustCompile(namePattern),
		duration: regexp.MustCompile(durationPattern),
		approver: regexp.MustCompile(approverPattern),
		slack:    regexp.MustCompile(slackChannelPattern),
		label:    regexp.MustCompile(labelPattern),
	}
}

func (ps patterns) validName(s string) bool {
	return len(s) <= maxNameLen && ps.name.MatchString(s)
}

func nameRule() string {
	return fmt.Sprintf(`lower-case letters, digits, "-" and "_", starting with a letter or digit, at most %d characters`, maxNameLen)
}

// checkTarget applies GitHub's rules for environment names, which is what
// a target is.
func checkTarget(s string) error {
	switch {
	case s == "":
		return errors.New("must not be empty")
	case utf8.RuneCountInString(s) > maxTargetLen:
		return fmt.Errorf("is %d characters long; GitHub environment names have at most %d", utf8.RuneCountInString(s), maxTargetLen)
	case strings.HasPrefix(s, "/"):
		return errors.New(`must not start with "/"`)
	case strings.ContainsFunc(s, unicode.IsControl):
		return errors.New("must not contain control characters")
	}
	return nil
}

// checkBranch applies the rules of git check-ref-format that a branch name
// written by hand is likely to break; a branch that cannot exist would make
// a pipeline that never runs.
func checkBranch(s string) error {
	if rest, ok := strings.CutPrefix(s, "refs/"); ok {
		if b, ok := strings.CutPrefix(rest, "heads/"); ok && checkBranch(b) == nil {
			return fmt.Errorf("write the branch name alone: %q", b)
		}
		return errors.New("must be a branch name, not a ref")
	}
	switch {
	case s == "":
		return errors.New("must not be empty")
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return errors.New("must not contain spaces or control characters")
	case strings.ContainsAny(s, `~^:?*[\`):
		return errors.New(`must not contain any of ~ ^ : ? * [ \`)
	case strings.Contains(s, ".."), strings.Contains(s, "//"), strings.Contains(s, "@{"):
		return errors.New(`must not contain "..", "//" or "@{"`)
	case strings.HasPrefix(s, "/"), strings.HasSuffix(s, "/"), strings.HasPrefix(s, "."), strings.HasSuffix(s, "."),
		strings.HasSuffix(s, ".lock"), strings.Contains(s, "/."), s == "@":
		return errors.New("is not a valid git branch name")
	}
	return nil
}
