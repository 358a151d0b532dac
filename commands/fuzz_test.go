package commands

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func seedLines() []string {
	return []string{
		"/deploy", "/deploy help", "/deploy status web --release 3", "/deploy approve qa --reason ok",
		`/deploy reject --reason "not reversible" --release=4`,
		`/deploy override alarm --stage prod --target eu --ttl 1d12h --reason "known flake"`,
		"/deploy override approval --reason x", "/deploy override --ttl 31d",
		`/deploy rollback --reason=“rolled back in prod”`, "/deploy rollback --reason rolled back",
		"/deploy pause --all --org --reason x", "/deploy acme/api pause --reason 'it's late'",
		"/deploy resume web --stage prod", "/deploy block 4F2A9C1 --reason leak", "/deploy unblock xyz",
		"/deploy link K7Q-92X", "/deploy unlink now", `/deploy pause --reason "say \"stop\" \\ now"`,
		`/deploy pause --reason ‘single’ „low“ «g»`, "/deploy status —release 2 –stage x",
		`/deploy pause --reason "unterminated`, "/deploy aprove", "/deploy -1a/b status", "/deploy a/b",
		"/deploy status \"\" --release 0", "/deployment", "deploy status", "",
	}
}

// checkParsed asserts what every Parse result must satisfy.
func checkParsed(t *testing.T, line string, p Parsed) {
	t.Helper()
	c := p.Command
	if utf8.RuneCountInString(c.Reason) > MaxReason {
		t.Fatalf("Parse(%q): a reason of %d characters", line, utf8.RuneCountInString(c.Reason))
	}
	switch p.Kind {
	case NotCommand:
		if p.Err != nil || p.Usage != "" || c != (Command{}) {
			t.Fatalf("Parse(%q) = %+v: NotCommand with content", line, p)
		}
	case Valid:
		s, ok := specOf(c.Verb)
		if !ok || c.Line == "" || p.Err != nil || p.Usage != "" {
			t.Fatalf("Parse(%q) = %+v: Valid without a known verb and a line, or with an error", line, p)
		}
		if s.reasonRequired && strings.TrimSpace(c.Reason) == "" {
			t.Fatalf("Parse(%q): %s without a reason", line, c.Verb)
		}
		if c.SHA != "" && (len(c.SHA) < 7 || strings.Trim(c.SHA, "0123456789abcdef") != "") {
			t.Fatalf("Parse(%q): SHA %q", line, c.SHA)
		}
		if c.TTL < 0 || c.TTL > maxTTL || c.Release < 0 || (c.All && c.Org) {
			t.Fatalf("Parse(%q) = %+v: a value out of range", line, c)
		}
	case Invalid:
		if p.Err == nil || p.Err.Error() == "" || p.Usage == "" || c.Line == "" {
			t.Fatalf("Parse(%q) = %+v: Invalid without an error, a usage or the line", line, p)
		}
	default:
		t.Fatalf("Parse(%q): kind %d", line, p.Kind)
	}
	if c.Line != "" && !strings.HasPrefix(c.Line, prefix) {
		t.Fatalf("Parse(%q): Line %q", line, c.Line)
	}
}

func sameParsed(a, b Parsed) bool {
	errText := func(p Parsed) string {
		if p.Err == nil {
			return ""
		}
		return p.Err.Error()
	}
	return a.Kind == b.Kind && a.Command == b.Command && a.Usage == b.Usage && errText(a) == errText(b)
}

func FuzzParse(f *testing.F) {
	for _, s := range seedLines() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		p := Parse(line)
		checkParsed(t, line, p)
		// Line is what the audit log quotes: parsing it again gives the same.
		if p.Kind != NotCommand && !sameParsed(Parse(p.Command.Line), p) {
			t.Fatalf("Parse(%q) differs from Parse of its Line %q", line, p.Command.Line)
		}
	})
}

func FuzzParseComment(f *testing.F) {
	for _, s := range seedLines() {
		f.Add(s)
	}
	f.Add("hi\r\n/deploy approve\r\n```\r\n/deploy rollback\r\n```\r\n> /deploy x\n<!--\n/deploy y\n-->\n    /deploy z")
	f.Add("````\n```\n/deploy a\n````\n~~~\n/deploy b\n/deploy c <!-- d")
	f.Fuzz(func(t *testing.T, body string) {
		got := ParseComment(body)
		lines := strings.Count(body, "\n") + strings.Count(body, "\r") + 1
		if len(got) > lines {
			t.Fatalf("%d commands from %d lines", len(got), lines)
		}
		for _, p := range got {
			if p.Kind == NotCommand {
				t.Fatalf("a NotCommand in %+v", got)
			}
			checkParsed(t, p.Command.Line, p)
			if !sameParsed(Parse(p.Command.Line), p) {
				t.Fatalf("%+v differs from Parse of its Line", p)
			}
		}
		// The same text quoted, or shown as code, holds no command.
		quoted := ">" + strings.NewReplacer("\r\n", "\n>", "\r", "\n>", "\n", "\n>").Replace(body)
		if q := ParseComment(quoted); len(q) > 0 {
			t.Fatalf("commands in a block quote: %+v", q)
		}
		fence := strings.Repeat("`", longestRun(body, '`')+3)
		if c := ParseComment(fence + "\n" + body + "\n" + fence); len(c) > 0 {
			t.Fatalf("commands in a code block: %+v", c)
		}
	})
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
