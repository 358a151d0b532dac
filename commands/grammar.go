package commands

import "github.com/wavegate/wavegate/pipeline"

// flag is one --flag of the grammar.
type flag struct {
	name string // without the dashes
	// value is the placeholder of its value in usage ("TEXT"); "" for a
	// switch such as --all.
	value string
}

// spec is the shape of one verb.
type spec struct {
	verb Verb
	// arg is the name of the verb's one positional argument ("PIPELINE"),
	// "" when it takes none.
	arg         string
	argRequired bool
	flags       []string // in usage order
	// reasonRequired: the verb changes what gets deployed, so the audit log
	// must say why.
	reasonRequired bool
	summary        string // one line for Help
	syntax         string // the usage line, without "/deploy "
	example        string // a full example line
}

// verbs lists the verbs in the order Help shows them.
func verbs() []Verb {
	return []Verb{VerbHelp, VerbStatus, VerbApprove, VerbReject, VerbOverride, VerbRollback,
		VerbPause, VerbResume, VerbBlock, VerbUnblock, VerbLink, VerbUnlink}
}

// flagOf describes a flag by name.
func flagOf(name string) (flag, bool) {
	switch name {
	case "reason":
		return flag{name, "TEXT"}, true
	case "release":
		return flag{name, "N"}, true
	case "stage":
		return flag{name, "S"}, true
	case "target":
		return flag{name, "T"}, true
	case "ttl":
		return flag{name, "DURATION"}, true
	case "all", "org":
		return flag{name: name}, true
	}
	return flag{}, false
}

// allFlags are every flag name, for suggestions.
func allFlags() []string {
	return []string{"reason", "release", "stage", "target", "ttl", "all", "org"}
}

// overridable are the blockers override lifts, in the order errors list them.
func overridable() []pipeline.BlockerKind {
	return []pipeline.BlockerKind{pipeline.BlockerAlarm, pipeline.BlockerWindow, pipeline.BlockerFreeze,
		pipeline.BlockerBlockedCommit, pipeline.BlockerUnreviewed, pipeline.BlockerRollback}
}

// specOf describes verb v.
func specOf(v Verb) (spec, bool) {
	switch v {
	case VerbHelp:
		return spec{verb: v,
			summary: "list these commands.",
			syntax:  "help",
			example: "/deploy help"}, true
	case VerbStatus:
		return spec{verb: v, arg: "PIPELINE", flags: []string{"release"},
			summary: "where the release stands, and what holds it.",
			syntax:  "status [PIPELINE] [--release N]",
			example: "/deploy status production"}, true
	case VerbApprove:
		return spec{verb: v, arg: "STAGE", flags: []string{"reason", "release"},
			summary: "approve the approval stage the release waits in (or STAGE).",
			syntax:  "approve [STAGE] [--reason TEXT] [--release N]",
			example: `/deploy approve release-approval --reason "checked the canary"`}, true
	case VerbReject:
		return spec{verb: v, arg: "STAGE", flags: []string{"reason", "release"}, reasonRequired: true,
			summary: "reject the approval stage the release waits in (or STAGE): the release ends there.",
			syntax:  "reject [STAGE] --reason TEXT [--release N]",
			example: `/deploy reject --reason "the migration is not reversible"`}, true
	case VerbOverride:
		return spec{verb: v, arg: "BLOCKER", argRequired: true,
			flags:          []string{"stage", "target", "ttl", "reason", "release"},
			reasonRequired: true,
			summary:        "let the release go past one blocker, for the whole release or for `--ttl`.",
			syntax:         "override BLOCKER [--stage S] [--target T] [--ttl DURATION] --reason TEXT [--release N]",
			example:        `/deploy override alarm --stage production --ttl 2h --reason "known flaky alert"`}, true
	case VerbRollback:
		return spec{verb: v, flags: []string{"stage", "target", "reason", "release"}, reasonRequired: true,
			summary: "roll the release back (everywhere, or one `--stage` or `--target`).",
			syntax:  "rollback [--stage S] [--target T] --reason TEXT [--release N]",
			example: `/deploy rollback --reason "errors up in eu-west"`}, true
	case VerbPause:
		return spec{verb: v, arg: "PIPELINE", flags: []string{"all", "org", "reason"}, reasonRequired: true,
			summary: "hold the next deploys of a pipeline, of every pipeline of the repository (`--all`), or of every repository (`--org`); deploys under way finish.",
			syntax:  "pause [PIPELINE | --all | --org] --reason TEXT",
			example: `/deploy pause --all --reason "incident 4121"`}, true
	case VerbResume:
		return spec{verb: v, arg: "PIPELINE", flags: []string{"all", "org", "stage"},
			summary: "lift a pause (of PIPELINE, `--all` or `--org`) and the holds rollbacks left; with `--stage S`, only that stage's hold.",
			syntax:  "resume [PIPELINE | --all | --org] [--stage S]",
			example: "/deploy resume --all"}, true
	case VerbBlock:
		return spec{verb: v, arg: "SHA", argRequired: true, flags: []string{"reason"}, reasonRequired: true,
			summary: "never deploy this commit anywhere in the repository; a release holding it stops before its next deploy.",
			syntax:  "block SHA --reason TEXT",
			example: `/deploy block 4f2a9c1 --reason "leaks credentials in logs"`}, true
	case VerbUnblock:
		return spec{verb: v, arg: "SHA", argRequired: true,
			summary: "let a blocked commit deploy again.",
			syntax:  "unblock SHA",
			example: "/deploy unblock 4f2a9c1"}, true
	case VerbLink:
		return spec{verb: v, arg: "CODE",
			summary: "tie your Slack user to your GitHub login: `/deploy link` in Slack answers with a one-time code, which you post as `/deploy link CODE` in a pull request comment.",
			syntax:  "link [CODE]",
			example: "/deploy link"}, true
	case VerbUnlink:
		return spec{verb: v,
			summary: "remove the tie between your Slack user and your GitHub login.",
			syntax:  "unlink",
			example: "/deploy unlink"}, true
	}
	return spec{}, false
}

// takes reports whether the verb accepts flag name.
func (s spec) takes(name string) bool {
	for _, f := range s.flags {
		if f == name {
			return true
		}
	}
	return false
}
