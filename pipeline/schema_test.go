package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wavegate/wavegate/config"
	"go.yaml.in/yaml/v3"
)

func TestSchemaFileIsCurrent(t *testing.T) {
	committed, err := os.ReadFile("../docs/wavegate.schema.json")
	if err != nil {
		t.Fatalf("%v; run go run ./cmd/wavegate schema > docs/wavegate.schema.json", err)
	}
	if !bytes.Equal(committed, Schema()) {
		t.Fatal("docs/wavegate.schema.json is out of date: run go run ./cmd/wavegate schema > docs/wavegate.schema.json")
	}
}

func decodeSchema(t *testing.T) map[string]any {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// dig walks a decoded schema by keys.
func dig(t *testing.T, v any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("schema: no object at %q", k)
		}
		v = m[k]
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("schema: %v is not an object", keys)
	}
	return m
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// The schema's key lists are the parser's, so that a key added to one and
// not the other fails here.
func TestSchemaKeysMatchParser(t *testing.T) {
	s := decodeSchema(t)
	for _, tc := range []struct {
		name   string
		schema []string
		parser []string
	}{
		{"pipeline", sortedKeys(dig(t, s, "$defs", "pipeline", "properties")), pipelineKeys()},
		{"stage", sortedKeys(dig(t, s, "$defs", "stage", "properties")), stageKeys()},
		{"approval", sortedKeys(dig(t, s, "$defs", "stage", "properties", "approval", "properties")), approvalKeys()},
		{"windows", sortedKeys(dig(t, s, "$defs", "pipeline", "properties", "windows", "properties")), windowsKeys()},
		{"freeze", sortedKeys(dig(t, s, "$defs", "pipeline", "properties", "windows", "properties", "freeze", "items", "properties")), freezeKeys()},
		{"overrides", sortedKeys(dig(t, s, "$defs", "pipeline", "properties", "overrides", "properties")), overridesKeys()},
		{"approval stage", sortedKeys(dig(t, s, "$defs", "stage", "then", "properties")), deployKeys()},
		{"top level", sortedKeys(dig(t, s, "properties")), []string{"review", "pipelines", "policies", "windows", "alarms"}},
		{"alarms", sortedKeys(dig(t, s, "$defs", "pipeline", "properties", "alarms", "properties")), alarmsKeys()},
		{"compare", sortedKeys(dig(t, s, "$defs", "pipeline", "properties", "alarms", "properties", "compare", "items", "properties")), compareKeys()},
		{"organization alarms", sortedKeys(dig(t, s, "properties", "alarms", "properties")), orgAlarmsKeys()},
		{"organization windows", sortedKeys(dig(t, s, "properties", "windows", "properties")), slices.DeleteFunc(windowsKeys(), func(k string) bool { return k == "stages" })},
	} {
		if want := slices.Sorted(slices.Values(tc.parser)); !slices.Equal(tc.schema, want) {
			t.Errorf("%s keys: schema %q, parser %q", tc.name, tc.schema, want)
		}
	}
	var deployerKeysInSchema []string
	for _, alt := range dig(t, s, "$defs", "pipeline", "properties", "deployer")["oneOf"].([]any) {
		if props, ok := alt.(map[string]any)["properties"].(map[string]any); ok {
			deployerKeysInSchema = append(deployerKeysInSchema, sortedKeys(props)...)
		}
	}
	if !slices.Equal(deployerKeysInSchema, deployerKeys()) {
		t.Errorf("deployer keys: schema %q, parser %q", deployerKeysInSchema, deployerKeys())
	}

	// review: belongs to package config, which lists its keys when it meets
	// an unknown one.
	_, diags := config.Parse(testFile, []byte("review:\n  colour: red\n"))
	_, known, ok := strings.Cut(diags.Error(), "(known keys: ")
	if !ok {
		t.Fatalf("config did not list its review keys: %v", diags)
	}
	configKeys := strings.Split(strings.TrimSuffix(known, ")"), ", ")
	slices.Sort(configKeys)
	if schemaKeys := sortedKeys(dig(t, s, "properties", "review", "properties")); !slices.Equal(schemaKeys, configKeys) {
		t.Errorf("review keys: schema %q, config %q", schemaKeys, configKeys)
	}
}

