package demo

import (
	"encoding/json"
	"strings"

	"github.com/wavegate/wavegate/internal/fakes/slackfake"
)

// slackLine is one message of the simulated channel as the page shows it.
type slackLine struct {
	Text  string
	Reply bool
}

// slackLines orders a channel's messages as Slack shows them with their
// threads open: each top-level message followed by its replies.
func slackLines(msgs []slackfake.Message) []slackLine {
	replies := map[string][]slackfake.Message{}
	for _, m := range msgs {
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			replies[m.ThreadTS] = append(replies[m.ThreadTS], m)
		}
	}
	var out []slackLine
	for _, m := range msgs {
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			continue
		}
		out = append(out, slackLine{Text: messageText(m)})
		for _, r := range replies[m.TS] {
			out = append(out, slackLine{Text: messageText(r), Reply: true})
		}
	}
	return out
}

// messageText is what a person reads of a message: the text of its
// blocks (buttons left out), or its fallback text when it has none.
func messageText(m slackfake.Message) string {
	var blocks []map[string]any
	if len(m.Blocks) == 0 || json.Unmarshal(m.Blocks, &blocks) != nil {
		return m.Text
	}
	var parts []string
	for _, b := range blocks {
		if b["type"] == "actions" {
			continue
		}
		collectText(b, &parts)
	}
	if len(parts) == 0 {
		return m.Text
	}
	return strings.Join(parts, "\n")
}

func collectText(v any, parts *[]string) {
	switch v := v.(type) {
	case map[string]any:
		if t, ok := v["text"].(string); ok && (v["type"] == "mrkdwn" || v["type"] == "plain_text") {
			*parts = append(*parts, t)
			return
		}
		for _, k := range []string{"text", "fields", "elements"} {
			if child, ok := v[k]; ok {
				collectText(child, parts)
			}
		}
	case []any:
		for _, c := range v {
			collectText(c, parts)
		}
	}
}
