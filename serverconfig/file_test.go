package serverconfig

import (
	"slices"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/config"
)

// YAML syntax errors come with a line only; each gets the column of what
// it is about, or of the line's first character.
func TestPlaceSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		src, want string
	}{
		{"a: b: c\n", "f.yml:1:5: error: invalid YAML: mapping values are not allowed in this context"},
		{"a: 1\n  \tb: 2\n", "f.yml:2:3: error: invalid YAML: mapping values are not allowed in this context"},
		{"a: 1\n\tb: 2\n", "f.yml:2:1: error: invalid YAML: found a tab character that violates indentation"},
		{"a: 1\nb:\n\t- x\n", "f.yml:3:1: error: invalid YAML: found character that cannot start any token"},
		{"a: 1\nb: @x\n", "f.yml:2:4: error: invalid YAML: found character that cannot start any token"},
		{"a: 1\nb: [x, *nope]\n", "f.yml:2:8: error: invalid YAML: unknown anchor 'nope' referenced"},
		{"a: 1\nx: \"é\\q\"\n", "f.yml:2:6: error: invalid YAML: found unknown escape character"},
		{"a: [1, 2\nb: 3\n", "f.yml:2:1: error: invalid YAML: did not find expected ',' or ']'"},
		{"a:\n  - x\n  y: 1\n", "f.yml:2:3: error: invalid YAML: did not find expected '-' indicator"},
		{"a: 'unterminated\n", "f.yml:2:1: error: invalid YAML: found unexpected end of stream"},
	} {
		_, ds := config.Parse("f.yml", []byte(tc.src))
		PlaceSyntaxErrors(ds, []byte(tc.src))
		var got []string
		for _, d := range ds {
			got = append(got, d.String())
		}
		if !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%q:\n got %s\nwant %s", tc.src, strings.Join(got, "\n     "), tc.want)
		}
	}
}
