package commands

import "errors"

// Placeholders until the grammar lands; replaced by the real parser.
func parse(line string) Parsed {
	return Parsed{Kind: NotCommand}
}
func parseComment(body string) []Parsed { return nil }
func usage(v Verb) string               { return "" }
func help() string                      { return "" }
func authorize(c Command, a Actor, s Subject) Decision {
	return Decision{Why: errors.New("not built yet").Error()}
}
