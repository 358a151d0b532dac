package pipeline

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// stages makes a file with one pipeline (with alarms) whose stages are the
// given flow mappings, one per line from line 5.
func stages(lines ...string) string {
	var b strings.Builder
	b.WriteString(alarmed)
	for _, l := range lines {
		b.WriteString("      - " + l + "\n")
	}
	return b.String()
}

// withKeys makes a file with one valid pipeline (with alarms) and the given
// pipeline-level lines, starting at line 4.
func withKeys(keys string) string {
	return "pipelines:\n  app:\n    alarms: {queries: {q: up}}\n" + keys + "    stages: [{name: a, targets: [t], bake: 0s}]\n"
}

func TestParseDiagnostics(t *testing.T) {
	const ok = "{name: z, targets: [z], bake: 0s, production: false}" // a stage to follow approvals
	for _, tc := range []struct {
		name string
		yaml string
		want []string // Diagnostic.String() without the file name
	}{
		// Unknown keys.
		{"stage key typo", stages("{name: a, targets: [t], bake: 0s, bakee: 1m}"),
			[]string{`5:43: error: unknown key "bakee" in pipelines.app.stages[0] (did you mean "bake"?)`}},
		{"stage key far from any", stages("{name: a, targets: [t], bake: 0s, colour: red}"),
			[]string{`5:43: error: unknown key "colour" in pipelines.app.stages[0] (known keys: name, targets, parallel, onebox, bake, min_datapoints, production, approval)`}},
		{"pipeline key typo", "pipelines:\n  app:\n    alarms: {queries: {q: up}}\n    satges: []\n",
			[]string{
				`2:3: error: pipeline "app" has no stages: it needs at least one`,
				`4:5: error: unknown key "satges" in pipelines.app (did you mean "stages"?)`,
			}},
		{"overrides key typo", withKeys("    overrides: {permision: admin}\n"),
			[]string{`4:17: error: unknown key "permision" in pipelines.app.overrides (did you mean "permission"?)`}},
		{"approval key typo", stages("{name: r, approval: {approver: [alice]}}", ok),
			[]string{`5:30: error: unknown key "approver" in pipelines.app.stages[0].approval (did you mean "approvers"?)`}},
		{"deployer key typo", withKeys("    deployer: {comand: blue}\n"),
			[]string{`4:16: error: unknown key "comand" in pipelines.app.deployer (did you mean "command"?)`}},

		// Shapes and names.
		{"pipeline name", "pipelines:\n  App:\n    alarms: {queries: {q: up}}\n    stages: [{name: a, targets: [t], bake: 0s}]\n",
			[]string{`2:3: error: pipeline name "App" is not allowed: use lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters (it is typed in commands such as /deploy status)`}},
		{"pipeline null", "pipelines:\n  app:\n",
			[]string{`2:3: error: pipeline "app" is empty; it needs at least one stage`}},
		{"pipeline list", "pipelines:\n  app: [a]\n",
			[]string{`2:8: error: pipelines.app must be a mapping, got a list`}},
		{"no stages", "pipelines:\n  app:\n    alarms: {queries: {q: up}}\n",
			[]string{`2:3: error: pipeline "app" has no stages: it needs at least one`}},
		{"empty stages", "pipelines:\n  app:\n    alarms: {queries: {q: up}}\n    stages: []\n",
			[]string{`4:13: error: pipelines.app.stages is empty: a pipeline needs at least one stage`}},
		{"stages mapping", "pipelines:\n  app:\n    alarms: {queries: {q: up}}\n    stages: {a: 1}\n",
			[]string{`4:13: error: pipelines.app.stages must be a list of stages, got a mapping`}},
		{"stage scalar", stages("alpha"),
			[]string{`5:9: error: pipelines.app.stages[0] must be a mapping with a name and either targets or approval, got string "alpha"`}},
		{"stage without name", stages("{targets: [t], bake: 0s}"),
			[]string{`5:9: error: pipelines.app.stages[0] needs a name`}},
		{"stage name", stages("{name: Alpha, targets: [t], bake: 0s}"),
			[]string{`5:16: error: stage name "Alpha" is not allowed: use lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters (it is typed in commands such as /deploy approve)`}},
		{"stage name too long", stages("{name: " + strings.Repeat("a", 65) + ", targets: [t], bake: 0s}"),
			[]string{`5:16: error: stage name "` + strings.Repeat("a", 65) + `" is not allowed: use lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters (it is typed in commands such as /deploy approve)`}},
		{"duplicate stage name", stages("{name: a, targets: [t], bake: 0s}", "{name: a, targets: [u], bake: 0s}"),
			[]string{`6:16: error: duplicate stage name "a" in pipeline "app" (first at line 5)`}},

		// Deploying stages.
		{"no targets", stages("{name: a, bake: 0s}"),
			[]string{`5:9: error: stage "a" needs targets to deploy to, or approval: to wait for a manual approval`}},
		{"no bake", stages("{name: a, targets: [t]}"),
			[]string{`5:9: error: stage "a" needs bake: how long each deploy must stay healthy before the next step (bake: 0s to go on as soon as it succeeds)`}},
		{"empty targets", stages("{name: a, targets: [], bake: 0s}"),
			[]string{`5:28: error: pipelines.app.stages[0].targets is empty: a deploying stage needs at least one target`}},
		{"targets scalar", stages("{name: a, targets: t, bake: 0s}"),
			[]string{`5:28: error: pipelines.app.stages[0].targets must be a list of strings, got string "t"`}},
		{"bad target names", stages(`{name: a, targets: ['', '/x', "a\tb", 1], bake: 0s}`),
			[]string{
				`5:29: error: pipelines.app.stages[0].targets[0] "" must not be empty`,
				`5:33: error: pipelines.app.stages[0].targets[1] "/x" must not start with "/"`,
				`5:39: error: pipelines.app.stages[0].targets[2] "a\tb" must not contain control characters`,
				`5:47: error: pipelines.app.stages[0].targets[3] must be a string, got number 1`,
			}},
		{"target too long", stages("{name: a, targets: [" + strings.Repeat("é", 256) + "], bake: 0s}"),
			[]string{`5:29: error: pipelines.app.stages[0].targets[0] "` + strings.Repeat("é", 256) + `" is 256 characters long; GitHub environment names have at most 255`}},
		{"target at the length limit", stages("{name: a, targets: [" + strings.Repeat("é", 255) + "], bake: 0s}"), nil},
		{"parallel zero", stages("{name: a, targets: [t], bake: 0s, parallel: 0}"),
			[]string{`5:53: error: pipelines.app.stages[0].parallel must be between 1 and 1000, got 0`}},
		{"parallel above targets", stages("{name: a, targets: [t], bake: 0s, parallel: 2}"),
			[]string{`5:53: warning: stage "a" has parallel: 2 but only 1 target, so at most 1 deploy at once`}},
		{"parallel equal to targets", stages("{name: a, targets: [t, u], bake: 0s, parallel: 2}"), nil},
		{"parallel quoted", stages("{name: a, targets: [t], bake: 0s, parallel: '2'}"),
			[]string{`5:53: error: pipelines.app.stages[0].parallel must be an integer, got string "2"`}},
		{"onebox string", stages("{name: a, targets: [t], bake: 0s, onebox: yes}"),
			[]string{`5:51: error: pipelines.app.stages[0].onebox must be true or false, got string "yes"`}},
		{"min_datapoints negative", stages("{name: a, targets: [t], bake: 0s, min_datapoints: -1}"),
			[]string{`5:59: error: pipelines.app.stages[0].min_datapoints must be between 0 and 1000000000, got -1`}},
		{"min_datapoints without datapoints", stages("{name: a, targets: [t], bake: 0s, min_datapoints: 10}"),
			[]string{`5:59: warning: min_datapoints has no effect: pipeline "app" has no datapoints: query to count them`}},
		{"min_datapoints zero without datapoints", stages("{name: a, targets: [t], bake: 0s, min_datapoints: 0}"), nil},

		// Approval stages.
		{"approval with deploy keys",
			stages("{name: r, approval: {}, targets: [t], parallel: 2, onebox: true, bake: 1h, min_datapoints: 1, production: true}", ok),
			[]string{
				`5:33: error: stage "r" waits for an approval and deploys nothing, so it cannot have targets`,
				`5:47: error: stage "r" waits for an approval and deploys nothing, so it cannot have parallel`,
				`5:60: error: stage "r" waits for an approval and deploys nothing, so it cannot have onebox`,
				`5:74: error: stage "r" waits for an approval and deploys nothing, so it cannot have bake`,
				`5:84: error: stage "r" waits for an approval and deploys nothing, so it cannot have min_datapoints`,
				`5:103: error: stage "r" waits for an approval and deploys nothing, so it cannot have production`,
			}},
		{"approval true", stages("{name: r, approval: true}", ok),
			[]string{`5:29: error: pipelines.app.stages[0].approval must be a mapping (approvers, allow_authors, timeout), got boolean true; approval: {} lets anyone with write permission approve`}},
		{"approval null", stages("{name: r, approval: }", ok), nil},
		{"approvers empty", stages("{name: r, approval: {approvers: []}}", ok),
			[]string{`5:41: error: pipelines.app.stages[0].approval.approvers is empty; leave it out to let anyone with write permission approve`}},
		{"approvers", stages("{name: r, approval: {approvers: [acme/sre, 'bad login', '@acme/sre', alice, '@Alice']}}", ok),
			[]string{
				`5:42: error: pipelines.app.stages[0].approval.approvers[0] "acme/sre" is not a GitHub login (alice) or team (@acme/release-managers) (did you mean "@acme/sre"?)`,
				`5:52: error: pipelines.app.stages[0].approval.approvers[1] "bad login" is not a GitHub login (alice) or team (@acme/release-managers)`,
				`5:85: warning: pipelines.app.stages[0].approval.approvers[4] "@Alice" is listed twice`,
			}},
		{"allow_authors not a boolean", stages("{name: r, approval: {allow_authors: sometimes}}", ok),
			[]string{`5:45: error: pipelines.app.stages[0].approval.allow_authors must be true or false, got string "sometimes"`}},
		{"approval timeout zero", stages("{name: r, approval: {timeout: 0s}}", ok),
			[]string{`5:39: error: pipelines.app.stages[0].approval.timeout must be longer than 0s`}},
		{"approval last", stages("{name: a, targets: [t], bake: 0s}", "{name: r, approval: {}}"),
			[]string{`6:9: warning: approval stage "r" is the last stage: no deploy waits for it`}},

		// A target belongs to one stage of one pipeline.
		{"target twice in a stage, case folded", stages("{name: a, targets: [t, T], bake: 0s}"),
			[]string{`5:32: error: target "T" is listed twice in stage "a" (first at line 5, as "t"; GitHub environment names ignore case)`}},
		{"target in two stages", stages("{name: a, targets: [t], bake: 0s}", "{name: b, targets: [u, t], bake: 0s}"),
			[]string{`6:32: error: target "t" is already in stage "a" of pipeline "app" (line 5); a target belongs to one stage of one pipeline`}},
		{"target in two pipelines",
			"pipelines:\n  app:\n    alarms: {queries: {q: up}}\n    stages: [{name: a, targets: [t], bake: 0s}]\n  infra:\n    alarms: {queries: {q: up}}\n    stages: [{name: a, targets: [T], bake: 0s}]\n",
			[]string{`7:34: error: target "T" is already in stage "a" of pipeline "app" (line 4, as "t"; GitHub environment names ignore case); a target belongs to one stage of one pipeline`}},
		{"target list through an alias", stages("{name: a, targets: &t [t], bake: 0s}", "{name: b, targets: *t, bake: 0s}"),
			[]string{`6:28: error: target "t" is already in stage "a" of pipeline "app" (line 5); a target belongs to one stage of one pipeline`}},
		{"stage through an alias", alarmed + "      - &s {name: a, targets: [t], bake: 0s}\n      - *s\n",
			[]string{
				`6:9: error: target "t" is listed twice in stage "a" (first at line 5)`,
				`6:9: error: duplicate stage name "a" in pipeline "app" (first at line 5)`,
			}},

		// Durations.
		{"days", stages("{name: a, targets: [t], bake: 1d}"),
			[]string{`5:39: error: pipelines.app.stages[0].bake: durations have no days; use hours: 24h for 1d`}},
		{"days and hours", stages("{name: a, targets: [t], bake: 1d12h}"),
			[]string{`5:39: error: pipelines.app.stages[0].bake: durations have no days; use hours (1d = 24h); got "1d12h"`}},
		{"negative", stages("{name: a, targets: [t], bake: -5m}"),
			[]string{`5:39: error: pipelines.app.stages[0].bake must not be negative, got "-5m"`}},
		{"no unit", stages("{name: a, targets: [t], bake: 10}"),
			[]string{`5:39: error: pipelines.app.stages[0].bake needs a unit, like 10s, 10m or 10h; got number 10`}},
		{"quoted zero", stages(`{name: a, targets: [t], bake: "0"}`),
			[]string{`5:39: error: pipelines.app.stages[0].bake: write "0" as "0s" (whole numbers with units)`}},
		{"fraction", stages("{name: a, targets: [t], bake: 1.5h}"),
			[]string{`5:39: error: pipelines.app.stages[0].bake: write "1.5h" as "1h30m" (whole numbers with units)`}},
		{"words", stages("{name: a, targets: [t], bake: 10 minutes}"),
			[]string{`5:39: error: pipelines.app.stages[0].bake must be a duration like 30m, 1h or 1h30m (units ns, us, ms, s, m, h); got "10 minutes"`}},
		{"overflow", stages("{name: a, targets: [t], bake: 99999999999h}"),
			[]string{`5:39: error: pipelines.app.stages[0].bake is too long: "99999999999h"`}},
		{"list", stages("{name: a, targets: [t], bake: [1h]}"),
			[]string{`5:39: error: pipelines.app.stages[0].bake must be a duration like 30m, 1h or 1h30m; got a list`}},
		{"compound and micro", stages("{name: a, targets: [t], bake: 1h30m5s10ms20µs}"), nil},
		{"deploy timeout zero", withKeys("    deploy_timeout: 0s\n"),
			[]string{`4:21: error: pipelines.app.deploy_timeout must be longer than 0s`}},

		// Deployers.
		{"deployer typo", withKeys("    deployer: gihub\n"),
			[]string{`4:15: error: pipelines.app.deployer must be github, {command: NAME} or {workflow: FILE}; got "gihub" (did you mean "github"?)`}},
		{"deployer command as a word", withKeys("    deployer: command\n"),
			[]string{`4:15: error: pipelines.app.deployer: a command deployer names one that Wavegate's operator defines: write {command: NAME}`}},
		// The argv form of earlier versions: refused with how to move it.
		{"command as argv", withKeys("    deployer: {command: [./deploy.sh, --fast, 'two words']}\n"),
			[]string{`4:25: error: pipelines.app.deployer.command: a repository no longer gives the program to run; Wavegate's operator defines it. Put it in Wavegate's server config file (--config): deployers: {app: {command: ["./deploy.sh", "--fast", "two words"]}} (with user: and dir: as the operator sees fit), and write here: deployer: {command: app}`}},
		{"command as a string", withKeys("    deployer: {command: ./deploy.sh --fast}\n"),
			[]string{`4:25: error: pipelines.app.deployer.command names a deployer that Wavegate's operator defines, not a program. Put it in Wavegate's server config file (--config): deployers: {app: {command: ["./deploy.sh", "--fast"]}} (with user: and dir: as the operator sees fit), and write here: deployer: {command: app}`}},
		{"command empty", withKeys("    deployer: {command: []}\n"),
			[]string{`4:25: error: pipelines.app.deployer.command must name a deployer that Wavegate's operator defines: write {command: NAME}`}},
		{"command name", withKeys("    deployer: {command: Blue}\n"),
			[]string{`4:25: error: pipelines.app.deployer.command: deployer name "Blue" is not allowed: use lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters`}},
		{"command number", withKeys("    deployer: {command: 1}\n"),
			[]string{`4:25: error: pipelines.app.deployer.command must be a string, got number 1`}},
		{"command and workflow", withKeys("    deployer: {command: blue, workflow: d.yml}\n"),
			[]string{`4:31: error: pipelines.app.deployer takes one of command or workflow, not both`}},
		{"deployer empty mapping", withKeys("    deployer: {}\n"),
			[]string{`4:15: error: pipelines.app.deployer needs command or workflow`}},
		{"inputs alone", withKeys("    deployer: {inputs: {A: b}}\n"),
			[]string{`4:15: error: pipelines.app.deployer needs command or workflow`}},
		{"inputs with a workflow", withKeys("    deployer: {workflow: d.yml, inputs: {A: b}}\n"),
			[]string{`4:26: warning: the workflow deployer is not available yet`, `4:33: error: pipelines.app.deployer.inputs go with a command deployer; a workflow deployer takes none`}},
		{"input name", withKeys("    deployer: {command: blue, inputs: {dry-run: yes}}\n"),
			[]string{`4:40: error: input name "dry-run" is not allowed: use upper-case letters, digits and "_", starting with a letter, at most 64 characters; it becomes WAVEGATE_INPUT_<NAME> (did you mean "DRY_RUN"?)`}},
		{"input name with a digit first", withKeys("    deployer: {command: blue, inputs: {2FA: x}}\n"),
			[]string{`4:40: error: input name "2FA" is not allowed: use upper-case letters, digits and "_", starting with a letter, at most 64 characters; it becomes WAVEGATE_INPUT_<NAME>`}},
		{"input number", withKeys("    deployer: {command: blue, inputs: {REPLICAS: 3}}\n"),
			[]string{`4:50: error: pipelines.app.deployer.inputs.REPLICAS must be a string, got number 3: quote it, "3"`}},
		{"input null", withKeys("    deployer: {command: blue, inputs: {A: }}\n"),
			[]string{`4:43: error: pipelines.app.deployer.inputs.A must be a string, got nothing (null)`}},
		{"input list", withKeys("    deployer: {command: blue, inputs: {A: [x]}}\n"),
			[]string{`4:43: error: pipelines.app.deployer.inputs.A must be a string, got a list`}},
		{"inputs list", withKeys("    deployer: {command: blue, inputs: [A]}\n"),
			[]string{`4:39: error: pipelines.app.deployer.inputs must be a mapping of names to strings, got a list`}},
		{"input too long", withKeys("    deployer: {command: blue, inputs: {A: " + strings.Repeat("é", 1025) + "}}\n"),
			[]string{`4:43: error: pipelines.app.deployer.inputs.A is 1025 characters long; at most 1024 are allowed`}},
		{"input NUL", withKeys("    deployer: {command: blue, inputs: {A: \"x\\0y\"}}\n"),
			[]string{`4:43: error: pipelines.app.deployer.inputs.A must not contain a NUL character`}},
		{"too many inputs", withKeys("    deployer: {command: blue, inputs: {" + manyInputs(33) + "}}\n"),
			[]string{`4:39: error: pipelines.app.deployer.inputs has 33 entries; at most 32 are allowed`}},
		{"as many inputs as allowed", withKeys("    deployer: {command: blue, inputs: {" + manyInputs(32) + "}}\n"), nil},
		{"workflow", withKeys("    deployer: {workflow: deploy.yml}\n"),
			[]string{`4:26: warning: the workflow deployer is not available yet`}},
		{"workflow path", withKeys("    deployer: {workflow: .github/workflows/deploy.yml}\n"),
			[]string{`4:26: error: pipelines.app.deployer.workflow must be a workflow file name in .github/workflows, like deploy.yml; got ".github/workflows/deploy.yml"`}},
		{"deployer list", withKeys("    deployer: [github]\n"),
			[]string{`4:15: error: pipelines.app.deployer must be github, {command: NAME} or {workflow: FILE}; got a list`}},

		// Other pipeline keys.
		{"paths empty", withKeys("    paths: []\n"),
			[]string{`4:12: error: pipelines.app.paths is empty, so no push would ever release; leave it out to select every file`}},
		{"paths only exclude", withKeys("    paths: ['!infra/**']\n"),
			[]string{`4:12: error: pipelines.app.paths only excludes, so it selects no file; start with "**" to exclude from everything`}},
		{"paths globs", withKeys("    paths: ['**', '!/infra/**', src/]\n"),
			[]string{
				`4:19: error: pipelines.app.paths[1] "!/infra/**": paths are relative to the repository root: drop the leading "/"`,
				`4:33: error: pipelines.app.paths[2] "src/": changed paths are files: end with "/**" to match everything in a directory`,
			}},
		{"branch as a ref", withKeys("    branch: refs/heads/main\n"),
			[]string{`4:13: error: pipelines.app.branch "refs/heads/main": write the branch name alone: "main"`}},
		{"branch with dots", withKeys("    branch: 'release..1'\n"),
			[]string{`4:13: error: pipelines.app.branch "release..1": must not contain "..", "//" or "@{"`}},
		{"branch with a slash", withKeys("    branch: release/v1\n"), nil},
		{"slack channel without #", withKeys("    slack_channel: deploys\n"),
			[]string{`4:20: error: pipelines.app.slack_channel must be a channel name starting with "#" (like "#deploys") or a channel ID (like C0123456789); got "deploys" (did you mean "#deploys"?)`}},
		{"slack channel ID", withKeys("    slack_channel: C0123456789\n"), nil},
		{"windows and alarms shapes", "pipelines:\n  app:\n    alarms: [x]\n    windows: yes\n    stages: [{name: a, targets: [t], bake: 0s}]\n",
			[]string{
				`3:13: error: pipelines.app.alarms must be a mapping with match, target_label, queries and the other alarm keys, got a list`,
				`4:14: error: pipelines.app.windows must be a mapping with timezone, allow, freeze and stages, got string "yes"`,
			}},
		{"no alarms", "pipelines:\n  app:\n    alarms:\n    stages: [{name: a, targets: [t], bake: 0s}]\n",
			[]string{`2:3: warning: pipeline "app" has no alarms: nothing watches its deploys and bakes, so nothing rolls back by itself`}},
		{"empty alarms", "pipelines:\n  app:\n    alarms: {}\n    stages: [{name: a, targets: [t], bake: 0s}]\n",
			[]string{`2:3: warning: pipeline "app" has no alarms: nothing watches its deploys and bakes, so nothing rolls back by itself`}},
		{"datapoints template", withKeys("    datapoints: 'sum({{.Target}'\n"),
			[]string{`4:17: error: pipelines.app.datapoints is not a valid template: template: query:1: bad character U+007D '}'`}},
		{"datapoints blank", withKeys("    datapoints: ' '\n"),
			[]string{`4:17: error: pipelines.app.datapoints must not be empty; leave it out to count no data points`}},
		{"override permission", withKeys("    overrides: {permission: owner}\n"),
			[]string{`4:29: error: pipelines.app.overrides.permission must be one of read, triage, write, maintain, admin; got "owner"`}},
		{"override permission case", withKeys("    overrides: {permission: Admin}\n"),
			[]string{`4:29: error: pipelines.app.overrides.permission must be one of read, triage, write, maintain, admin; got "Admin" (did you mean "admin"?)`}},

		// Best-practice warnings for production stages.
		{"production by name", stages("{name: prod-1, targets: [t], bake: 30m}"),
			[]string{
				`5:9: warning: production stage "prod-1" does not start each target with a one-box deploy (onebox: true) (production because its name starts with "prod"; set production: false if it is not)`,
				`5:44: warning: production stage "prod-1" bakes 30m, less than 1h (production because its name starts with "prod"; set production: false if it is not)`,
			}},
		{"production by name, declined", stages("{name: prod-1, targets: [t], bake: 30m, production: false}"), nil},
		{"production declared", stages("{name: beta, targets: [t], bake: 0s, production: true, onebox: false}"),
			[]string{
				`5:42: warning: production stage "beta" bakes 0s, less than 1h`,
				`5:72: warning: production stage "beta" does not start each target with a one-box deploy (onebox: true)`,
			}},
		{"production after approval", stages("{name: r, approval: {}}", "{name: eu, targets: [t], bake: 1h, onebox: true}"), nil},
		{"production done right", stages("{name: wave-1, targets: [t], bake: 1h, onebox: true}"), nil},

		// Several problems across pipelines, in file order.
		{"all problems reported, in order",
			"pipelines:\n  infra:\n    alarms: {queries: {q: up}}\n    stages: [{name: a, targets: [t], bake: 1d}]\n  app:\n    alarms: {queries: {q: up}}\n    branch: 2\n    stages: [{name: a, targets: [t], bake: 0s}]\n",
			[]string{
				`4:44: error: pipelines.infra.stages[0].bake: durations have no days; use hours: 24h for 1d`,
				`7:13: error: pipelines.app.branch must be a string, got number 2`,
				`8:34: error: target "t" is already in stage "a" of pipeline "infra" (line 4); a target belongs to one stage of one pipeline`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, diags := parseYAML(t, tc.yaml)
			if got := lines(diags); !slices.Equal(got, tc.want) {
				t.Errorf("diagnostics of\n%s\ngot:\n  %s\nwant:\n  %s", tc.yaml, strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if diags.HasErrors() != (ps == nil) {
				t.Errorf("HasErrors=%v but %d pipelines: pipelines must be returned exactly when there are no errors", diags.HasErrors(), len(ps))
			}
		})
	}
}

// manyInputs writes n inputs as the entries of a flow mapping.
func manyInputs(n int) string {
	entries := make([]string, n)
	for i := range entries {
		entries[i] = fmt.Sprintf("I%d: x", i)
	}
	return strings.Join(entries, ", ")
}
