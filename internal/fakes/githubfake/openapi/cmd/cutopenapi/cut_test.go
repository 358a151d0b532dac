package main

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

const tinyDescription = `{
	"openapi": "3.0.3",
	"info": {"title": "t", "version": "1"},
	"tags": [{"name": "dropped"}],
	"paths": {
		"/a/{id}": {
			"get": {"operationId": "a/get", "parameters": [{"$ref": "#/components/parameters/id"}],
				"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/a"}}}}}},
			"delete": {"operationId": "a/delete", "responses": {"204": {"$ref": "#/components/responses/gone"}}}
		},
		"/b": {"get": {"operationId": "b/get", "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/unused"}}}}}}}
	},
	"components": {
		"parameters": {"id": {"name": "id", "in": "path", "schema": {"type": "integer"}}},
		"responses": {"gone": {"description": "gone"}},
		"schemas": {
			"a": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/b"}}},
			"b": {"type": "array", "items": {"$ref": "#/components/schemas/a"}},
			"unused": {"type": "string"}
		}
	}
}`

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCut(t *testing.T) {
	out, err := cut(decode(t, tinyDescription), []string{"GET /a/{id}"}, cutInfo{Source: "tiny"})
	if err != nil {
		t.Fatal(err)
	}
	paths := out["paths"].(map[string]any)
	if got := slices.Sorted(maps.Keys(paths["/a/{id}"].(map[string]any))); !slices.Equal(got, []string{"get"}) || len(paths) != 1 {
		t.Errorf("paths = %v", paths)
	}
	comps := out["components"].(map[string]any)
	// a and b reach each other; unused and the delete's response are dropped.
	if got := slices.Sorted(maps.Keys(comps["schemas"].(map[string]any))); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("schemas = %v", got)
	}
	if _, ok := comps["responses"]; ok {
		t.Errorf("responses kept: %v", comps["responses"])
	}
	if _, ok := comps["parameters"].(map[string]any)["id"]; !ok {
		t.Error("parameter id dropped")
	}
	if _, ok := out["tags"]; ok {
		t.Error("tags kept")
	}
	if cut := out["info"].(map[string]any)["x-wavegate-cut"].(cutInfo); cut.Source != "tiny" || cut.Note == "" {
		t.Errorf("info = %+v", cut)
	}
}

func TestCutFailsLoudly(t *testing.T) {
	tests := []struct {
		ops  []string
		want string
	}{
		{[]string{"GET /a/{name}"}, "GET /a/{name} (did you mean GET /a/{id}?)"},
		{[]string{"POST /b"}, "POST /b (the path exists, but not with this method)"},
		{[]string{"GET /c", "GET /b"}, "GET /c"},
	}
	for _, tt := range tests {
		_, err := cut(decode(t, tinyDescription), tt.ops, cutInfo{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("cut(%q) = %v, want an error naming %q", tt.ops, err, tt.want)
		}
	}
	bad := strings.Replace(tinyDescription, `#/components/schemas/b"`, `other.json#/b"`, 1)
	if _, err := cut(decode(t, bad), []string{"GET /a/{id}"}, cutInfo{}); err == nil || !strings.Contains(err.Error(), "unsupported reference") {
		t.Errorf("external $ref: %v", err)
	}
	dangling := strings.Replace(tinyDescription, `#/components/schemas/b"`, `#/components/schemas/nope"`, 1)
	if _, err := cut(decode(t, dangling), []string{"GET /a/{id}"}, cutInfo{}); err == nil || !strings.Contains(err.Error(), "dangling") {
		t.Errorf("dangling $ref: %v", err)
	}
}
