package oplist

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	got, err := Parse(strings.NewReader(`
# comment
get /b   # trailing comment
POST /a
	GET   /b
`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"GET /b", "POST /a"}; !slices.Equal(got, want) {
		t.Errorf("Parse = %q, want %q", got, want)
	}
	// Comments and order do not change the digest; the operations do.
	same, _ := Parse(strings.NewReader("POST /a\nGET /b\n"))
	other, _ := Parse(strings.NewReader("POST /a\n"))
	if Digest(got) != Digest(same) || Digest(got) == Digest(other) {
		t.Error("Digest does not follow the operations alone")
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"GET", "GET /a extra", "FETCH /a", "GET a"} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("Parse(%q): no error", in)
		}
	}
}