func TestDesignExampleMatchesSchema(t *testing.T) {
	v := newValidator(t)
	if errs := v.validate(t, readDesignExample(t)); len(errs) > 0 {
		t.Errorf("the design example does not match the schema:\n  %s", strings.Join(errs, "\n  "))
	}
}

// Where a schema can say a rule, the schema and the parser agree on it.
func TestSchemaAgreesWithParser(t *testing.T) {
	v := newValidator(t)
	for _, tc := range []struct {
		name  string
		yaml  string
		valid bool
	}{
		{"empty file", "", true},
		{"empty sections", "review:\npipelines:\npolicies:\n", true},
		{"minimal", stages("{name: a, targets: [t], bake: 0s}"), true},
		{"approval null", stages("{name: r, approval: }", "{name: a, targets: [t], bake: 0s}"), true},
		{"alarms null", "pipelines:\n  app:\n    alarms:\n    stages: [{name: a, targets: [t], bake: 0s}]\n", true},
		{"every key", withKeys("    branch: main\n    paths: ['**']\n    deployer: {command: d, inputs: {A: x}}\n    deploy_timeout: 1h\n    slack_channel: '#d'\n    windows: {}\n    datapoints: x\n    overrides: {permission: admin}\n"), true},
		{"unknown stage key", stages("{name: a, targets: [t], bake: 0s, bakee: 1m}"), false},
		{"unknown pipeline key", withKeys("    brnch: main\n"), false},
		{"unknown top-level key", "deploy: {}\n", false},
		{"approval with targets", stages("{name: r, approval: {}, targets: [t]}", "{name: a, targets: [u], bake: 0s}"), false},
		{"missing bake", stages("{name: a, targets: [t]}"), false},
		{"missing targets", stages("{name: a, bake: 0s}"), false},
		{"missing name", stages("{targets: [t], bake: 0s}"), false},
		{"no stages", "pipelines:\n  app: {alarms: {queries: {q: up}}}\n", false},
		{"empty stages", "pipelines:\n  app: {stages: []}\n", false},
		{"days", stages("{name: a, targets: [t], bake: 1d}"), false},
		{"fraction", stages("{name: a, targets: [t], bake: 1.5h}"), false},
		{"number bake", stages("{name: a, targets: [t], bake: 10}"), false},
		{"permission", withKeys("    overrides: {permission: owner}\n"), false},
		{"command string", withKeys("    deployer: {command: ./d}\n"), false},
		{"command argv", withKeys("    deployer: {command: [./d]}\n"), false},
		{"command name", withKeys("    deployer: {command: blue}\n"), true},
		{"command and workflow", withKeys("    deployer: {command: d, workflow: d.yml}\n"), false},
		{"inputs", withKeys("    deployer: {command: d, inputs: {CLUSTER: blue, FLAGS: '--fast'}}\n"), true},
		{"inputs null", withKeys("    deployer: {command: d, inputs: }\n"), true},
		{"input name", withKeys("    deployer: {command: d, inputs: {cluster: blue}}\n"), false},
		{"input number", withKeys("    deployer: {command: d, inputs: {N: 3}}\n"), false},
		{"inputs with a workflow", withKeys("    deployer: {workflow: d.yml, inputs: {A: x}}\n"), false},
		{"deployer word", withKeys("    deployer: command\n"), false},
		{"workflow path", withKeys("    deployer: {workflow: a/b.yml}\n"), false},
		{"parallel zero", stages("{name: a, targets: [t], bake: 0s, parallel: 0}"), false},
		{"stage name", stages("{name: Alpha, targets: [t], bake: 0s}"), false},
		{"pipeline name", "pipelines:\n  App: {stages: [{name: a, targets: [t], bake: 0s}]}\n", false},
		{"target slash", stages("{name: a, targets: [/t], bake: 0s}"), false},
		{"empty paths", withKeys("    paths: []\n"), false},
		{"slack without #", withKeys("    slack_channel: d\n"), false},
		{"approver without @", stages("{name: r, approval: {approvers: [acme/x]}}", "{name: a, targets: [t], bake: 0s}"), false},
		{"review approvals", "review: {approvals: 11}\n", false},
		{"review stale", "review: {stale_approvals: drop}\n", false},
		{"windows", withKeys("    windows: {timezone: Europe/Berlin, allow: ['Mon-Thu 09:00-17:00', 'sat 22:00-24:00', daily, 'Fri-Mon'], freeze: [{from: 2026-12-20, to: '2027-01-04 12:00', reason: x}, {from: '2026-12-01T10:00:00Z', to: '2026-12-01T11:30', reason: y}]}\n"), true},
		{"windows stages", windowsFile("allow: [Mon]", "stages: [alpha, wave-1]"), true},
		{"windows null", withKeys("    windows:\n"), true},
		{"windows key", withKeys("    windows: {timezon: UTC}\n"), false},
		{"window day", withKeys("    windows: {allow: [Monday]}\n"), false},
		{"window 24:00 start", withKeys("    windows: {allow: ['Mon 24:00-01:00']}\n"), false},
		{"window hour", withKeys("    windows: {allow: ['Mon 9:00-17:00']}\n"), false},
		{"window empty allow", withKeys("    windows: {allow: []}\n"), false},
		{"freeze reason", withKeys("    windows: {freeze: [{from: 2026-12-20, to: 2026-12-21}]}\n"), false},
		{"freeze key", withKeys("    windows: {freeze: [{from: 2026-12-20, to: 2026-12-21, reason: x, why: y}]}\n"), false},
		{"freeze time", withKeys("    windows: {freeze: [{from: '2026-12-20 6pm', to: 2026-12-21, reason: x}]}\n"), false},
		{"freeze seconds without zone", withKeys("    windows: {freeze: [{from: '2026-12-20T18:00:00', to: 2026-12-21, reason: x}]}\n"), false},
		{"windows stage name", withKeys("    windows: {allow: [Mon], stages: [Alpha]}\n"), false},
		{"review ok", "review: {approvals: 2, approver_permission: maintain, stale_approvals: keep, checklist: [a], checklist_skip_paths: [docs/**], block_on_changes_requested: false}\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schemaErrs := v.validate(t, []byte(tc.yaml))
			f, diags := config.Parse(testFile, []byte(tc.yaml))
			if f != nil {
				_, more := Parse(testFile, f.Pipelines)
				diags = append(diags, more...)
			}
			if parserOK := !diags.HasErrors(); parserOK != tc.valid {
				t.Errorf("parser: valid=%v, want %v: %v", parserOK, tc.valid, diags)
			}
			if schemaOK := len(schemaErrs) == 0; schemaOK != tc.valid {
				t.Errorf("schema: valid=%v, want %v: %q", schemaOK, tc.valid, schemaErrs)
			}
		})
	}
}

