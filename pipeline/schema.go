package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// Schema returns a JSON Schema (draft 2020-12) of the whole wavegate.yml,
// for editors: review:, pipelines: and policies: (the last kept open, as its
// rules are not defined yet). It uses the parser's own patterns and key
// lists, so that what an editor accepts is what Parse accepts, except the
// rules a schema cannot say (unique stage names and targets, durations
// above zero), which only `wavegate validate` checks. The committed copy is
// docs/wavegate.schema.json.
func Schema() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// Descriptions mention <owner>/.github; HTML escaping would garble them.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(schemaDoc()); err != nil {
		panic("pipeline: the schema cannot be encoded: " + err.Error()) // static data: a programming error
	}
	return b.Bytes()
}

type object = map[string]any

func schemaDoc() object {
	return object{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  "https://raw.githubusercontent.com/wavegate/wavegate/main/docs/wavegate.schema.json",
		"title":                "Wavegate configuration",
		"description":          "Wavegate's configuration as code: .github/wavegate.yml in a repository, merged over wavegate.yml in the organization's <owner>/.github repository. Unknown keys are errors.",
		"type":                 []string{"object", "null"},
		"additionalProperties": false,
		"properties": object{
			"review":    reviewSchema(),
			"pipelines": pipelinesSchema(),
			"windows":   windowsSchema(true),
			"alarms":    alarmsSchema(true),
			"policies": object{
				"description": "Best-practice rules checked against every pipeline (such as \"each production wave starts one-box\"), each with mode: warn | enforce, an optional enforce_from date before which it only warns, and exempt: entries (repository, until, reason). Read only from the organization's wavegate.yml.",
				"type":        []string{"object", "null"},
			},
		},
		"$defs": object{
			"name": object{
				"description": "Lower-case letters, digits, \"-\" and \"_\": names are typed in commands such as /deploy approve wave-1.",
				"type":        "string",
				"pattern":     namePattern,
				"maxLength":   maxNameLen,
			},
			"duration": object{
				"description": "A duration: whole numbers with units ns, us, ms, s, m, h, such as 0s, 10m, 1h30m, 168h. There is no day unit.",
				"type":        "string",
				"pattern":     durationPattern,
			},
			"glob": object{
				"description": "A path glob relative to the repository root: * within a path segment, ** across segments, ? one character; a leading ! excludes.",
				"type":        "string",
				"minLength":   1,
			},
			"permission": object{
				"enum": permissionNames(),
			},
			"pipeline": pipelineSchema(),
			"freezeTime": object{
				"description": "A date (2026-12-20, a whole day in the windows' zone), a local date and time (\"2026-12-20 18:00\") or an RFC 3339 time (2026-12-20T18:00:00-08:00).",
				"type":        "string",
				"pattern":     freezeTimePattern(),
			},
			"stage": stageSchema(),
		},
	}
}

func reviewSchema() object {
	return object{
		"description":          "The review gate: the wavegate/review check run on every pull request.",
		"type":                 []string{"object", "null"},
		"additionalProperties": false,
		"properties": object{
			"approvals": object{
				"description": "Approving reviews needed from people other than the author.",
				"type":        "integer",
				"minimum":     0,
				"maximum":     10,
				"default":     1,
			},
			"approver_permission": object{
				"description": "The least repository role whose approval counts: read | triage | write | maintain | admin.",
				"$ref":        "#/$defs/permission",
				"default":     "write",
			},
			"stale_approvals": object{
				"description": "dismiss: approvals of an older head commit don't count; keep: they do.",
				"enum":        []string{"dismiss", "keep"},
				"default":     "dismiss",
			},
			"checklist": object{
				"description": "Items that must each be ticked (\"- [x] ...\") in the pull request's description.",
				"type":        "array",
				"items":       object{"type": "string", "minLength": 1},
			},
			"checklist_skip_paths": object{
				"description": "A pull request touching only these paths needs no checklist.",
				"type":        "array",
				"items":       object{"$ref": "#/$defs/glob"},
			},
			"block_on_changes_requested": object{
				"description": "Changes requested by an eligible reviewer block until that reviewer approves or the review is dismissed.",
				"type":        "boolean",
				"default":     true,
			},
		},
	}
}

func pipelinesSchema() object {
	return object{
		"description":          "Pipelines by name: ordered stages a push to the deployment branch walks through, each pipeline selected by the paths a push touches.",
		"type":                 []string{"object", "null"},
		"propertyNames":        object{"$ref": "#/$defs/name"},
		"additionalProperties": object{"$ref": "#/$defs/pipeline"},
	}
}

