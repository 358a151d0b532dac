package openapi

import (
	"strings"
	"testing"
)

// FuzzMatch checks that Match never panics and that what it returns is
// consistent: the template belongs to an operation of that method, and the
// path has as many segments as the template unless {path} took the rest.
func FuzzMatch(f *testing.F) {
	for _, seed := range []string{
		"/app", "/repos/acme/api/", "/repos/acme/api/issues/comments/7", "/repos/acme/api/contents/a/b.txt?ref=x",
		"", "/", "//", "?", "/repos/acme/api/pulls/1/files#x", "/repos/{owner}/{repo}", "/repos/a/b/contents//",
	} {
		f.Add("GET", seed)
	}
	f.Add("PATCH", "/repos/acme/api/check-runs/42")
	s := mustLoad(f)
	f.Fuzz(func(t *testing.T, method, path string) {
		op, tmpl, ok := s.Match(method, path)
		if !ok {
			if op != nil || tmpl != "" {
				t.Fatalf("no match but op=%v template=%q", op, tmpl)
			}
			return
		}
		if op.Template != tmpl || op.Method != strings.ToUpper(method) || s.ops[op.Method+" "+tmpl] != op {
			t.Fatalf("Match(%q, %q) = %s %s, template %q", method, path, op.Method, op.Template, tmpl)
		}
		if !strings.HasSuffix(tmpl, "/{path}") {
			p, _, _ := strings.Cut(path, "?")
			p, _, _ = strings.Cut(p, "#")
			p = strings.TrimSuffix(p, "/")
			if strings.Count(p, "/") != strings.Count(tmpl, "/") {
				t.Fatalf("Match(%q, %q) = %q: segment counts differ", method, path, tmpl)
			}
		}
	})
}

// FuzzValidateRequestBody checks that validation never panics, whatever the
// body, and that its answer does not depend on map order: the fake's request
// log and 422 messages are compared verbatim in tests.
func FuzzValidateRequestBody(f *testing.F) {
	for _, seed := range []string{
		validCheckRun, `{"name":"n","head_sha":"a"}`, `{}`, `null`, ``, `[]`, `{"name":1e999999999}`,
		`{"name":"n","head_sha":"a","output":{"annotations":[{"start_line":1e-999999999}]}}`,
		`{"status":"completed"}`, `{"ref":"main","payload":{"a":[1,2,{"b":null}]}}`, `{"content":"+1"}`, "\"\xff\"",
	} {
		f.Add(seed)
	}
	s := mustLoad(f)
	ops := s.Operations()
	f.Fuzz(func(t *testing.T, body string) {
		for _, key := range ops {
			op := s.ops[key]
			if a, b := errString(op.ValidateRequestBody([]byte(body))), errString(op.ValidateRequestBody([]byte(body))); a != b {
				t.Fatalf("%s: %q gave two different answers:\n%s\n%s", key, body, a, b)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