// validator checks a document against the subset of JSON Schema that
// Schema uses. It is small on purpose: enough to catch a schema that
// contradicts the parser, not a general implementation.
type validator struct {
	root map[string]any
	re   map[string]*regexp.Regexp
}

func newValidator(t *testing.T) *validator {
	return &validator{root: decodeSchema(t), re: map[string]*regexp.Regexp{}}
}

func (v *validator) validate(t *testing.T, data []byte) []string {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return v.check(v.root, doc, "$")
}

func (v *validator) check(schema, inst any, path string) []string {
	if b, ok := schema.(bool); ok {
		if !b {
			return []string{path + ": not allowed"}
		}
		return nil
	}
	s := schema.(map[string]any)
	var errs []string
	fail := func(format string) { errs = append(errs, path+": "+format) }
	if ref, ok := s["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/$defs/")
		if !found {
			return []string{path + ": unsupported $ref " + ref}
		}
		errs = append(errs, v.check(v.root["$defs"].(map[string]any)[name], inst, path)...)
	}
	if ty, ok := s["type"]; ok && !typeMatches(ty, inst) {
		return append(errs, path+": wrong type")
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return sameValue(x, inst) }) {
		fail("not in enum")
	}
	if c, ok := s["const"]; ok && !sameValue(c, inst) {
		fail("not the constant")
	}
	switch x := inst.(type) {
	case string:
		if p, ok := s["pattern"].(string); ok && !v.regexp(p).MatchString(x) {
			fail("does not match " + p)
		}
		if n, ok := s["minLength"].(float64); ok && utf8.RuneCountInString(x) < int(n) {
			fail("too short")
		}
		if n, ok := s["maxLength"].(float64); ok && utf8.RuneCountInString(x) > int(n) {
			fail("too long")
		}
	case int:
		if n, ok := s["minimum"].(float64); ok && float64(x) < n {
			fail("below minimum")
		}
		if n, ok := s["maximum"].(float64); ok && float64(x) > n {
			fail("above maximum")
		}
		if n, ok := s["exclusiveMinimum"].(float64); ok && float64(x) <= n {
			fail("not above the exclusive minimum")
		}
		if n, ok := s["exclusiveMaximum"].(float64); ok && float64(x) >= n {
			fail("not below the exclusive maximum")
		}
	case float64:
		if n, ok := s["exclusiveMinimum"].(float64); ok && x <= n {
			fail("not above the exclusive minimum")
		}
		if n, ok := s["exclusiveMaximum"].(float64); ok && x >= n {
			fail("not below the exclusive maximum")
		}
	case []any:
		if n, ok := s["minItems"].(float64); ok && len(x) < int(n) {
			fail("too few items")
		}
		if items, ok := s["items"]; ok {
			for i, it := range x {
				errs = append(errs, v.check(items, it, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	case map[string]any:
		for _, r := range asList(s["required"]) {
			if _, ok := x[r.(string)]; !ok {
				fail("missing " + r.(string))
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range x {
			if ps, ok := s["propertyNames"]; ok {
				errs = append(errs, v.check(ps, k, path+"."+k+"(name)")...)
			}
			if p, ok := props[k]; ok {
				errs = append(errs, v.check(p, val, path+"."+k)...)
			} else if ap, ok := s["additionalProperties"]; ok {
				errs = append(errs, v.check(ap, val, path+"."+k)...)
			}
		}
	}
	if alts, ok := s["anyOf"].([]any); ok && !slices.ContainsFunc(alts, func(alt any) bool { return len(v.check(alt, inst, path)) == 0 }) {
		fail("matches none of anyOf")
	}
	if not, ok := s["not"]; ok && len(v.check(not, inst, path)) == 0 {
		fail("matches what it must not")
	}
	if alts, ok := s["oneOf"].([]any); ok {
		n := 0
		for _, alt := range alts {
			if len(v.check(alt, inst, path)) == 0 {
				n++
			}
		}
		if n != 1 {
			fail(fmt.Sprintf("matches %d of oneOf", n))
		}
	}
	if cond, ok := s["if"]; ok {
		branch := "else"
		if len(v.check(cond, inst, path)) == 0 {
			branch = "then"
		}
		if b, ok := s[branch]; ok {
			errs = append(errs, v.check(b, inst, path)...)
		}
	}
	return errs
}

func (v *validator) regexp(p string) *regexp.Regexp {
	if re, ok := v.re[p]; ok {
		return re
	}
	re := regexp.MustCompile(p)
	v.re[p] = re
	return re
}

func asList(x any) []any {
	l, _ := x.([]any)
	return l
}

func typeMatches(ty, inst any) bool {
	types := asList(ty)
	if s, ok := ty.(string); ok {
		types = []any{s}
	}
	for _, t := range types {
		ok := false
		switch t {
		case "object":
			_, ok = inst.(map[string]any)
		case "array":
			_, ok = inst.([]any)
		case "string":
			// An unquoted date is a YAML 1.1 timestamp to the decoder,
			// and a string to editors, which read YAML 1.2.
			_, ok = inst.(string)
			if _, date := inst.(time.Time); date {
				ok = true
			}
		case "integer":
			_, ok = inst.(int)
		case "number":
			_, isInt := inst.(int)
			_, isFloat := inst.(float64)
			ok = isInt || isFloat
		case "boolean":
			_, ok = inst.(bool)
		case "null":
			ok = inst == nil
		}
		if ok {
			return true
		}
	}
	return false
}

// sameValue compares a JSON value from the schema with a YAML one.
func sameValue(schemaValue, inst any) bool {
	switch x := schemaValue.(type) {
	case float64:
		n, ok := inst.(int)
		return ok && float64(n) == x
	case string:
		s, ok := inst.(string)
		return ok && s == x
	}
	return false
}
