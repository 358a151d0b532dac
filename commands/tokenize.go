package commands

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a command line.
type token struct {
	text string
	// quoted: some of it was quoted (--reason="two words").
	quoted bool
	// opensQuoted: it starts with a quote, so "--all" in quotes is text,
	// not a flag.
	opensQuoted bool
}

// closersOf returns the quotes that close the opening quote r, or "" when
// r opens none. Slack and phone keyboards turn typed quotes into
// typographic ones, sometimes on one side only, so a typographic opener
// also accepts a plain closer.
func closersOf(r rune) string {
	switch r {
	case '"':
		return `"”`
	case '“':
		return `”"“`
	case '„':
		return `“”"`
	case '\'':
		return `'’`
	case '‘':
		return `’'`
	case '«':
		return "»"
	}
	return ""
}

// apostrophes open a quote only at the start of a word (or of a flag's
// value) and close only at its end, so "don't" stays one word.
func isApostropheQuote(r rune) bool { return r == '\'' || r == '‘' || r == '’' }

// tokenize splits s into words. Quotes group words and may sit inside a
// word (--reason="two words"); inside double quotes a backslash escapes a
// quote or a backslash, and is kept as typed before anything else (paths,
// patterns).
func tokenize(s string) ([]token, error) {
	var (
		toks    []token
		cur     strings.Builder
		inWord  bool
		quoted  bool
		opens   bool
		wordBeg = true // at the start of a word or just after its "="
	)
	flush := func() {
		if inWord {
			toks = append(toks, token{text: cur.String(), quoted: quoted, opensQuoted: opens})
		}
		cur.Reset()
		inWord, quoted, opens, wordBeg = false, false, false, true
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			flush()
			i += n
			continue
		}
		close := closersOf(r)
		isQuote := close != ""
		if isQuote && isApostropheQuote(r) && !wordBeg {
			isQuote = false
		}
		if !isQuote {
			cur.WriteRune(r)
			inWord, wordBeg = true, r == '='
			i += n
			continue
		}
		end, err := readQuoted(s, i, n, r, close, &cur)
		if err != nil {
			return nil, err
		}
		opens = opens || !inWord
		inWord, quoted, wordBeg = true, true, false
		i = end
	}
	flush()
	return toks, nil
}

// readQuoted copies the quoted text that opens at s[start] (the quote is n
// bytes) into b and returns the index just past the closing quote.
func readQuoted(s string, start, n int, open rune, close string, b *strings.Builder) (int, error) {
	escapes := !isApostropheQuote(open)
	for i := start + n; i < len(s); {
		r, m := utf8.DecodeRuneInString(s[i:])
		if escapes && r == '\\' && i+1 < len(s) {
			next, k := utf8.DecodeRuneInString(s[i+1:])
			if next == '\\' || strings.ContainsRune(close, next) || next == open {
				b.WriteRune(next)
				i += 1 + k
				continue
			}
		}
		if strings.ContainsRune(close, r) && (!isApostropheQuote(r) || endsWord(s, i+m)) {
			return i + m, nil
		}
		b.WriteRune(r)
		i += m
	}
	return 0, fmt.Errorf("unterminated quote: the %c in %c%s has no closing quote", open, open, excerpt(s[start+n:]))
}

// endsWord reports whether s[i:] starts at a word boundary, so that the
// apostrophe in 'it's late' does not end the quote.
func endsWord(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r) || unicode.IsPunct(r)
}

// excerpt shortens s for an error message.
func excerpt(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}
