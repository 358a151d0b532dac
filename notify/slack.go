package notify

import "strings"

// SlackText escapes s for Slack mrkdwn: &, < and > are the characters Slack
// reads as control sequences (<!here>, <@U123>, <url|text>), so escaping
// them is what keeps a reason or a title from pinging a channel; the
// formatting characters (*, _, ~, `) are broken with a zero-width joiner so
// they show as written.
func SlackText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '*', '_', '~', '`':
			b.WriteRune(r)
			b.WriteString("\u200d")
		case '\r', '\n':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
