package checks

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseChecklist(t *testing.T) {
	type e = ChecklistEntry
	tests := []struct {
		name string
		body string
		want []ChecklistEntry
	}{
		{"empty", "", nil},
		{"no list", "Fixes the thing.\n\n[x] not a list item", nil},
		{"bullets", "- [x] one\n* [X] two\n+ [ ] three\n",
			[]e{{"one", true, 1}, {"two", true, 2}, {"three", false, 3}}},
		{"ordered lists", "1. [x] one\n2) [ ] two\n1234567890. [x] ten digits is not a marker",
			[]e{{"one", true, 1}, {"two", false, 2}}},
		{"indented and nested", "- parent\n  - [x] child\n      - [ ] grandchild\n\t- [x] tab",
			[]e{{"child", true, 2}, {"grandchild", false, 3}, {"tab", true, 4}}},
		{"nested on one line", "- - [x] nested\n- 1. [ ] ordered inside",
			[]e{{"nested", true, 1}, {"ordered inside", false, 2}}},
		{"text trimmed", "-   [x]    spaced out   \n", []e{{"spaced out", true, 1}}},
		{"not a box", "- [x]no space\n- [y] other\n- [xx] two\n- [] empty\n-[x] no space after marker\n- [x]\n- [ ]   ",
			nil},
		{"box with tab after", "- [x]\tTabbed", []e{{"Tabbed", true, 1}}},
		{"CRLF", "- [x] one\r\n- [ ] two\r\n", []e{{"one", true, 1}, {"two", false, 2}}},
		{"lone CR ends a line", "intro\r- [x] one\r- [x] two", []e{{"one", true, 2}, {"two", true, 3}}},
		{"byte-order mark", "\ufeff- [x] first\n\ufeff- [x] not first", []e{{"first", true, 1}}},
		{"blank lines count", "\n\n- [x] third\n", []e{{"third", true, 3}}},

		{"backtick fence", "```\n- [x] hidden\n```\n- [x] shown",
			[]e{{"shown", true, 4}}},
		{"tilde fence with info string", "~~~markdown title\n- [x] hidden\n~~~\n- [x] shown",
			[]e{{"shown", true, 4}}},
		{"fence closes only with same char", "```\n~~~\n- [x] hidden\n```\n- [x] shown",
			[]e{{"shown", true, 5}}},
		{"fence closes only when long enough", "````\n```\n- [x] hidden\n````\n- [x] shown",
			[]e{{"shown", true, 5}}},
		{"closing fence has no info string", "```\n```go\n- [x] hidden\n```  \n- [x] shown",
			[]e{{"shown", true, 5}}},
		{"unclosed fence runs to the end", "- [x] before\n```\n- [x] hidden\n- [x] hidden too",
			[]e{{"before", true, 1}}},
		{"indented fence", "- item\n    ```\n    - [x] hidden\n    ```\n- [x] shown",
			[]e{{"shown", true, 5}}},
		{"fence after a list marker", "- ```\n  - [x] hidden\n  ```\n- [x] shown",
			[]e{{"shown", true, 4}}},
		{"inline code is not a fence", "```x``` here\n- [x] shown",
			[]e{{"shown", true, 2}}},
		{"two backticks are not a fence", "``\n- [x] shown",
			[]e{{"shown", true, 2}}},

		{"comment on its own lines", "<!--\n- [x] hidden\n-->\n- [x] shown",
			[]e{{"shown", true, 4}}},
		{"long comment", "<!--\nPlease tick:\n- [x] hidden\n\n- [x] hidden\n  -->\n- [x] shown",
			[]e{{"shown", true, 7}}},
		{"comment on one line", "<!-- - [x] hidden -->\n- [x] shown",
			[]e{{"shown", true, 2}}},
		{"text after a multi-line comment's close is HTML", "<!--\n--> - [x] hidden\n- [x] shown",
			[]e{{"shown", true, 3}}},
		{"a line starting with a comment is HTML", "<!-- x -->- [x] hidden\n- [x] shown",
			[]e{{"shown", true, 2}}},
		{"indented comment", "  <!--\n  - [x] hidden\n  -->\n- [x] shown",
			[]e{{"shown", true, 4}}},
		{"unclosed comment runs to the end", "- [x] before\n<!--\n- [x] hidden\n```\n- [x] hidden",
			[]e{{"before", true, 1}}},
		{"comment inside an item is cut out", "- [x] Rollback <!-- not really -->tested <!-- x -->",
			[]e{{"Rollback tested", true, 1}}},
		{"comment that is the whole text", "- [x] <!-- Rollback tested -->", nil},
		{"comment opened inside an item", "- [ ] real <!-- \n- [x] hidden\n-->\n- [x] shown",
			[]e{{"real", false, 1}, {"shown", true, 4}}},
		{"fence inside a comment", "<!--\n```\n-->\n- [x] shown\n```",
			[]e{{"shown", true, 4}}},
		{"comment inside a fence", "```\n<!--\n```\n- [x] shown\n-->",
			[]e{{"shown", true, 4}}},

		{"block quotes don't count", "> - [x] quoted\n>- [x] also\n  > - [x] indented quote\n- [x] own",
			[]e{{"own", true, 4}}},
		{"a comment or fence opened in a quote ends with it", "> <!--\n> ```\n- [x] shown",
			[]e{{"shown", true, 3}}},
		{"invalid UTF-8 survives", "- [x] \xff\xfe bytes\n\x00- [x] nul first",
			[]e{{"\xff\xfe bytes", true, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseChecklist(tt.body)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseChecklist(%q)\n got %+v\nwant %+v", tt.body, got, tt.want)
			}
		})
	}
}

