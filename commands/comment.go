package commands

import "strings"

// parseComment follows the Markdown a reader of the comment sees: a
// /deploy line shown as code, quoted from someone else, or hidden in an
// HTML comment is not a command. Lines that merely follow a quote without
// ">" (lazy continuation) are the commenter's own and count.
func parseComment(body string) []Parsed {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	var (
		out       []Parsed
		fence     string // the opening fence while inside a fenced block
		inComment bool
	)
	for _, line := range strings.Split(body, "\n") {
		if fence != "" {
			if closesFence(line, fence) {
				fence = ""
			}
			continue
		}
		if inComment {
			if _, after, ok := strings.Cut(line, "-->"); ok {
				_, inComment = stripComments(after)
			}
			continue
		}
		indent, text := splitIndent(line)
		if indent >= 4 {
			continue // indented code
		}
		if f := openingFence(text); f != "" {
			fence = f
			continue
		}
		if strings.HasPrefix(text, ">") {
			_, inComment = stripComments(text)
			continue
		}
		text, inComment = stripComments(text)
		if p := Parse(text); p.Kind != NotCommand {
			out = append(out, p)
		}
	}
	return out
}

// splitIndent measures a line's indentation in columns (a tab reaching the
// next multiple of 4) and returns the rest.
func splitIndent(line string) (int, string) {
	col := 0
	for i, r := range line {
		switch r {
		case ' ':
			col++
		case '\t':
			col += 4 - col%4
		default:
			return col, line[i:]
		}
	}
	return col, ""
}

// openingFence returns the fence a line opens (``` or ~~~, three or more),
// or "".
func openingFence(text string) string {
	for _, c := range []string{"`", "~"} {
		n := len(text) - len(strings.TrimLeft(text, c))
		if n < 3 {
			continue
		}
		// A backtick fence's info string cannot hold a backtick; such a
		// line is inline code, not a fence.
		if c == "`" && strings.Contains(text[n:], "`") {
			return ""
		}
		return text[:n]
	}
	return ""
}

// closesFence reports whether line closes the block opened by fence: the
// same character, at least as many, nothing after but spaces, indented
// less than 4.
func closesFence(line, fence string) bool {
	indent, text := splitIndent(line)
	if indent >= 4 {
		return false
	}
	n := len(text) - len(strings.TrimLeft(text, fence[:1]))
	return n >= len(fence) && strings.TrimSpace(text[n:]) == ""
}

// stripComments removes the HTML comments of text, which a reader does not
// see, and reports whether one is left open at its end.
func stripComments(text string) (string, bool) {
	var b strings.Builder
	for {
		before, after, ok := strings.Cut(text, "<!--")
		b.WriteString(before)
		if !ok {
			return b.String(), false
		}
		_, rest, closed := strings.Cut(after, "-->")
		if !closed {
			return b.String(), true
		}
		text = rest
	}
}
