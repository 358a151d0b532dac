package pipeline

import "fmt"

// alarmsSchema is a pipeline's alarms: or, org, the organization file's,
// which only matches alerts.
func alarmsSchema(org bool) object {
	description := "What is watched while each target deploys and bakes: Alertmanager alerts this pipeline claims (match), Prometheus queries that fire when their result is not empty (queries), and values compared with their baseline (compare). An alarm holds a deploy from starting; one firing during a deploy or bake fails the release in that stage and rolls it back. /deploy override alarm lifts them for one release."
	if org {
		description = "Read only from the organization's wavegate.yml: Alertmanager alerts that concern every pipeline of the organization (org-wide alarms). They hold deploys and roll back releases as a pipeline's own alarms do. Queries and compare belong to each pipeline's alarms."
	}
	props := object{
		"match": object{
			"description":   "Alertmanager alerts with all these labels are this pipeline's: a value is equality (service: api), a value written \"=~REGEX\" a regular expression anchored at both ends (service: \"=~api|web\"). Without match, no alert is.",
			"type":          []string{"object", "null"},
			"maxProperties": maxMatchers,
			"propertyNames": object{"pattern": labelPattern},
			"additionalProperties": object{
				"type":      "string",
				"maxLength": maxLabelValueLen + 2,
				"not":       object{"pattern": "^!"},
			},
		},
		"target_label": object{
			"description": "The label whose value names a target; an alert without it concerns every target. Default: target.",
			"type":        "string",
			"pattern":     labelPattern,
			"default":     DefaultTargetLabel,
		},
		"resolve_timeout": object{
			"description": "Alertmanager's resolve_timeout: an alert not refreshed for twice this is treated as resolved. Default: 5m.",
			"$ref":        "#/$defs/duration",
			"default":     formatDuration(DefaultResolveTimeout),
		},
	}
	if !org {
		template := fmt.Sprintf("A PromQL template; it may use %s.", fieldsRule())
		props["interval"] = object{
			"description": "How often queries and compare are evaluated while a target deploys or bakes (and once before each deploy starts); at least 1s, at most 1h. Default: 15s.",
			"$ref":        "#/$defs/duration",
			"default":     formatDuration(DefaultAlarmInterval),
		}
		props["error_limit"] = object{
			"description": "How many consecutive errors of a query hold deploys (with the error as the reason) until it answers again. Default: 3.",
			"type":        "integer",
			"minimum":     1,
			"maximum":     maxErrorLimit,
			"default":     DefaultErrorLimit,
		}
		props["queries"] = object{
			"description":   "Alarms by name (the name rule of stages): each fires on a target when its query's result is not empty. " + template,
			"type":          []string{"object", "null"},
			"maxProperties": maxAlarmQueries,
			"propertyNames": object{"$ref": "#/$defs/name"},
			"additionalProperties": object{
				"type":      "string",
				"minLength": 1,
				"maxLength": maxQueryLen,
			},
		}
		props["compare"] = object{
			"description": "Values compared during the bake with the same query over the hour before the deploy started (or, for a one-box step whose template uses {{.Variant}}, the rest of the target).",
			"type":        []string{"array", "null"},
			"maxItems":    maxCompares,
			"items": object{
				"type":                 "object",
				"additionalProperties": false,
				"required":             []string{"query"},
				"anyOf":                []any{object{"required": []string{"max_ratio"}}, object{"required": []string{"min_ratio"}}},
				"properties": object{
					"name":      object{"description": "The alarm's name in reports. Default: compare[N].", "$ref": "#/$defs/name"},
					"query":     object{"description": template, "type": "string", "minLength": 1, "maxLength": maxQueryLen},
					"max_ratio": object{"description": "Fires when the value exceeds the baseline times this (above 1; 3 for three times normal).", "type": "number", "exclusiveMinimum": 1},
					"min_ratio": object{"description": "Fires when the value falls under the baseline times this (between 0 and 1; 0.5 for half of normal).", "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
				},
			},
		}
	}
	return object{
		"description":          description,
		"type":                 []string{"object", "null"},
		"additionalProperties": false,
		"properties":           props,
	}
}