func TestCheckItems(t *testing.T) {
	items := []string{"Sufficient test coverage", "Rollback tested", "Backward compatible"}
	tests := []struct {
		name string
		body string
		want []ChecklistItem
	}{
		{"all ticked", "- [x] Sufficient test coverage\n- [x] Rollback tested\n- [x] Backward compatible",
			[]ChecklistItem{
				{"Sufficient test coverage", ItemTicked, 1},
				{"Rollback tested", ItemTicked, 2},
				{"Backward compatible", ItemTicked, 3},
			}},
		{"unticked and missing", "- [x] Sufficient test coverage\n- [ ] Rollback tested",
			[]ChecklistItem{
				{"Sufficient test coverage", ItemTicked, 1},
				{"Rollback tested", ItemUnticked, 2},
				{"Backward compatible", ItemMissing, 0},
			}},
		{"case, whitespace and trailing punctuation", "- [X] SUFFICIENT  test\u00a0coverage.\n- [x] rollback\ttested!\n- [x]  backward compatible ?",
			[]ChecklistItem{
				{"Sufficient test coverage", ItemTicked, 1},
				{"Rollback tested", ItemTicked, 2},
				{"Backward compatible", ItemTicked, 3},
			}},
		{"emphasis around the whole item", "- [x] **Sufficient test coverage**\n- [x] _Rollback tested_.\n- [ ] *Backward compatible*",
			[]ChecklistItem{
				{"Sufficient test coverage", ItemTicked, 1},
				{"Rollback tested", ItemTicked, 2},
				{"Backward compatible", ItemUnticked, 3},
			}},
		{"extra words don't match", "- [x] Sufficient test coverage, mostly\n- [x] Rollback not tested\n- [x] Backward",
			[]ChecklistItem{
				{"Sufficient test coverage", ItemMissing, 0},
				{"Rollback tested", ItemMissing, 0},
				{"Backward compatible", ItemMissing, 0},
			}},
		{"contradictory duplicates count as unticked", "- [x] Rollback tested\n- [ ] Rollback tested\n- [ ] Backward compatible\n- [x] Backward compatible",
			[]ChecklistItem{
				{"Sufficient test coverage", ItemMissing, 0},
				{"Rollback tested", ItemUnticked, 2},
				{"Backward compatible", ItemUnticked, 3},
			}},
		{"ticked twice", "- [x] Rollback tested\n- [x] Rollback tested",
			[]ChecklistItem{
				{"Sufficient test coverage", ItemMissing, 0},
				{"Rollback tested", ItemTicked, 1},
				{"Backward compatible", ItemMissing, 0},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkItems(items, ParseChecklist(tt.body))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCheckItemsEmptyItemNeverTicked(t *testing.T) {
	got := checkItems([]string{"", " ."}, ParseChecklist("- [x] ...\n- [x] !"))
	for _, it := range got {
		if it.State != ItemMissing {
			t.Errorf("empty item %q is %s, want missing", it.Text, it.State)
		}
	}
}

func TestNormalizeItem(t *testing.T) {
	tests := map[string]string{
		"Rollback tested":          "Rollback tested",
		"  Rollback \t\n tested  ": "Rollback tested",
		"Rollback tested.":         "Rollback tested",
		"Rollback tested ...!?;:,": "Rollback tested",
		"Is it safe? Yes.":         "Is it safe? Yes",
		"v1.2":                     "v1.2",
		"**Rollback tested**":      "Rollback tested",
		"_Rollback tested._":       "Rollback tested",
		"**Rollback tested.**":     "Rollback tested",
		"**Rollback** tested":      "Rollback** tested",
		"__init__ files updated":   "init__ files updated",
		"":                         "",
	}
	for in, want := range tests {
		if got := normalizeItem(in); got != want {
			t.Errorf("normalizeItem(%q) = %q, want %q", in, got, want)
		}
	}
}

// Lines are counted the same whatever the line endings.
func TestParseChecklistLineEndings(t *testing.T) {
	body := "intro\n\n```\n- [x] hidden\n```\n<!--\n- [x] hidden\n-->\n- [x] a\n  - [ ] b\n"
	want := ParseChecklist(body)
	if len(want) != 2 || want[0].Line != 9 || want[1].Line != 10 {
		t.Fatalf("LF body parsed as %+v", want)
	}
	for _, eol := range []string{"\r\n", "\r"} {
		got := ParseChecklist(strings.ReplaceAll(body, "\n", eol))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("with %q line endings: got %+v, want %+v", eol, got, want)
		}
	}
}
