package notify

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/wavegate/wavegate/templates"
)

// Slack's limits on what one message holds.
const (
	slackMaxBlocks      = 50
	slackMaxSectionText = 3000
)

// SlackMessage is a release's Slack message: Block Kit blocks, and the
// plain text Slack shows in notifications and to screen readers.
type SlackMessage struct {
	Text   string
	Blocks []slack.Block
}

// slackTemplates parses the Slack texts.
func slackTemplates() (*template.Template, error) {
	t, err := template.New("slack").Funcs(template.FuncMap{"slack": SlackText, "short": shortSHA, "help": SlackHelp}).
		ParseFS(templates.Files(), "slack/*.mrkdwn.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse Slack templates: %w", err)
	}
	return t, nil
}

func (r *Renderer) slackText(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := r.slack.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render Slack %s: %w", name, err)
	}
	return b.String(), nil
}

// SlackRelease renders a release's message: a header, one progress line
// per stage, what it waits for and what was overridden. Stage lines share
// sections up to Slack's section limit, and a pipeline too long for one
// message's blocks ends with a count of the stages left out.
func (r *Renderer) SlackRelease(v ReleaseView) (SlackMessage, error) {
	var m SlackMessage
	var err error
	if m.Text, err = r.slackText("fallback", v); err != nil {
		return SlackMessage{}, err
	}
	header, err := r.slackText("header", v)
	if err != nil {
		return SlackMessage{}, err
	}
	var tail []string
	for _, part := range []struct {
		name string
		show bool
	}{
		{"waiting", len(v.Blocked) > 0}, {"paused", len(v.Paused) > 0}, {"overridden", len(v.Overrides) > 0},
		{"decisions", len(v.Decisions) > 0}, {"blocked-commits", len(v.BlockedCommits) > 0},
	} {
		if !part.show {
			continue
		}
		s, err := r.slackText(part.name, v)
		if err != nil {
			return SlackMessage{}, err
		}
		tail = append(tail, s)
	}
	lines := make([]string, 0, len(v.Stages))
	for _, s := range v.Stages {
		line, err := r.slackText("stage", s)
		if err != nil {
			return SlackMessage{}, err
		}
		lines = append(lines, line)
	}
	texts := []string{header}
	texts = append(texts, packLines(lines, slackMaxBlocks-1-len(tail))...)
	texts = append(texts, tail...)
	for _, t := range texts {
		m.Blocks = append(m.Blocks, section(t))
	}
	return m, nil
}

// packLines joins lines into at most maxTexts texts of Slack's section
// size; a line too long is cut, and lines that do not fit are counted in
// the last text.
func packLines(lines []string, maxTexts int) []string {
	var out []string
	var cur strings.Builder
	for i, line := range lines {
		line = cutRunes(line, slackMaxSectionText)
		if cur.Len() > 0 && cur.Len()+1+len(line) > slackMaxSectionText {
			if len(out) == maxTexts-1 {
				left := fmt.Sprintf("… and %d more stages", len(lines)-i)
				if cur.Len()+1+len(left) > slackMaxSectionText {
					left = "… and more stages"
				}
				cur.WriteString("\n" + left)
				break
			}
			out = append(out, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, cutRunes(text, slackMaxSectionText), false, false), nil, nil)
}

// cutRunes shortens s to at most n bytes on a rune boundary, ending it
// with an ellipsis.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = "…"
	cut := n - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + more
}