func pipelineSchema() object {
	return object{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"stages"},
		"properties": object{
			"branch": object{
				"description": "The deployment branch. Default: the repository's default branch.",
				"type":        "string",
				"minLength":   1,
			},
			"paths": object{
				"description": "Globs of the files whose changes release through this pipeline; \"!\" excludes and the last matching glob decides. Default: [\"**\"].",
				"type":        "array",
				"minItems":    1,
				"items":       object{"$ref": "#/$defs/glob"},
				"default":     defaultPaths(),
			},
			"deployer": object{
				"description": "github creates a GitHub deployment per step; {command: NAME} runs the program that Wavegate's operator defines under that name in Wavegate's own config file (deployers:), exit 0 being success, with WAVEGATE_RELEASE, WAVEGATE_STAGE, WAVEGATE_TARGET, WAVEGATE_ACTION, WAVEGATE_VARIANT, WAVEGATE_SHA, WAVEGATE_PREVIOUS_SHA and each input as WAVEGATE_INPUT_<NAME>; {workflow: deploy.yml} runs a GitHub Actions workflow (not available yet). A repository never gives the program itself.",
				"default":     "github",
				"oneOf": []any{
					object{"const": "github"},
					object{
						"type":                 "object",
						"additionalProperties": false,
						"required":             []string{"command"},
						"properties": object{
							"command": object{
								"description": "The name of a deployer that Wavegate's operator defines in Wavegate's config file (deployers:); `wavegate validate --server-config FILE` checks that it exists.",
								"$ref":        "#/$defs/name",
							},
							"inputs": object{
								"description":   fmt.Sprintf("Values for the deployer, passed as data: each becomes the environment variable WAVEGATE_INPUT_<NAME>, never an argument. Names are upper-case letters, digits and _; values are strings of at most %d characters; at most %d inputs.", maxInputLen, maxInputs),
								"type":          []string{"object", "null"},
								"maxProperties": maxInputs,
								"propertyNames": object{"pattern": inputKeyPattern, "maxLength": maxInputKeyLen},
								"additionalProperties": object{
									"type":      "string",
									"maxLength": maxInputLen,
								},
							},
						},
					},
					object{
						"type":                 "object",
						"additionalProperties": false,
						"required":             []string{"workflow"},
						"properties": object{"workflow": object{
							"description": "A workflow file name in .github/workflows.",
							"type":        "string",
							"pattern":     `^[^/]+\.ya?ml$`,
						}},
					},
				},
			},
			"deploy_timeout": object{
				"description": "A deploy that reports nothing within this time fails. Default: 30m.",
				"$ref":        "#/$defs/duration",
				"default":     formatDuration(DefaultDeployTimeout),
			},
			"slack_channel": object{
				"description": "The Slack channel (\"#deploys\" or a channel ID) where each release has one message kept up to date.",
				"type":        "string",
				"pattern":     slackChannelPattern,
			},
			"windows": windowsSchema(false),
			"alarms":  alarmsSchema(false),
			"datapoints": object{
				"description": "A Prometheus query template ({{.Target}}, {{.Stage}}, {{.SHA}}, {{.Since}}, {{.Variant}}) counting the successful requests the new version served since the step's deploy finished; a bake of a stage with min_datapoints ends only when both its time and its data points are reached. No data is not zero: the bake keeps waiting.",
				"type":        "string",
				"minLength":   1,
				"maxLength":   maxQueryLen,
			},
			"datapoints_timeout": object{
				"description": fmt.Sprintf("How long after its deploy finished a bake may wait for its stage's min_datapoints; then the release fails in that stage and is rolled back. Default: %d × the stage's bake.", DatapointsTimeoutBakes),
				"$ref":        "#/$defs/duration",
			},
			"overrides": object{
				"type":                 []string{"object", "null"},
				"additionalProperties": false,
				"properties": object{"permission": object{
					"description": "The least repository role that may override blockers, roll back, pause, resume and block commits. Default: maintain.",
					"$ref":        "#/$defs/permission",
					"default":     DefaultOverridePermission.String(),
				}},
			},
			"stages": object{
				"description": "The stages, in order: deploying stages (targets) and manual approvals (approval).",
				"type":        "array",
				"minItems":    1,
				"items":       object{"$ref": "#/$defs/stage"},
			},
		},
	}
}

