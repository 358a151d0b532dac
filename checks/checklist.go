package checks

import (
	"strings"
	"unicode"
)

// ChecklistEntry is one task-list item found in a pull request description.
type ChecklistEntry struct {
	// Text is the item's text as written, trimmed, with any inline HTML
	// comment removed.
	Text   string
	Ticked bool
	// Line is 1-based; "\r\n", "\n" and a lone "\r" each end a line.
	Line int
}

// ParseChecklist finds the task-list items of a Markdown description: lines
// "- [x] text", "* [X] text", "+ [ ] text" or "1. [x] text", at any
// indentation and after any number of list markers ("- - [x] text" is a
// nested list). It deliberately reads less than GitHub renders, never more,
// so that a box can only count if the author really ticked it:
//
//   - Nothing inside a fenced code block (``` or ~~~, at any indentation,
//     also after a list marker) counts; a fence runs to a closing fence of
//     the same character at least as long, or to the end of the body even
//     where CommonMark would end it with its enclosing list item.
//   - Nothing inside an HTML comment counts; an unclosed comment runs to the
//     end. A line starting with "<!--" is HTML up to and including the line
//     that closes it, as in CommonMark; a comment inside a line is cut out
//     of that line.
//   - Block quotes ("> - [x] text") never count: quoting someone else's
//     ticked box is not ticking it.
//   - Only the item's own line is its text; continuation lines are ignored.
//   - Indented code blocks are not recognised: indentation means nesting.
//
// It is linear in len(body) and accepts any bytes.
func ParseChecklist(body string) []ChecklistEntry {
	var (
		entries   []ChecklistEntry
		fenceChar byte // '`' or '~' while inside a fence
		fenceLen  int
		inComment bool
	)
	lineNo := 0
	// Editors on Windows may save a template with a byte-order mark, which
	// GitHub does not render; it must not hide a first-line item.
	for rest := strings.TrimPrefix(body, "\ufeff"); rest != ""; {
		var line string
		line, rest = nextLine(rest)
		lineNo++
		content := strings.TrimLeft(line, " \t")
		switch {
		case fenceLen > 0:
			if closesFence(content, fenceChar, fenceLen) {
				fenceLen = 0
			}
			continue
		case inComment:
			inComment = !strings.Contains(line, "-->")
			continue
		case strings.HasPrefix(content, ">"):
			continue
		case strings.HasPrefix(content, "<!--"):
			inComment = !strings.Contains(content[len("<!--"):], "-->")
			continue
		}
		if c, n, ok := opensFence(skipListMarkers(content)); ok {
			fenceChar, fenceLen = c, n
			continue
		}
		content, inComment = cutComments(content)
		if e, ok := parseTask(content); ok {
			e.Line = lineNo
			entries = append(entries, e)
		}
	}
	return entries
}

// nextLine splits off the first line, without its terminator.
func nextLine(s string) (line, rest string) {
	i := strings.IndexAny(s, "\r\n")
	if i < 0 {
		return s, ""
	}
	if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
		return s[:i], s[i+2:]
	}
	return s[:i], s[i+1:]
}

// skipListMarkers strips leading list markers ("- ", "* ", "+ ", "12. ",
// "3) ") and the whitespace after each. Every step consumes at least two
// bytes, so 10,000 nested markers cost 10,000 steps, not more.
func skipListMarkers(s string) string {
	for {
		rest, ok := cutListMarker(s)
		if !ok {
			return s
		}
		s = rest
	}
}

// cutListMarker removes one list marker and the whitespace after it.
func cutListMarker(s string) (string, bool) {
	n := 0
	switch {
	case s == "":
		return s, false
	case s[0] == '-' || s[0] == '*' || s[0] == '+':
		n = 1
	default:
		// CommonMark allows at most nine digits in an ordered marker.
		for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 0 || n >= len(s) || (s[n] != '.' && s[n] != ')') {
			return s, false
		}
		n++
	}
	if n >= len(s) || (s[n] != ' ' && s[n] != '\t') {
		return s, false
	}
	return strings.TrimLeft(s[n:], " \t"), true
}

