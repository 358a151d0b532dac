package commands

import (
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/pipeline"
)

func TestParseValid(t *testing.T) {
	long := strings.Repeat("é", MaxReason) // characters, not bytes
	tests := []struct {
		line string
		want Command // Line is filled in from line
	}{
		{"/deploy help", Command{Verb: VerbHelp}},
		{"  /deploy   help  ", Command{Verb: VerbHelp}},
		{"/deploy HELP", Command{Verb: VerbHelp}},
		{"/deploy status", Command{Verb: VerbStatus}},
		{"/deploy status production", Command{Verb: VerbStatus, Pipeline: "production"}},
		{"/deploy status --release 12", Command{Verb: VerbStatus, Release: 12}},
		{"/deploy status --release=#12 web", Command{Verb: VerbStatus, Pipeline: "web", Release: 12}},
		{"/deploy approve", Command{Verb: VerbApprove}},
		{"/deploy approve release-approval", Command{Verb: VerbApprove, Stage: "release-approval"}},
		{`/deploy approve --reason "canary is clean" qa`, Command{Verb: VerbApprove, Stage: "qa", Reason: "canary is clean"}},
		{"/deploy approve --release 3 --reason ok", Command{Verb: VerbApprove, Release: 3, Reason: "ok"}},
		{`/deploy reject --reason "not reversible"`, Command{Verb: VerbReject, Reason: "not reversible"}},
		{`/deploy reject qa --reason=no --release=4`, Command{Verb: VerbReject, Stage: "qa", Reason: "no", Release: 4}},
		{`/deploy override alarm --reason "known flake"`, Command{Verb: VerbOverride, Blocker: pipeline.BlockerAlarm, Reason: "known flake"}},
		{`/deploy override Window --stage prod --target eu --ttl 2h --reason x --release 7`,
			Command{Verb: VerbOverride, Blocker: pipeline.BlockerWindow, Stage: "prod", Target: "eu", TTL: 2 * time.Hour, Reason: "x", Release: 7}},
		{"/deploy override freeze --ttl 2d --reason x", Command{Verb: VerbOverride, Blocker: pipeline.BlockerFreeze, TTL: 48 * time.Hour, Reason: "x"}},
		{"/deploy override blocked-commit --ttl 1d12h --reason x", Command{Verb: VerbOverride, Blocker: pipeline.BlockerBlockedCommit, TTL: 36 * time.Hour, Reason: "x"}},
		{"/deploy override unreviewed --ttl 30d --reason x", Command{Verb: VerbOverride, Blocker: pipeline.BlockerUnreviewed, TTL: 30 * 24 * time.Hour, Reason: "x"}},
		{"/deploy override rollback --ttl 90m --reason x", Command{Verb: VerbOverride, Blocker: pipeline.BlockerRollback, TTL: 90 * time.Minute, Reason: "x"}},
		{`/deploy rollback --reason "errors up"`, Command{Verb: VerbRollback, Reason: "errors up"}},
		{`/deploy rollback --stage prod --target eu-west --reason x --release 9`, Command{Verb: VerbRollback, Stage: "prod", Target: "eu-west", Reason: "x", Release: 9}},
		{"/deploy pause --reason incident", Command{Verb: VerbPause, Reason: "incident"}},
		{"/deploy pause web --reason incident", Command{Verb: VerbPause, Pipeline: "web", Reason: "incident"}},
		{"/deploy pause --all --reason incident", Command{Verb: VerbPause, All: true, Reason: "incident"}},
		{`/deploy pause --reason "incident" web`, Command{Verb: VerbPause, Pipeline: "web", Reason: "incident"}},
		{`/deploy resume --stage prod web`, Command{Verb: VerbResume, Pipeline: "web", Stage: "prod"}},
		{"/deploy pause --reason incident --org", Command{Verb: VerbPause, Org: true, Reason: "incident"}},
		{"/deploy resume", Command{Verb: VerbResume}},
		{"/deploy resume web --stage prod", Command{Verb: VerbResume, Pipeline: "web", Stage: "prod"}},
		{"/deploy resume --all", Command{Verb: VerbResume, All: true}},
		{"/deploy resume --org", Command{Verb: VerbResume, Org: true}},
		{"/deploy block 4F2A9C1 --reason leak", Command{Verb: VerbBlock, SHA: "4f2a9c1", Reason: "leak"}},
		{"/deploy block " + strings.Repeat("ab", 20) + " --reason leak", Command{Verb: VerbBlock, SHA: strings.Repeat("ab", 20), Reason: "leak"}},
		{"/deploy unblock 4f2a9c1", Command{Verb: VerbUnblock, SHA: "4f2a9c1"}},
		{"/deploy link", Command{Verb: VerbLink}},
		{"/deploy link K7Q-92X", Command{Verb: VerbLink, Code: "K7Q-92X"}},
		{"/deploy unlink", Command{Verb: VerbUnlink}},
		// The repository may come first (Slack).
		{"/deploy acme/api pause --reason x", Command{Verb: VerbPause, Repository: "acme/api", Reason: "x"}},
		{"/deploy my-org/my.repo_2 status", Command{Verb: VerbStatus, Repository: "my-org/my.repo_2"}},
		// Flags in any order, both spellings, phones' dashes.
		{"/deploy rollback --reason=x --target t --stage=s", Command{Verb: VerbRollback, Stage: "s", Target: "t", Reason: "x"}},
		{"/deploy rollback —reason x –stage s", Command{Verb: VerbRollback, Stage: "s", Reason: "x"}},
		{"/deploy status -release 2", Command{Verb: VerbStatus, Release: 2}},
		// The reason is trimmed and may be MaxReason characters.
		{`/deploy pause --reason "  spaced  "`, Command{Verb: VerbPause, Reason: "spaced"}},
		{`/deploy pause --reason "` + long + `"`, Command{Verb: VerbPause, Reason: long}},
		// A value may look like a flag when it is quoted.
		{`/deploy pause --reason "--all of it"`, Command{Verb: VerbPause, Reason: "--all of it"}},
		{"/deploy\tstatus\u00a0web", Command{Verb: VerbStatus, Pipeline: "web"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			p := Parse(tt.line)
			if p.Kind != Valid {
				t.Fatalf("Kind = %v, Err = %v; want Valid", p.Kind, p.Err)
			}
			want := tt.want
			want.Line = strings.TrimSpace(tt.line)
			if p.Command != want {
				t.Errorf("Command =\n%+v\nwant\n%+v", p.Command, want)
			}
			if p.Err != nil || p.Usage != "" {
				t.Errorf("Err = %v, Usage = %q; want neither", p.Err, p.Usage)
			}
		})
	}
}

