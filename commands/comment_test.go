package commands

import (
	"reflect"
	"testing"
)

func TestParseComment(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // the Line of each command found, in order
	}{
		{"none", "LGTM, ship it", nil},
		{"one", "/deploy approve", []string{"/deploy approve"}},
		{"several in order, with prose", "Looks good.\n/deploy approve\nthen\n  /deploy status web\n/deploy rollback",
			[]string{"/deploy approve", "/deploy status web", "/deploy rollback"}},
		{"CRLF", "hi\r\n/deploy approve\r\n/deploy status\r\n", []string{"/deploy approve", "/deploy status"}},
		{"bare CR", "/deploy approve\r/deploy status", []string{"/deploy approve", "/deploy status"}},
		{"up to three spaces of indent", "   /deploy status", []string{"/deploy status"}},
		{"four spaces are code", "    /deploy status", nil},
		{"a tab is code", "\t/deploy status", nil},
		{"spaces and a tab are code", "  \t/deploy status", nil},
		{"not at the start", "please /deploy status", nil},
		{"other words", "/deployment status\n/deploys", nil},
		{"backtick fence", "```\n/deploy rollback\n```\n/deploy status", []string{"/deploy status"}},
		{"tilde fence with info", "~~~sh\n/deploy rollback\n~~~\n/deploy status", []string{"/deploy status"}},
		{"longer fence needs a longer close", "````\n```\n/deploy rollback\n````\n/deploy status", []string{"/deploy status"}},
		{"a tilde does not close backticks", "```\n~~~\n/deploy rollback\n```\n/deploy status", []string{"/deploy status"}},
		{"a close with text does not close", "```\n``` x\n/deploy rollback\n```\n/deploy status", []string{"/deploy status"}},
		{"indented fence", "  ```\n/deploy rollback\n   ```\n/deploy status", []string{"/deploy status"}},
		{"unclosed fence runs to the end", "```\n/deploy rollback\n/deploy status", nil},
		{"inline code is not a fence", "```/deploy x```\n/deploy status", []string{"/deploy status"}},
		{"CRLF fence", "```\r\n/deploy rollback\r\n```\r\n/deploy status\r\n", []string{"/deploy status"}},
		{"block quote", "> /deploy rollback --reason x\n/deploy status", []string{"/deploy status"}},
		{"nested and indented quote", "  >> /deploy rollback\n/deploy status", []string{"/deploy status"}},
		{"a line after a quote is the commenter's", "> what about\n/deploy status", []string{"/deploy status"}},
		{"HTML comment on one line", "<!-- /deploy rollback -->\n/deploy status", []string{"/deploy status"}},
		{"HTML comment over lines", "<!--\n/deploy rollback\n-->\n/deploy status", []string{"/deploy status"}},
		{"HTML comment opened after text", "hello <!--\n/deploy rollback\n--> bye\n/deploy status", []string{"/deploy status"}},
		{"a command before a comment", "/deploy status <!-- note\n/deploy rollback\n-->", []string{"/deploy status"}},
		{"a command after a comment", "<!-- note --> /deploy status", []string{"/deploy status"}},
		{"a comment inside a command", "/deploy status <!-- x --> web", []string{"/deploy status  web"}},
		{"a comment opened in a quote", "> <!--\n/deploy rollback\n-->\n/deploy status", []string{"/deploy status"}},
		{"no comment inside code", "```\n<!--\n```\n/deploy status", []string{"/deploy status"}},
		{"invalid lines are returned", "/deploy aprove\n/deploy status", []string{"/deploy aprove", "/deploy status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range ParseComment(tt.body) {
				if p.Kind == NotCommand {
					t.Errorf("ParseComment returned a NotCommand: %+v", p)
				}
				got = append(got, p.Command.Line)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lines = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestParseCommentKeepsEachResult(t *testing.T) {
	got := ParseComment("/deploy aprove\n/deploy pause --reason \"incident 12\"")
	if len(got) != 2 {
		t.Fatalf("got %d results; want 2", len(got))
	}
	if got[0].Kind != Invalid || got[0].Err == nil || got[0].Usage != Help() {
		t.Errorf("first = %+v; want Invalid with the help", got[0])
	}
	if got[1].Kind != Valid || got[1].Command.Verb != VerbPause || got[1].Command.Reason != "incident 12" {
		t.Errorf("second = %+v; want a pause", got[1])
	}
}
