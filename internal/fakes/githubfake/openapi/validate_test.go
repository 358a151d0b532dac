package openapi

import (
	"encoding/json"
	"strings"
	"testing"
)

func mustOp(t testing.TB, s *Spec, key string) *Operation {
	t.Helper()
	op, ok := s.ops[key]
	if !ok {
		t.Fatalf("no operation %s", key)
	}
	return op
}

const validCheckRun = `{
	"name": "wavegate/production",
	"head_sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
	"status": "in_progress",
	"started_at": "2024-05-01T10:00:00Z",
	"details_url": "https://wavegate.example/releases/7",
	"external_id": "release-7",
	"output": {
		"title": "Wave 2 of 4",
		"summary": "Baking",
		"annotations": [
			{"path": "README.md", "start_line": 1, "end_line": 1, "annotation_level": "notice", "message": "hi"}
		]
	},
	"actions": [{"label": "Halt", "description": "Stop the rollout", "identifier": "halt"}]
}`

func TestValidateRequestBody(t *testing.T) {
	s := mustLoad(t)
	const (
		createRun  = "POST /repos/{owner}/{repo}/check-runs"
		updateRun  = "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}"
		deploy     = "POST /repos/{owner}/{repo}/deployments"
		reaction   = "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"
		token      = "POST /app/installations/{installation_id}/access_tokens"
		delComment = "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}"
		status     = "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses"
	)
	tests := []struct {
		name, op, body string
		want           string // exact error; "" for valid
	}{
		{"valid create check run", createRun, validCheckRun, ""},
		{"minimal create check run", createRun, `{"name":"n","head_sha":"abc"}`, ""},
		{"missing name", createRun, `{"head_sha":"abc"}`, "$.name: required property is missing"},
		{"missing both", createRun, `{}`, "$.name: required property is missing\n$.head_sha: required property is missing"},
		{"bad enum", createRun,
			`{"name":"n","head_sha":"a","output":{"title":"t","summary":"s","annotations":[` +
				strings.Repeat(`{"path":"p","start_line":1,"end_line":1,"annotation_level":"notice","message":"m"},`, 3) +
				`{"path":"p","start_line":1,"end_line":1,"annotation_level":"bad","message":"m"}]}}`,
			`$.output.annotations[3].annotation_level: value "bad" not in enum [notice warning failure]`},
		{"wrong type", createRun, `{"name":42,"head_sha":"abc"}`, "$.name: want string, got integer"},
		{"float for integer", createRun,
			`{"name":"n","head_sha":"a","output":{"title":"t","summary":"s","annotations":[{"path":"p","start_line":1.5,"end_line":1,"annotation_level":"notice","message":"m"}]}}`,
			"$.output.annotations[0].start_line: want integer, got number"},
		{"1.0 is an integer", createRun,
			`{"name":"n","head_sha":"a","output":{"title":"t","summary":"s","annotations":[{"path":"p","start_line":1.0,"end_line":1e0,"annotation_level":"notice","message":"m"}]}}`,
			""},
		{"body not an object", createRun, `[]`, "$: want object, got array"},
		{"null body where one is required", createRun, `null`, "$: want object, got null"},
		{"empty body where one is required", createRun, ``, "POST /repos/{owner}/{repo}/check-runs requires a request body"},
		{"not JSON", createRun, `{"name":`, "request body is not JSON: unexpected EOF"},
		{"trailing data", createRun, `{"name":"n","head_sha":"a"} {}`, "request body is not JSON: trailing data after the JSON value"},
		{"unknown property allowed", createRun, `{"name":"n","head_sha":"a","wavegate":true}`, ""},
		{"too many actions and too long a label", createRun,
			`{"name":"n","head_sha":"a","actions":[` + strings.Repeat(`{"label":"l","description":"d","identifier":"i"},`, 3) +
				`{"label":"123456789012345678901","description":"d","identifier":"i"}]}`,
			"$.actions: 4 items, more than maxItems 3\n$.actions[3].label: length 21 is more than maxLength 20"},
		{"maxLength counts characters", createRun,
			`{"name":"n","head_sha":"a","actions":[{"label":"` + strings.Repeat("é", 20) + `","description":"d","identifier":"i"}]}`, ""},

		// anyOf: a completed run needs a conclusion.
		{"update in progress", updateRun, `{"name":"n","status":"in_progress"}`, ""},
		{"update completed", updateRun, `{"status":"completed","conclusion":"success","completed_at":"2024-05-01T10:00:00Z"}`, ""},
		{"update completed without conclusion", updateRun, `{"status":"completed"}`,
			`$: matches no anyOf alternative: [0] $.conclusion: required property is missing | [1] $.status: value "completed" not in enum [queued in_progress]`},

		// nullable and oneOf in create deployment.
		{"deployment", deploy, `{"ref":"main","auto_merge":false,"required_contexts":[],"payload":{"release":7},"description":null}`, ""},
		{"deployment payload as string", deploy, `{"ref":"main","payload":"{\"release\":7}"}`, ""},
		{"deployment payload neither", deploy, `{"ref":"main","payload":7}`,
			"$.payload: matches no oneOf alternative: [0] $.payload: want object, got integer | [1] $.payload: want string, got integer"},
		{"null where not nullable", deploy, `{"ref":null}`, "$.ref: want string, got null"},
		{"deployment status", status, `{"state":"success","description":"` + strings.Repeat("x", 140) + `"}`, ""},

		{"reaction", reaction, `{"content":"rocket"}`, ""},
		{"reaction enum", reaction, `{"content":"tada"}`, `$.content: value "tada" not in enum [+1 -1 laugh confused heart hooray rocket eyes]`},

		// Optional body: absent, null (go-github's nil options) or present.
		{"token without body", token, ``, ""},
		{"token with null", token, "null\n", ""},
		{"token with repositories", token, `{"repositories":["api"],"permissions":{"checks":"write"}}`, ""},
		{"token with bad permission", token, `{"permissions":{"checks":"admin"}}`, `$.permissions.checks: value "admin" not in enum [read write]`},

		// No request body at all.
		{"delete without body", delComment, ``, ""},
		{"delete with {}", delComment, ` {} `, ""},
		{"delete with null", delComment, `null`, ""},
		{"delete with a body", delComment, `{"x":1}`, "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id} takes no request body, got 7 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mustOp(t, s, tt.op).ValidateRequestBody([]byte(tt.body))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error:\n%v", err)
			case tt.want != "" && err == nil:
				t.Errorf("no error, want:\n%s", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Errorf("error:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
}

// The keywords the subset does not happen to use today, on hand-made schemas.
func TestValidateKeywords(t *testing.T) {
	components := map[string]string{
		"node":  `{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/components/schemas/node"}}}}`,
		"alias": `{"$ref":"#/components/schemas/node"}`,
	}
	tests := []struct {
		name, schema, value, want string
	}{
		{"type array", `{"type":["string","null"]}`, `null`, ""},
		{"type array mismatch", `{"type":["string","null"]}`, `1`, "$: want string or null, got integer"},
		{"nullable skips enum", `{"type":"string","enum":["a"],"nullable":true}`, `null`, ""},
		{"enum without type", `{"enum":["a",1,null]}`, `1.0`, ""},
		{"enum numbers", `{"enum":[1,2]}`, `3`, "$: value 3 not in enum [1 2]"},
		{"minItems", `{"type":"array","minItems":1}`, `[]`, "$: 0 items, fewer than minItems 1"},
		{"minLength", `{"type":"string","minLength":2}`, `"a"`, "$: length 1 is less than minLength 2"},
		{"minimum", `{"type":"integer","minimum":1}`, `0`, "$: 0 is below the minimum 1"},
		{"maximum", `{"type":"number","maximum":1.5}`, `2`, "$: 2 is above the maximum 1.5"},
		{"exclusive minimum", `{"type":"number","minimum":1,"exclusiveMinimum":true}`, `1`, "$: 1 is below the minimum 1 (exclusive)"},
		{"within bounds", `{"type":"number","minimum":1,"maximum":1}`, `1`, ""},
		{"additionalProperties false", `{"type":"object","properties":{"a":{}},"additionalProperties":false}`, `{"a":1,"b":2,"+1":3}`,
			"$[\"+1\"]: property not allowed (additionalProperties is false)\n$.b: property not allowed (additionalProperties is false)"},
		{"additionalProperties schema", `{"type":"object","additionalProperties":{"type":"string"}}`, `{"a":"x","b":2}`, "$.b: want string, got integer"},
		{"allOf", `{"allOf":[{"required":["a"]},{"required":["b"]}]}`, `{}`, "$.a: required property is missing\n$.b: required property is missing"},
		{"oneOf ambiguous", `{"oneOf":[{"type":"integer"},{"type":"number"}]}`, `1`, "$: matches oneOf alternatives [0 1], want exactly one"},
		{"oneOf exactly one", `{"oneOf":[{"type":"integer"},{"type":"string"}]}`, `1`, ""},
		{"anyOf", `{"anyOf":[{"type":"integer"},{"type":"number"}]}`, `1`, ""},
		{"recursive ref", `{"$ref":"#/components/schemas/alias"}`, `{"name":"a","children":[{"name":"b","children":[{"name":3}]}]}`,
			"$.children[0].children[0].name: want string, got integer"},
		{"ref siblings ignored", `{"$ref":"#/components/schemas/node","type":"string"}`, `{}`, ""},
		{"unknown keywords ignored", `{"type":"string","format":"date-time","pattern":"^x$","x-github":{}}`, `"2024"`, ""},
		{"long value cut short", `{"enum":["a"]}`, `"` + strings.Repeat("é", 100) + `"`,
			`$: value "` + strings.Repeat("é", 39) + `… not in enum [a]`},
	}
	raw := map[string]json.RawMessage{}
	for k, v := range components {
		raw[k] = json.RawMessage(v)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newCompiler(raw).compile(json.RawMessage(tt.schema))
			if err != nil {
				t.Fatal(err)
			}
			val, err := decodeValue([]byte(tt.value))
			if err != nil {
				t.Fatal(err)
			}
			var v validation
			v.check(s, val, "$")
			got := ""
			if err := v.err(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestValidateCapsProblems(t *testing.T) {
	s, err := newCompiler(nil).compile(json.RawMessage(`{"type":"array","items":{"type":"string"}}`))
	if err != nil {
		t.Fatal(err)
	}
	val, _ := decodeValue([]byte("[" + strings.TrimSuffix(strings.Repeat("1,", 25), ",") + "]"))
	var v validation
	v.check(s, val, "$")
	lines := strings.Split(v.err().Error(), "\n")
	if len(lines) != maxProblems+1 || lines[maxProblems] != "(and 5 more)" {
		t.Errorf("got %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestCompileErrors(t *testing.T) {
	raw := map[string]json.RawMessage{
		"a": json.RawMessage(`{"$ref":"#/components/schemas/b"}`),
		"b": json.RawMessage(`{"$ref":"#/components/schemas/a"}`),
	}
	for _, schema := range []string{
		`{"$ref":"#/components/schemas/a"}`,
		`{"$ref":"#/components/schemas/missing"}`,
		`{"$ref":"https://example.com/schema.json"}`,
		`{"type":7}`,
		`{"properties":{"x":{"type":[1]}}}`,
	} {
		if _, err := newCompiler(raw).compile(json.RawMessage(schema)); err == nil {
			t.Errorf("compile(%s): no error", schema)
		}
	}
}

func TestIsInteger(t *testing.T) {
	for n, want := range map[string]bool{
		"0": true, "-0": true, "0.0": true, "0e-5": true, "1": true, "-17": true, "1.0": true, "1.50": false,
		"1e2": true, "1.5e1": true, "1.25e1": false, "100e-2": true, "100e-3": false, "1E+2": true,
		"1e-1": false, "12345678901234567890.000": true, "1e99999999999999999999": true,
		"1e-99999999999999999999": false, "0.1": false,
	} {
		if got := isInteger(n); got != want {
			t.Errorf("isInteger(%s) = %v, want %v", n, got, want)
		}
	}
}