func TestParseNotCommand(t *testing.T) {
	for _, line := range []string{
		"", "   ", "deploy status", "/deployment status", "/deploys", "/Deploy status", "please /deploy status",
		"`/deploy status`", "/deploy/status", "/deploy\"status\"", "LGTM",
	} {
		if p := Parse(line); p.Kind != NotCommand || p.Err != nil || p.Usage != "" || p.Command != (Command{}) {
			t.Errorf("Parse(%q) = %+v; want NotCommand and nothing else", line, p)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	long := strings.Repeat("a", MaxReason+1)
	tests := []struct {
		line string
		verb Verb     // "" when unknown: Usage is then the help
		errs []string // each must appear in Err
	}{
		{"/deploy", "", []string{"missing verb"}},
		{"/deploy acme/api", "", []string{"missing verb"}},
		{"/deploy --reason x", "", []string{"missing verb before --reason"}},
		{"/deploy aprove", "", []string{`unknown verb "aprove"`, "did you mean approve?", "help, status, approve"}},
		{"/deploy rollbak --reason x", "", []string{"did you mean rollback?"}},
		{"/deploy frobnicate", "", []string{`unknown verb "frobnicate".`, "The verbs are help, status"}},
		{"/deploy acme pause --reason x", "", []string{`unknown verb "acme"`}},
		{"/deploy acme/ pause --reason x", "", []string{`"acme/" is not a repository`, "owner/repo"}},
		{"/deploy -1acme/api status", "", []string{"cannot start with -"}},
		{"/deploy acme/a$b status", "", []string{"the name may hold only"}},
		{"/deploy ac_me/api status", "", []string{"the owner may hold only"}},
		{"/deploy acme/.. status", "", []string{"cannot be . or .."}},
		{"/deploy acme/api/x status", "", []string{"the name may hold only"}},
		{"/deploy " + strings.Repeat("a", 40) + "/x status", "", []string{"1 to 39"}},
		// Flags.
		{"/deploy rollback --ttl 2h --reason x", VerbRollback, []string{"unknown flag --ttl for /deploy rollback", "only /deploy override takes it", "it takes --stage, --target, --reason, --release"}},
		{"/deploy rollback --org --reason x", VerbRollback, []string{"unknown flag --org", "only /deploy pause and /deploy resume take it"}},
		{"/deploy approve --all", VerbApprove, []string{"unknown flag --all", "only /deploy pause and /deploy resume take it"}},
		{"/deploy status --rease 3", VerbStatus, []string{"unknown flag --rease", "did you mean --reason?", "it takes --release"}},
		{"/deploy status --" + strings.Repeat("x", 500), VerbStatus, []string{"unknown flag --" + strings.Repeat("x", 40) + "… for /deploy status; it takes --release"}},
		{"/deploy status --verbose", VerbStatus, []string{"unknown flag --verbose for /deploy status; it takes --release"}},
		{"/deploy help --reason x", VerbHelp, []string{"/deploy help takes no flags"}},
		{"/deploy pause --reason x --reason y", VerbPause, []string{"--reason is given twice"}},
		{"/deploy pause --all --all --reason x", VerbPause, []string{"--all is given twice"}},
		{"/deploy pause --all=yes --reason x", VerbPause, []string{"--all takes no value"}},
		{"/deploy pause --reason", VerbPause, []string{"--reason needs a value: --reason TEXT"}},
		{"/deploy pause --reason --all", VerbPause, []string{"--reason needs a value"}},
		{"/deploy status --release", VerbStatus, []string{"--release needs a value: --release N"}},
		{"/deploy override alarm --ttl --reason x", VerbOverride, []string{"--ttl needs a value: --ttl DURATION"}},
		// Reasons.
		{"/deploy reject", VerbReject, []string{"missing --reason: /deploy reject needs one"}},
		{"/deploy override alarm", VerbOverride, []string{"missing --reason: /deploy override needs one"}},
		{"/deploy rollback", VerbRollback, []string{"missing --reason: /deploy rollback needs one"}},
		{"/deploy pause", VerbPause, []string{"missing --reason: /deploy pause needs one"}},
		{"/deploy block 4f2a9c1", VerbBlock, []string{"missing --reason: /deploy block needs one"}},
		{`/deploy pause --reason ""`, VerbPause, []string{"--reason is empty"}},
		{`/deploy pause --reason="   "`, VerbPause, []string{"--reason is empty"}},
		{`/deploy pause --reason ` + long, VerbPause, []string{"--reason is 1001 characters long; the limit is 1000"}},
		// Stray text.
		{"/deploy rollback --reason rolled back", VerbRollback, []string{`unexpected "back"`, `--reason "rolled back"`}},
		{"/deploy rollback --reason=rolled back", VerbRollback, []string{`unexpected "back"`, `--reason "rolled back"`}},
		{"/deploy pause --reason x — y", VerbPause, []string{`unexpected "—" after --reason x`}},
		{"/deploy status -- web", VerbStatus, []string{`unexpected "web": /deploy status takes one PIPELINE`}}, // "--" is no flag
		{"/deploy approve --reason looks good", VerbApprove, []string{`unexpected "good" after --reason looks: put a reason of several words in quotes: --reason "looks good", and give STAGE before the flags`}},
		{"/deploy pause --reason incident web", VerbPause, []string{`unexpected "web" after --reason incident`, "give PIPELINE before the flags"}},
		{"/deploy approve qa --reason looks good", VerbApprove, []string{`unexpected "good" after --reason looks: put a reason of several words in quotes: --reason "looks good"`}},
		{"/deploy rollback prod --reason x", VerbRollback, []string{`unexpected "prod": /deploy rollback takes no argument other than flags`}},
		{"/deploy status web api", VerbStatus, []string{`unexpected "api": /deploy status takes one PIPELINE`}},
		{`/deploy rollback --reason "x" back`, VerbRollback, []string{`unexpected "back"`, "takes no argument other than flags"}},
		{"/deploy unlink now", VerbUnlink, []string{`unexpected "now": /deploy unlink takes no arguments`}},
		{"/deploy help me", VerbHelp, []string{`unexpected "me"`}},
		{`/deploy pause "--all" --reason x --all`, VerbPause, []string{`give either PIPELINE "--all" or --all, not both`}},
		// Blockers.
		{"/deploy override --reason x", VerbOverride, []string{"missing BLOCKER", "alarm, window, freeze, blocked-commit, unreviewed, rollback"}},
		{"/deploy override approval --reason x", VerbOverride, []string{"use /deploy approve"}},
		{"/deploy override paused --reason x", VerbOverride, []string{"use /deploy resume"}},
		{"/deploy override alarms --reason x", VerbOverride, []string{`unknown blocker "alarms"`, "alarm, window, freeze, blocked-commit, unreviewed, rollback"}},
		// SHAs.
		{"/deploy block --reason x", VerbBlock, []string{"missing SHA: /deploy block needs one"}},
		{"/deploy unblock", VerbUnblock, []string{"missing SHA"}},
		{"/deploy block 4f2a9c --reason x", VerbBlock, []string{`"4f2a9c" is not a commit SHA: give 7 to 40 hex digits`}},
		{"/deploy block 4f2a9cg --reason x", VerbBlock, []string{"is not a commit SHA"}},
		{"/deploy unblock " + strings.Repeat("a", 41), VerbUnblock, []string{"is not a commit SHA"}},
		// TTL.
		{"/deploy override alarm --ttl 0s --reason x", VerbOverride, []string{`--ttl "0s" is not positive`}},
		{"/deploy override alarm --ttl -5m --reason x", VerbOverride, []string{`--ttl "-5m" is not positive`}},
		{"/deploy override alarm --ttl 90 --reason x", VerbOverride, []string{`--ttl "90" is not a duration`, "30m, 4h or 2d"}},
		{"/deploy override alarm --ttl soon --reason x", VerbOverride, []string{`--ttl "soon" is not a duration`}},
		{"/deploy override alarm --ttl 1d-1h --reason x", VerbOverride, []string{`is not a duration`}},
		{"/deploy override alarm --ttl 31d --reason x", VerbOverride, []string{"--ttl 31d is longer than the limit of 30d"}},
		{"/deploy override alarm --ttl 30d1m --reason x", VerbOverride, []string{"longer than the limit of 30d"}},
		{"/deploy override alarm --ttl 721h --reason x", VerbOverride, []string{"longer than the limit of 30d"}},
		{"/deploy override alarm --ttl 99999999999999999999d --reason x", VerbOverride, []string{"longer than the limit of 30d"}},
		// Release.
		{"/deploy status --release 0", VerbStatus, []string{`--release "0" is not a release number`}},
		{"/deploy status --release -3", VerbStatus, []string{`--release "-3" is not a release number`}},
		{"/deploy status --release abc", VerbStatus, []string{"give a positive integer"}},
		{"/deploy status --release 99999999999999999999", VerbStatus, []string{"is not a release number"}},
		// --all and --org.
		{"/deploy pause --all --org --reason x", VerbPause, []string{"--all and --org exclude each other"}},
		{"/deploy resume web --all", VerbResume, []string{`give either PIPELINE "web" or --all, not both`}},
		{"/deploy pause --org web --reason x", VerbPause, []string{`give either PIPELINE "web" or --org, not both`}},
		// Names.
		{`/deploy status ""`, VerbStatus, []string{"PIPELINE is empty"}},
		{`/deploy rollback --stage "" --reason x`, VerbRollback, []string{"--stage is empty"}},
		{"/deploy status " + strings.Repeat("p", maxName+1), VerbStatus, []string{"PIPELINE", "too long: at most 100 characters"}},
		{"/deploy status \"a\x01b\"", VerbStatus, []string{`PIPELINE "a\x01b" holds the invisible character U+0001`}},
		{"/deploy rollback --target \"eu\u202ewest\" --reason x", VerbRollback, []string{"--target", "U+202E"}},
		{"/deploy pause --reason \"a\x1b[2Jb\"", VerbPause, []string{"--reason holds the invisible character U+001B; remove it"}},
		{"/deploy pause --reason \"a\u2066b\"", VerbPause, []string{"U+2066"}},
		{"/deploy pause --pipeline web --reason x", VerbPause, []string{"unknown flag --pipeline for /deploy pause: give the pipeline without a flag, as in /deploy pause [PIPELINE"}},
		{"/deploy block --sha 4f2a9c1 --reason x", VerbBlock, []string{"give the sha without a flag"}},
		// Quotes.
		{`/deploy pause --reason "never closed`, VerbPause, []string{`unterminated quote: the " in "never closed has no closing quote`}},
		{`/deploy pause --reason “never closed`, VerbPause, []string{"unterminated quote: the “ in “never closed"}},
		{`/deploy pause --reason 'never closed`, VerbPause, []string{"unterminated quote: the ' in 'never closed"}},
		{`/deploy pause --reason "ends with escape\"`, VerbPause, []string{"unterminated quote"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			p := Parse(tt.line)
			if p.Kind != Invalid {
				t.Fatalf("Kind = %v (%+v); want Invalid", p.Kind, p.Command)
			}
			if p.Err == nil {
				t.Fatal("Err = nil")
			}
			for _, want := range tt.errs {
				if !strings.Contains(p.Err.Error(), want) {
					t.Errorf("Err = %q\nwant it to contain %q", p.Err, want)
				}
			}
			if p.Command.Line != strings.TrimSpace(tt.line) || p.Command.Verb != tt.verb {
				t.Errorf("Line, Verb = %q, %q; want %q, %q", p.Command.Line, p.Command.Verb, strings.TrimSpace(tt.line), tt.verb)
			}
			if want := Usage(tt.verb); p.Usage != want {
				t.Errorf("Usage = %q\nwant %q", p.Usage, want)
			}
		})
	}
}

func TestParseQuoting(t *testing.T) {
	tests := []struct {
		line   string
		reason string
	}{
		{`/deploy pause --reason "rolled back in prod"`, "rolled back in prod"},
		{`/deploy pause --reason 'rolled back in prod'`, "rolled back in prod"},
		{`/deploy pause --reason="rolled back in prod"`, "rolled back in prod"},
		{`/deploy pause --reason='rolled back'`, "rolled back"},
		{`/deploy pause --reason “smart quotes from Slack”`, "smart quotes from Slack"},
		{`/deploy pause --reason ‘single smart quotes’`, "single smart quotes"},
		{`/deploy pause --reason „German quotes“`, "German quotes"},
		{`/deploy pause --reason «guillemets»`, "guillemets"},
		{`/deploy pause --reason “half smart"`, "half smart"},
		{`/deploy pause --reason "say \"stop\" now"`, `say "stop" now`},
		{`/deploy pause --reason "a \\ b"`, `a \ b`},
		{`/deploy pause --reason "C:\path\to"`, `C:\path\to`},
		{`/deploy pause --reason 'no \'escapes'`, `no \'escapes`},
		{`/deploy pause --reason 'it's late'`, "it's late"},
		{`/deploy pause --reason ‘it’s late’`, "it’s late"},
		{`/deploy pause --reason don't`, "don't"},
		{`/deploy pause --reason "it's late"`, "it's late"},
		{`/deploy pause --reason 'she said "no"'`, `she said "no"`},
		{`/deploy pause --reason "a"b"c"`, "abc"},
		{`/deploy pause --reason "a"'b'`, "a'b'"}, // an apostrophe inside a word is text
		{"/deploy pause --reason \"tab\there\"", "tab\there"},
		{`/deploy pause --reason "emoji 👩‍💻 joined"`, "emoji 👩‍💻 joined"},
		{`/deploy pause --reason "multi
line"`, "multi\nline"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			p := Parse(tt.line)
			if p.Kind != Valid {
				t.Fatalf("Kind = %v, Err = %v; want Valid", p.Kind, p.Err)
			}
			if p.Command.Reason != tt.reason {
				t.Errorf("Reason = %q; want %q", p.Command.Reason, tt.reason)
			}
		})
	}
}

func TestUsageAndHelp(t *testing.T) {
	h := Help()
	for _, v := range verbs() {
		u := Usage(v)
		s, _ := specOf(v)
		if !strings.HasPrefix(u, "Usage: `/deploy "+s.syntax+"`\n") {
			t.Errorf("Usage(%s) does not start with its syntax:\n%s", v, u)
		}
		if !strings.Contains(u, "Example: `/deploy "+string(v)) {
			t.Errorf("Usage(%s) has no example:\n%s", v, u)
		}
		// Every example parses, so the help never teaches a wrong line.
		if p := Parse(s.example); p.Kind != Valid || p.Command.Verb != v {
			t.Errorf("example of %s %q: %v %v", v, s.example, p.Kind, p.Err)
		}
		if !strings.Contains(h, "- `/deploy "+s.syntax+"`: ") {
			t.Errorf("Help does not list %s:\n%s", v, h)
		}
	}
	if Usage("frobnicate") != h {
		t.Error("Usage of an unknown verb is not the help")
	}
	for _, b := range overridable() {
		if !strings.Contains(Usage(VerbOverride), string(b)) {
			t.Errorf("override's usage does not name blocker %s", b)
		}
	}
}
