package notify

import (
	"strings"
	"unicode/utf8"
)

// Markdown escapes s for GitHub-flavoured Markdown: punctuation that could
// start markup is backslash-escaped, "@" cannot start a mention, and line
// breaks become spaces, so one value stays on its one line (or table cell).
func Markdown(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '{', '}', '[', ']', '<', '>', '(', ')', '#', '+', '-', '!', '|', '~', '&':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '@':
			// A zero-width joiner keeps "@team" from notifying anyone.
			b.WriteString("@\u200d")
		case '\r', '\n':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CheckRunTextLimit is GitHub's limit on a check run's summary and text.
const CheckRunTextLimit = 65535

// truncate cuts s to at most limit bytes on a rune boundary, saying so.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const note = "\n\n… (cut to fit GitHub's limit)"
	cut := limit - len(note)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + note
}
