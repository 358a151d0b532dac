package deploy

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTail(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		writes []string
		want   string
	}{
		{"nothing", 8, nil, ""},
		{"fits", 8, []string{"abc", "de"}, "abcde"},
		{"exactly full is not cut", 8, []string{"abcd", "efgh"}, "abcdefgh"},
		// The marker counts against the bound: three bytes of the kept eight.
		{"fills then wraps", 8, []string{"abcdef", "ghij"}, "…fghij"},
		{"wraps many times", 8, []string{"abc", "def", "ghi", "jkl", "mno"}, "…klmno"},
		{"one write larger than the ring", 8, []string{"ab", "0123456789"}, "…56789"},
		// "é" is two bytes: the cut lands in its middle and skips its tail.
		{"never splits a rune", 8, []string{"xxxxé", "abcd"}, "…abcd"},
		{"cut before a whole rune", 9, []string{"xxxxé", "abcd"}, "…éabcd"},
		// Not UTF-8 at all: at most three bytes are skipped looking for a rune start.
		{"binary output is kept", 10, []string{"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"}, "…\x80\x80\x80\x80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := newTail(tt.n)
			for _, w := range tt.writes {
				if n, err := tl.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if got := tl.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTailKeepsTheEnd writes in odd-sized pieces and checks the result against
// the whole output, whatever the ring's position.
func TestTailKeepsTheEnd(t *testing.T) {
	var all bytes.Buffer
	tl := newTail(64)
	for i := range 500 {
		piece := strings.Repeat(string(rune('a'+i%26))+"ü", i%37)
		all.WriteString(piece)
		tl.Write([]byte(piece))
		got := tl.String()
		if len(got) > 64 {
			t.Fatalf("after %d writes: %d bytes, want at most 64", i, len(got))
		}
		if !utf8.ValidString(got) {
			t.Fatalf("after %d writes: %q is not UTF-8", i, got)
		}
		if !strings.HasSuffix(all.String(), strings.TrimPrefix(got, ellipsis)) {
			t.Fatalf("after %d writes: %q is not the end of the output", i, got)
		}
		if all.Len() > 64 && (!strings.HasPrefix(got, ellipsis) || len(got) < 64-utf8.UTFMax) {
			t.Fatalf("after %d writes: %q is not a marked, full tail", i, got)
		}
	}
}
