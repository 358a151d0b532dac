package checks

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const adversarialSize = 65536 // GitHub's limit on a pull request body

// fill repeats unit to exactly adversarialSize bytes.
func fill(prefix, unit string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < adversarialSize {
		b.WriteString(unit)
	}
	return b.String()[:adversarialSize]
}

// adversarialBodies are descriptions shaped to defeat a careless parser:
// deep nesting, unclosed constructs, huge lines, many lines, bad bytes.
func adversarialBodies() map[string]string {
	staircase := func() string {
		var b strings.Builder
		for i := 0; b.Len() < adversarialSize; i++ {
			b.WriteString(strings.Repeat("  ", i) + "- [x] Rollback tested\n")
		}
		return b.String()[:adversarialSize]
	}
	noise := func() string {
		// A fixed linear congruential sequence: arbitrary bytes, no
		// randomness between runs.
		b := make([]byte, adversarialSize)
		x := uint32(1)
		for i := range b {
			x = x*1664525 + 1013904223
			b[i] = byte(x >> 24)
		}
		return string(b)
	}
	return map[string]string{
		"10,000+ nested list markers": fill(strings.Repeat("- ", 10000)+"[x] Rollback tested\n", "- "),
		"nested ordered markers":      fill("", "123456789. "),
		"indentation staircase":       staircase(),
		"nested block quotes":         fill("", ">"),
		"unclosed comments":           fill("", "<!--"),
		"comments in one line":        fill("- [x] Rollback tested    ", "<!-- --> "), // 25 + 7279*9 bytes
		"comment openers and closers": fill("", "<!-- -->-->\n<!--\n"),
		"one huge fence line":         fill("", "`"),
		"fenced item on every line":   fill("", "```\n- [x] Rollback tested\n```\n"),
		"unclosed tilde fence":        fill("~~~~\n", "~~~\n"),
		"backtick info strings":       fill("", "``` ` `\n"),
		"every line an item":          fill("", "- [x] Rollback tested\n"),
		"every line unticked":         fill("", "* [ ] sufficient TEST coverage.\n"),
		"one long item":               fill("- [x] ", "Rollback tested "),
		"long item of spaces":         fill("- [x] Rollback", " \t\u00a0"),
		"lone carriage returns":       fill("", "\r"),
		"CRLF only":                   fill("", "\r\n"),
		"invalid UTF-8":               noise(),
		"NUL bytes":                   fill("- [x] ", "\x00"),
	}
}

func adversarialPolicy() Policy {
	p := testPolicy()
	p.Checklist = []string{
		"Sufficient test coverage",
		"Instrumented for monitoring, with alarms on new metrics",
		"Rollback tested",
		"Backward compatible with the version running now",
	}
	return p
}

// A body of GitHub's maximum size, in any shape, evaluates in well under
// 50 ms: the parser is linear, never backtracking.
func TestEvaluateAdversarialBodiesAreFast(t *testing.T) {
	const budget = 50 * time.Millisecond
	reviews := []Review{rv(1, "bob", ReviewApproved, headSHA, 1), rv(2, "carol", ReviewChangesRequested, oldSHA, 2)}
	files := []string{"docs/a.md", "src/main.go"}
	for name, body := range adversarialBodies() {
		t.Run(name, func(t *testing.T) {
			if len(body) != adversarialSize {
				t.Fatalf("body is %d bytes", len(body))
			}
			pr := testPR()
			pr.Body = body
			// The best of a few runs: the machine may be busy, but a
			// quadratic parser is slow every time.
			best := time.Hour
			var res Result
			for range 5 {
				start := time.Now()
				res = Evaluate(pr, reviews, files, testPerms(), adversarialPolicy())
				best = min(best, time.Since(start))
			}
			if best > budget {
				t.Errorf("took %v, want under %v", best, budget)
			}
			if res.Conclusion != ConclusionSuccess && res.Conclusion != ConclusionFailure {
				t.Errorf("conclusion %q", res.Conclusion)
			}
		})
	}
}

// The shapes above must mean what they say, or the timing proves nothing.
func TestAdversarialBodiesParse(t *testing.T) {
	bodies := adversarialBodies()
	item := "- [x] Rollback tested\n"
	tests := map[string]int{
		"10,000+ nested list markers": 1,
		// Every line but the last, cut short, has a full item.
		"indentation staircase":     strings.Count(bodies["indentation staircase"], "\n"),
		"unclosed comments":         0,
		"comments in one line":      1,
		"one huge fence line":       0,
		"fenced item on every line": 0,
		// The last line, cut short, is an item too.
		"every line an item": (adversarialSize + len(item) - 1) / len(item),
	}
	for name, want := range tests {
		got := ParseChecklist(bodies[name])
		if len(got) != want {
			t.Errorf("%s: %d entries, want %d", name, len(got), want)
			continue
		}
		if len(got) > 0 && (got[0].Line != 1 || !got[0].Ticked || normalizeItem(got[0].Text) != "Rollback tested") {
			t.Errorf("%s: first entry %+v, want Rollback tested, ticked, on line 1", name, got[0])
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	for name, body := range adversarialBodies() {
		b.Run(name, func(b *testing.B) {
			pr := testPR()
			pr.Body = body
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				Evaluate(pr, nil, []string{"src/main.go"}, testPerms(), adversarialPolicy())
			}
		})
	}
}

func ExampleMatchAny() {
	patterns := []string{"**", "!infra/**", "infra/shared/**"}
	for _, p := range []string{"src/main.go", "infra/main.tf", "infra/shared/vpc.tf"} {
		fmt.Println(p, MatchAny(patterns, p))
	}
	// Output:
	// src/main.go true
	// infra/main.tf false
	// infra/shared/vpc.tf true
}
