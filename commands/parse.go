package commands

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// prefix is the word every command starts with.
const prefix = "/deploy"

// maxName bounds pipeline, stage, target and code arguments: longer ones
// name nothing and would only bloat replies and the audit log.
const maxName = 100

func parse(line string) Parsed {
	line = strings.TrimSpace(line)
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok || (rest != "" && !startsWithSpace(rest)) {
		return Parsed{Kind: NotCommand}
	}
	p := &parser{cmd: Command{Line: line}}
	if err := p.run(rest); err != nil {
		usage := help()
		if p.cmd.Verb != "" {
			usage = Usage(p.cmd.Verb)
		}
		return Parsed{Kind: Invalid, Command: p.cmd, Err: err, Usage: usage}
	}
	return Parsed{Kind: Valid, Command: p.cmd}
}

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// parser fills cmd from the words after /deploy. Command.Verb is set as
// soon as it is known so that an error carries that verb's usage.
type parser struct {
	cmd  Command
	spec spec
	seen map[string]bool // flags given
	// argSet: the positional argument was given.
	argSet bool
	// lastReason is an unquoted --reason value just read, to suggest
	// quoting when the words after it are stray.
	lastReason string
}

func (p *parser) run(rest string) error {
	toks, err := tokenize(rest)
	if err != nil {
		p.guessVerb(rest)
		return err
	}
	if len(toks) > 0 && !toks[0].opensQuoted && strings.Contains(toks[0].text, "/") && !isFlag(toks[0]) {
		if err := validRepository(toks[0].text); err != nil {
			return err
		}
		p.cmd.Repository = toks[0].text
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return errors.New("missing verb: say what to do, for example /deploy status")
	}
	if isFlag(toks[0]) {
		return fmt.Errorf("missing verb before %s: the verb comes first, for example /deploy status", excerpt(toks[0].text))
	}
	v := Verb(strings.ToLower(toks[0].text))
	s, ok := specOf(v)
	if !ok {
		return unknownVerb(toks[0].text)
	}
	p.cmd.Verb, p.spec, p.seen = v, s, map[string]bool{}
	for i := 1; i < len(toks); i++ {
		t := toks[i]
		if !isFlag(t) {
			if err := p.positional(t); err != nil {
				return err
			}
			continue
		}
		name, value, hasValue := strings.Cut(dashes(t.text), "=")
		if err := p.checkFlag(name, hasValue); err != nil {
			return err
		}
		f, _ := flagOf(name)
		quoted := t.quoted
		if f.value != "" && !hasValue {
			if i+1 >= len(toks) || isFlag(toks[i+1]) {
				return fmt.Errorf("--%s needs a value: --%s %s", name, name, f.value)
			}
			i++
			value, quoted = toks[i].text, toks[i].quoted
		}
		if err := p.setFlag(name, value); err != nil {
			return err
		}
		if name == "reason" && !quoted {
			p.lastReason = value
		}
	}
	return p.finish()
}

// guessVerb names the verb of a line that cannot be split into words, so
// that its error still comes with that verb's usage.
func (p *parser) guessVerb(rest string) {
	for i, w := range strings.Fields(rest) {
		if i > 1 {
			return
		}
		if _, ok := specOf(Verb(strings.ToLower(w))); ok {
			p.cmd.Verb = Verb(strings.ToLower(w))
			return
		}
	}
}

// isFlag reports whether t is written as a flag. Phones turn "--" into a
// dash, so a leading en or em dash counts too; a quoted word never does.
func isFlag(t token) bool {
	if t.opensQuoted {
		return false
	}
	name := dashes(t.text)
	if name == t.text {
		return false
	}
	r, _ := utf8.DecodeRuneInString(name)
	return unicode.IsLetter(r)
}

// dashes returns a flag's name and value without its leading dashes.
func dashes(s string) string {
	for _, d := range []string{"--", "—", "–", "-"} {
		if t, ok := strings.CutPrefix(s, d); ok {
			return t
		}
	}
	return s
}

func (p *parser) checkFlag(name string, hasValue bool) error {
	v := p.spec.verb
	if p.spec.arg != "" && strings.EqualFold(name, p.spec.arg) {
		return fmt.Errorf("unknown flag --%s for /deploy %s: give the %s without a flag, as in /deploy %s", name, v,
			strings.ToLower(p.spec.arg), p.spec.syntax)
	}
	if _, known := flagOf(name); !known || !p.spec.takes(name) {
		return fmt.Errorf("unknown flag --%s for /deploy %s%s; %s", excerpt(name), v, flagHint(name), p.takesFlags())
	}
	if p.seen[name] {
		return fmt.Errorf("--%s is given twice; give it once", name)
	}
	p.seen[name] = true
	if f, _ := flagOf(name); f.value == "" && hasValue {
		return fmt.Errorf("--%s takes no value", name)
	}
	return nil
}