// opensFence reports whether s (indentation and list markers removed) opens
// a fenced code block, and with which character and length.
func opensFence(s string) (byte, int, bool) {
	if s == "" || (s[0] != '`' && s[0] != '~') {
		return 0, 0, false
	}
	c := s[0]
	n := runLength(s, c)
	if n < 3 {
		return 0, 0, false
	}
	// "```x```" is inline code, not a fence: a backtick fence's info string
	// may not contain a backtick.
	if c == '`' && strings.IndexByte(s[n:], '`') >= 0 {
		return 0, 0, false
	}
	return c, n, true
}

// closesFence reports whether s (indentation removed) closes a fence opened
// with n times c: at least n of c, then nothing but whitespace.
func closesFence(s string, c byte, n int) bool {
	m := runLength(s, c)
	return m >= n && strings.TrimRight(s[m:], " \t") == ""
}

func runLength(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

// cutComments removes the HTML comments inside a line and reports whether
// the last one is still open at its end.
func cutComments(s string) (string, bool) {
	i := strings.Index(s, "<!--")
	if i < 0 {
		return s, false
	}
	var b strings.Builder
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i+len("<!--"):]
		j := strings.Index(s, "-->")
		if j < 0 {
			return b.String(), true
		}
		s = s[j+len("-->"):]
		i = strings.Index(s, "<!--")
	}
	b.WriteString(s)
	return b.String(), false
}

// parseTask reads "- [x] text" from a line with indentation removed.
func parseTask(s string) (ChecklistEntry, bool) {
	s, ok := cutListMarker(s)
	if !ok {
		return ChecklistEntry{}, false
	}
	s = skipListMarkers(s)
	if len(s) < 3 || s[0] != '[' || s[2] != ']' {
		return ChecklistEntry{}, false
	}
	var ticked bool
	switch s[1] {
	case 'x', 'X':
		ticked = true
	case ' ':
	default:
		return ChecklistEntry{}, false
	}
	// GitHub renders a box only when whitespace follows "]".
	if len(s) > 3 && s[3] != ' ' && s[3] != '\t' {
		return ChecklistEntry{}, false
	}
	text := strings.TrimSpace(s[3:])
	if text == "" {
		return ChecklistEntry{}, false
	}
	return ChecklistEntry{Text: text, Ticked: ticked}, true
}

// normalizeItem is the form in which configured items and ticked items are
// compared (with strings.EqualFold): runs of whitespace folded to one space,
// trailing punctuation (. , ; : ! ?) dropped, and emphasis around the whole
// text ("**Rollback tested**") dropped, so "**Rollback  tested.**" in a
// description matches "rollback tested" in the configuration. Templates
// often bold or punctuate their items; a box ticked beside them must count,
// while any change of words still does not.
func normalizeItem(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimRight(s, ".,;:!? ")
	s = strings.Trim(s, "*_ ")
	return strings.TrimRight(s, ".,;:!? ")
}

// ItemKey is a checklist item's identity: two texts are the same item to
// the gate exactly when their keys are equal (normalizeItem, then each rune
// replaced by the least rune it case-folds to, which is what EqualFold
// compares). The configuration uses it to reject duplicate items.
func ItemKey(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, normalizeItem(s))
}

// checkItems finds each configured item among the description's entries.
// An item written more than once counts as ticked only if every occurrence
// is ticked: contradictory boxes are the author's to resolve, and Line
// points at the first unticked one.
func checkItems(items []string, entries []ChecklistEntry) []ChecklistItem {
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = normalizeItem(e.Text)
	}
	out := make([]ChecklistItem, 0, len(items))
	for _, item := range items {
		want := normalizeItem(item)
		res := ChecklistItem{Text: item, State: ItemMissing}
		for i, e := range entries {
			// An empty item (a configuration mistake) is never ticked.
			if want == "" || !strings.EqualFold(keys[i], want) {
				continue
			}
			switch {
			case !e.Ticked && res.State != ItemUnticked:
				res.State, res.Line = ItemUnticked, e.Line
			case e.Ticked && res.State == ItemMissing:
				res.State, res.Line = ItemTicked, e.Line
			}
		}
		out = append(out, res)
	}
	return out
}
