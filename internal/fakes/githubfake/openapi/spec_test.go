package openapi

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/internal/fakes/githubfake/openapi/oplist"
)

func readOperationsTxt(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("operations.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ops, err := oplist.Parse(f)
	if err != nil {
		t.Fatalf("operations.txt: %v", err)
	}
	return ops
}

func TestSubsetIsCurrent(t *testing.T) {
	s := mustLoad(t)
	ops := readOperationsTxt(t)
	if got := oplist.Digest(ops); got != s.opsDigest {
		t.Fatalf("operations.txt changed since subset.json was cut (digest %s, subset has %s): run scripts/cut-openapi.sh", got, s.opsDigest)
	}
	if got := s.Operations(); !slices.Equal(got, ops) {
		t.Errorf("subset serves %q,\noperations.txt lists %q: run scripts/cut-openapi.sh", got, ops)
	}
}

func TestOperations(t *testing.T) {
	s := mustLoad(t)
	ops := s.Operations()
	if !slices.IsSorted(ops) || len(ops) == 0 {
		t.Fatalf("Operations() = %q, want a sorted, non-empty list", ops)
	}
	for _, key := range ops {
		op := s.ops[key]
		if op.ID == "" || op.Method+" "+op.Template != key {
			t.Errorf("%s: operation %+v", key, op)
		}
	}
}

// Every request body that has a schema must have come through, or the
// validator would silently accept anything for it.
func TestBodiesHaveSchemas(t *testing.T) {
	s := mustLoad(t)
	for _, key := range s.Operations() {
		if op := s.ops[key]; op.hasBody && op.body == nil {
			t.Errorf("%s: request body without a JSON schema", key)
		}
	}
}

// GitHub's own request examples must pass: the validator may not be
// stricter than the description.
func TestRequestExamplesValidate(t *testing.T) {
	s := mustLoad(t)
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Examples map[string]struct {
						Value json.RawMessage `json:"value"`
					} `json:"examples"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(subsetJSON, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, key := range s.Operations() {
		op := s.ops[key]
		item := doc.Paths[op.Template]
		for _, content := range item[strings.ToLower(op.Method)].RequestBody.Content {
			for _, name := range slices.Sorted(maps.Keys(content.Examples)) {
				n++
				if err := op.ValidateRequestBody(content.Examples[name].Value); err != nil {
					t.Errorf("%s, example %q:\n%v", key, name, err)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no request examples found")
	}
}
