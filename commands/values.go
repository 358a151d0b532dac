package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wavegate/wavegate/pipeline"
)

// maxTTL bounds --ttl: an override is for an incident, not a standing rule.
const maxTTL = 30 * 24 * time.Hour

func unknownVerb(word string) error {
	names := make([]string, 0, len(verbs()))
	for _, v := range verbs() {
		names = append(names, string(v))
	}
	list := strings.Join(names, ", ")
	if near := nearest(strings.ToLower(word), names); near != "" {
		return fmt.Errorf("unknown verb %q; did you mean %s? The verbs are %s", excerpt(word), near, list)
	}
	return fmt.Errorf("unknown verb %q. The verbs are %s", excerpt(word), list)
}

// nearest returns the candidate closest to word when it is close enough to
// be a typo (at most two edits, and fewer than the word's length), or "".
func nearest(word string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := distance(word, c)
		if d < bestD && d < utf8.RuneCountInString(word) {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		// Not a typo of anything in the grammar; spare the quadratic work.
		return 64
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// validRepository checks an "owner/repo" argument against GitHub's rules
// for account and repository names.
func validRepository(s string) error {
	owner, name, _ := strings.Cut(s, "/")
	bad := func(why string) error {
		return fmt.Errorf("%q is not a repository (%s): name it as owner/repo, for example acme/api", excerpt(s), why)
	}
	switch {
	case owner == "" || len(owner) > 39:
		return bad("the owner must be 1 to 39 characters")
	case strings.HasPrefix(owner, "-"):
		return bad("the owner cannot start with -")
	case strings.Trim(owner, alnum+"-") != "":
		return bad("the owner may hold only letters, digits and -")
	case name == "" || len(name) > 100:
		return bad("the name must be 1 to 100 characters")
	case name == "." || name == "..":
		return bad("the name cannot be . or ..")
	case strings.Trim(name, alnum+"-_.") != "":
		return bad("the name may hold only letters, digits, -, _ and .")
	}
	return nil
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (p *parser) blocker(word string) error {
	k := pipeline.BlockerKind(strings.ToLower(word))
	switch k {
	case pipeline.BlockerApproval:
		return errors.New("an approval is not overridden: use /deploy approve")
	case pipeline.BlockerPaused:
		return errors.New("a pause is not overridden: use /deploy resume")
	}
	for _, b := range overridable() {
		if k == b {
			p.cmd.Blocker = k
			return nil
		}
	}
	return fmt.Errorf("unknown blocker %q: /deploy override takes one of %s", excerpt(word), blockerList())
}

func blockerList() string {
	names := make([]string, 0, len(overridable()))
	for _, b := range overridable() {
		names = append(names, string(b))
	}
	return strings.Join(names, ", ")
}

// parseSHA accepts an abbreviated or full commit id, lower-cased.
func parseSHA(s string) (string, error) {
	if len(s) < 7 || len(s) > 40 || strings.Trim(strings.ToLower(s), "0123456789abcdef") != "" {
		return "", fmt.Errorf("%q is not a commit SHA: give 7 to 40 hex digits", excerpt(s))
	}
	return strings.ToLower(s), nil
}

// parseName checks a pipeline, stage, target or code; what names a thing
// that exists is the runner's business.
func parseName(what, s string) (string, error) {
	switch {
	case s == "":
		return "", fmt.Errorf("%s is empty", what)
	case utf8.RuneCountInString(s) > maxName:
		return "", fmt.Errorf("%s %q is too long: at most %d characters", what, excerpt(s), maxName)
	}
	if r, bad := hiddenRune(s, false); bad {
		return "", fmt.Errorf("%s %q holds the invisible character %U; remove it", what, excerpt(s), r)
	}
	return s, nil
}

// hiddenRune finds a character that would let a line read differently
// from what it holds, in replies, the web UI or a terminal running
// wavegate audit: control characters (tab and newline only where
// allowed) and bidirectional overrides.
func hiddenRune(s string, spaces bool) (rune, bool) {
	for _, r := range s {
		switch {
		case spaces && (r == '\t' || r == '\n'):
		case unicode.IsControl(r), r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return r, true
		}
	}
	return 0, false
}

func parseReason(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("--reason is empty: say why, for example --reason \"errors up after deploy\"")
	}
	if n := utf8.RuneCountInString(s); n > MaxReason {
		return "", fmt.Errorf("--reason is %d characters long; the limit is %d", n, MaxReason)
	}
	if r, bad := hiddenRune(s, true); bad {
		return "", fmt.Errorf("--reason holds the invisible character %U; remove it", r)
	}
	return s, nil
}

func parseRelease(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--release %q is not a release number: give a positive integer, for example --release 12", excerpt(s))
	}
	return n, nil
}

// parseTTL reads a Go duration ("90m", "4h30m"), optionally after a number
// of days ("2d", "1d12h").
func parseTTL(s string) (time.Duration, error) {
	bad := fmt.Errorf("--ttl %q is not a duration: give one like 30m, 4h or 2d (at most 30d)", excerpt(s))
	var d time.Duration
	rest := s
	if days, after, ok := strings.Cut(s, "d"); ok && days != "" && strings.Trim(days, "0123456789") == "" {
		n, err := strconv.Atoi(days)
		if err != nil || n > 30 {
			return 0, fmt.Errorf("--ttl %s is longer than the limit of 30d", excerpt(s))
		}
		d, rest = time.Duration(n)*24*time.Hour, after
		if strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
			return 0, bad
		}
	}
	if rest != "" {
		more, err := time.ParseDuration(rest)
		if err != nil {
			return 0, bad
		}
		if more > maxTTL {
			return 0, fmt.Errorf("--ttl %s is longer than the limit of 30d", excerpt(s))
		}
		d += more
	}
	if d <= 0 {
		return 0, fmt.Errorf("--ttl %q is not positive: give one like 30m, 4h or 2d", excerpt(s))
	}
	if d > maxTTL {
		return 0, fmt.Errorf("--ttl %s is longer than the limit of 30d", excerpt(s))
	}
	return d, nil
}