func stageSchema() object {
	notInApproval := object{}
	for _, k := range deployKeys() {
		notInApproval[k] = false
	}
	return object{
		"description":          "A stage deploys to its targets or, with approval, waits for a manual approval.",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"name"},
		"properties": object{
			"name": object{"$ref": "#/$defs/name"},
			"targets": object{
				"description": "GitHub environment names, deployed in this order.",
				"type":        "array",
				"minItems":    1,
				"items": object{
					"type":      "string",
					"minLength": 1,
					"maxLength": maxTargetLen,
					"pattern":   targetPattern,
				},
			},
			"parallel": object{
				"description": "The most targets deployed at once. Default: 1.",
				"type":        "integer",
				"minimum":     1,
				"maximum":     maxParallel,
				"default":     DefaultParallel,
			},
			"onebox": object{
				"description": "Deploy each target to a single host first and bake it, before the full target.",
				"type":        "boolean",
				"default":     false,
			},
			"bake": object{
				"description": "How long each deploy must stay healthy, alarms watched, before the next step; 0s moves on as soon as the deploy succeeds. Required for deploying stages.",
				"$ref":        "#/$defs/duration",
			},
			"min_datapoints": object{
				"description": "Successful requests (the pipeline's datapoints query) each step must have served before its bake ends; no data is not zero. Not reached within the pipeline's datapoints_timeout after the step's deploy finished, the release fails in the stage.",
				"type":        "integer",
				"minimum":     0,
				"maximum":     maxMinDatapoints,
			},
			"production": object{
				"description": "A production stage (GitHub's production_environment). Default: true after the first approval stage and for names starting with \"wave\" or \"prod\".",
				"type":        "boolean",
			},
			"approval": object{
				"description":          "Makes this stage a manual approval: /deploy approve from an approver.",
				"type":                 []string{"object", "null"},
				"additionalProperties": false,
				"properties": object{
					"approvers": object{
						"description": "GitHub logins and teams (@org/team) who may approve. Default: anyone with write permission.",
						"type":        "array",
						"minItems":    1,
						"items":       object{"type": "string", "pattern": approverPattern},
					},
					"allow_authors": object{
						"description": "Let the release's own authors approve it. Default: false, someone who did not write it must.",
						"type":        "boolean",
						"default":     false,
					},
					"timeout": object{
						"description": "Not approved within this time, the release fails here. Default: 168h (7 days).",
						"$ref":        "#/$defs/duration",
						"default":     formatDuration(DefaultApprovalTimeout),
					},
				},
			},
		},
		"if":   object{"required": []string{"approval"}},
		"then": object{"properties": notInApproval},
		"else": object{"required": []string{"targets", "bake"}},
	}
}

// windowsSchema is a pipeline's windows: or, org, the organization file's,
// which has no stages:.
func windowsSchema(org bool) object {
	description := "When deploys of the production stages (or of stages:) may start: inside an allow window and outside every freeze. A deploy already started finishes and bakes; rollbacks are never held. /deploy override window|freeze lifts them for one release."
	if org {
		description = "Read only from the organization's wavegate.yml: windows and freezes for the production stages of every pipeline of the organization. Their freezes apply beside each pipeline's own; their allow list applies where a pipeline's own windows give none."
	}
	s := object{
		"description":          description,
		"type":                 []string{"object", "null"},
		"additionalProperties": false,
		"properties": object{
			"timezone": object{
				"description": "The IANA time zone of allow and of the freezes' local dates, such as America/Los_Angeles. Default: UTC.",
				"type":        "string",
				"minLength":   1,
				"default":     "UTC",
			},
			"allow": object{
				"description": "Windows when deploys may start, such as \"Mon-Thu 09:00-17:00\", \"Sat 22:00-02:00\" (across midnight), \"Mon-Fri\" (all day) or \"daily 08:00-18:00\". 24:00 may end a window. Default: any time.",
				"type":        "array",
				"minItems":    1,
				"maxItems":    maxAllow,
				"items":       object{"type": "string", "pattern": windowPattern()},
			},
			"freeze": object{
				"description": "Periods when no deploy starts.",
				"type":        "array",
				"maxItems":    maxFreezes,
				"items": object{
					"type":                 "object",
					"additionalProperties": false,
					"required":             freezeKeys(),
					"properties": object{
						"from": object{"description": "The start: a date starts at its midnight.", "$ref": "#/$defs/freezeTime"},
						"to":   object{"description": "The end: a date is included whole; a date and time is the instant the freeze lifts.", "$ref": "#/$defs/freezeTime"},
						"reason": object{
							"description": "Why: what every deploy the freeze holds reports.",
							"type":        "string",
							"minLength":   1,
							"maxLength":   maxFreezeReason,
						},
					},
				},
			},
		},
	}
	if !org {
		s["properties"].(object)["stages"] = object{
			"description": "The stages the windows and freezes hold. Default: the production stages.",
			"type":        "array",
			"minItems":    1,
			"items":       object{"$ref": "#/$defs/name"},
		}
	}
	return s
}

// windowPattern is ParseWindow's grammar as a regular expression (ECMA
// 262, which has no case-insensitive group: each letter is a class).
func windowPattern() string {
	anyCase := func(word string) string {
		var b strings.Builder
		for _, c := range word {
			fmt.Fprintf(&b, "[%c%c]", unicode.ToUpper(c), unicode.ToLower(c))
		}
		return b.String()
	}
	var days []string
	for _, d := range mondayFirst {
		days = append(days, anyCase(dayName(d)))
	}
	day := "(" + strings.Join(days, "|") + ")"
	part := day + "(-" + day + ")?"
	clock := "([01][0-9]|2[0-3]):[0-5][0-9]"
	return `^\s*(` + anyCase("daily") + "|" + part + "(," + part + ")*)" + `(\s+` + clock + "-(" + clock + "|24:00))?" + `\s*$`
}

func freezeTimePattern() string {
	return `^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}|T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$`
}