// flagHint says where an unknown flag belongs, or what was probably meant.
func flagHint(name string) string {
	if _, known := flagOf(name); known {
		var users []string
		for _, v := range verbs() {
			if s, _ := specOf(v); s.takes(name) {
				users = append(users, "/deploy "+string(v))
			}
		}
		if len(users) == 1 {
			return fmt.Sprintf(" (only %s takes it)", users[0])
		}
		return fmt.Sprintf(" (only %s and %s take it)", strings.Join(users[:len(users)-1], ", "), users[len(users)-1])
	}
	if near := nearest(name, allFlags()); near != "" {
		return fmt.Sprintf(" (did you mean --%s?)", near)
	}
	return ""
}

func (p *parser) takesFlags() string {
	if len(p.spec.flags) == 0 {
		return fmt.Sprintf("/deploy %s takes no flags", p.spec.verb)
	}
	names := make([]string, len(p.spec.flags))
	for i, f := range p.spec.flags {
		names[i] = "--" + f
	}
	return fmt.Sprintf("it takes %s", strings.Join(names, ", "))
}

func (p *parser) positional(t token) error {
	msg := fmt.Sprintf("unexpected %q", excerpt(t.text))
	if p.lastReason != "" {
		// "--reason looks good" would otherwise approve a stage "good".
		hint := fmt.Sprintf("%s after --reason %s: put a reason of several words in quotes: --reason \"%s %s\"",
			msg, excerpt(p.lastReason), excerpt(p.lastReason), excerpt(t.text))
		if p.spec.arg != "" && !p.argSet {
			hint += fmt.Sprintf(", and give %s before the flags", p.spec.arg)
		}
		return errors.New(hint)
	}
	if p.spec.arg == "" {
		return fmt.Errorf("%s: /deploy %s takes no %s", msg, p.spec.verb, argKind(p.spec))
	}
	if p.argSet {
		return fmt.Errorf("%s: /deploy %s takes one %s", msg, p.spec.verb, p.spec.arg)
	}
	p.argSet = true
	p.lastReason = ""
	switch p.spec.arg {
	case "BLOCKER":
		return p.blocker(t.text)
	case "SHA":
		sha, err := parseSHA(t.text)
		p.cmd.SHA = sha
		return err
	}
	name, err := parseName(p.spec.arg, t.text)
	switch p.spec.arg {
	case "PIPELINE":
		p.cmd.Pipeline = name
	case "STAGE":
		p.cmd.Stage = name
	case "CODE":
		p.cmd.Code = name
	}
	return err
}

// argKind says what a verb without a positional argument does not take.
func argKind(s spec) string {
	if len(s.flags) == 0 {
		return "arguments"
	}
	return "argument other than flags"
}

func (p *parser) setFlag(name, value string) error {
	if name != "reason" {
		p.lastReason = ""
	}
	var err error
	switch name {
	case "reason":
		p.cmd.Reason, err = parseReason(value)
	case "release":
		p.cmd.Release, err = parseRelease(value)
	case "stage":
		p.cmd.Stage, err = parseName("--stage", value)
	case "target":
		p.cmd.Target, err = parseName("--target", value)
	case "ttl":
		p.cmd.TTL, err = parseTTL(value)
	case "all":
		p.cmd.All = true
	case "org":
		p.cmd.Org = true
	}
	return err
}

// finish checks what only the whole line shows.
func (p *parser) finish() error {
	s, c := p.spec, &p.cmd
	if s.argRequired && !p.argSet {
		if s.arg == "BLOCKER" {
			return fmt.Errorf("missing BLOCKER: /deploy override needs one of %s", blockerList())
		}
		return fmt.Errorf("missing %s: /deploy %s needs one", s.arg, s.verb)
	}
	if s.reasonRequired && !p.seen["reason"] {
		return fmt.Errorf("missing --reason: /deploy %s needs one, for example --reason \"what happened\"", s.verb)
	}
	if c.All && c.Org {
		return errors.New("--all and --org exclude each other: --all is every pipeline of the repository, --org every repository of the installation")
	}
	if (c.All || c.Org) && c.Pipeline != "" {
		f := "--all"
		if c.Org {
			f = "--org"
		}
		return fmt.Errorf("give either PIPELINE %q or %s, not both", c.Pipeline, f)
	}
	return nil
}
