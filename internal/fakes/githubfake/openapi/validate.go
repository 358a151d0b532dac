package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxProblems bounds the error: a body wrong everywhere says enough by then.
const maxProblems = 20

// ValidateRequestBody checks body against the operation's request schema.
// An absent body is empty or the JSON null (go-github encodes a nil options
// pointer as null); it is an error only when the operation requires a body.
// An operation without a request body accepts an absent body or {}, as
// GitHub ignores those. The error lists each problem on its own line, with
// the JSON path where it was found.
func (o *Operation) ValidateRequestBody(body []byte) error {
	body = bytes.TrimSpace(body)
	absent := len(body) == 0 || string(body) == "null"
	if !o.hasBody {
		if absent || isEmptyObject(body) {
			return nil
		}
		return fmt.Errorf("%s %s takes no request body, got %d bytes", o.Method, o.Template, len(body))
	}
	switch {
	case len(body) == 0 && o.bodyRequired:
		return fmt.Errorf("%s %s requires a request body", o.Method, o.Template)
	case absent && !o.bodyRequired:
		return nil
	}
	val, err := decodeValue(body)
	if err != nil {
		return fmt.Errorf("request body is not JSON: %w", err)
	}
	if o.body == nil {
		return nil
	}
	var v validation
	v.check(o.body, val, "$")
	return v.err()
}

func isEmptyObject(body []byte) bool {
	v, err := decodeValue(body)
	m, ok := v.(map[string]any)
	return err == nil && ok && len(m) == 0
}

// decodeValue decodes one JSON value, keeping numbers exact as json.Number.
func decodeValue(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

// validation collects problems; count goes on past maxProblems so the error
// can say how many were left out.
type validation struct {
	problems []string
	count    int
}

func (v *validation) addf(path, format string, args ...any) {
	v.count++
	if len(v.problems) < maxProblems {
		v.problems = append(v.problems, path+": "+fmt.Sprintf(format, args...))
	}
}

func (v *validation) ok() bool { return v.count == 0 }

func (v *validation) err() error {
	if v.ok() {
		return nil
	}
	msg := strings.Join(v.problems, "\n")
	if more := v.count - len(v.problems); more > 0 {
		msg += fmt.Sprintf("\n(and %d more)", more)
	}
	return errors.New(msg)
}

func (v *validation) check(s *schema, val any, path string) {
	if val == nil && s.nullable {
		return
	}
	if len(s.types) > 0 && !slices.ContainsFunc(s.types, func(t string) bool { return hasType(val, t) }) {
		v.addf(path, "want %s, got %s", strings.Join(s.types, " or "), typeOf(val))
		return
	}
	if len(s.enum) > 0 && !slices.ContainsFunc(s.enum, func(e any) bool { return equal(e, val) }) {
		v.addf(path, "value %s not in enum %s", brief(val), enumString(s.enum))
	}
	switch val := val.(type) {
	case map[string]any:
		v.checkObject(s, val, path)
	case []any:
		v.checkArray(s, val, path)
	case string:
		n := utf8.RuneCountInString(val)
		if s.minLength != nil && n < *s.minLength {
			v.addf(path, "length %d is less than minLength %d", n, *s.minLength)
		}
		if s.maxLength != nil && n > *s.maxLength {
			v.addf(path, "length %d is more than maxLength %d", n, *s.maxLength)
		}
	case json.Number:
		v.checkNumber(s, val, path)
	}
	for _, sub := range s.allOf {
		v.check(sub, val, path)
	}
	if len(s.anyOf) > 0 {
		if passed, why := matching(s.anyOf, val, path); len(passed) == 0 {
			v.addf(path, "matches no anyOf alternative: %s", why)
		}
	}
	if len(s.oneOf) > 0 {
		switch passed, why := matching(s.oneOf, val, path); len(passed) {
		case 0:
			v.addf(path, "matches no oneOf alternative: %s", why)
		case 1:
		default:
			v.addf(path, "matches oneOf alternatives %v, want exactly one", passed)
		}
	}
}

// matching returns the indexes of the alternatives val satisfies and, for
// the error when there are none, why each one failed.
func matching(alts []*schema, val any, path string) (passed []int, why string) {
	var reasons []string
	for i, alt := range alts {
		var sub validation
		sub.check(alt, val, path)
		if sub.ok() {
			passed = append(passed, i)
			continue
		}
		reasons = append(reasons, fmt.Sprintf("[%d] %s", i, strings.Join(sub.problems, "; ")))
	}
	return passed, strings.Join(reasons, " | ")
}

func (v *validation) checkObject(s *schema, obj map[string]any, path string) {
	for _, name := range s.required {
		if _, ok := obj[name]; !ok {
			v.addf(childPath(path, name), "required property is missing")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		if sub, ok := s.properties[name]; ok {
			v.check(sub, obj[name], childPath(path, name))
			continue
		}
		switch {
		case s.noAdditional:
			v.addf(childPath(path, name), "property not allowed (additionalProperties is false)")
		case s.additional != nil:
			v.check(s.additional, obj[name], childPath(path, name))
		}
	}
}

func (v *validation) checkArray(s *schema, arr []any, path string) {
	if s.minItems != nil && len(arr) < *s.minItems {
		v.addf(path, "%d items, fewer than minItems %d", len(arr), *s.minItems)
	}
	if s.maxItems != nil && len(arr) > *s.maxItems {
		v.addf(path, "%d items, more than maxItems %d", len(arr), *s.maxItems)
	}
	if s.items != nil {
		for i, e := range arr {
			v.check(s.items, e, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func (v *validation) checkNumber(s *schema, n json.Number, path string) {
	// Bounds in GitHub's schemas are small; float64 compares them exactly
	// enough, and an out-of-range number parses as ±Inf, which still compares.
	f, _ := strconv.ParseFloat(string(n), 64)
	if b := s.minimum; b != nil && (f < *b || s.exclMinimum && f == *b) {
		v.addf(path, "%s is below the minimum %v%s", n, *b, exclusive(s.exclMinimum))
	}
	if b := s.maximum; b != nil && (f > *b || s.exclMax && f == *b) {
		v.addf(path, "%s is above the maximum %v%s", n, *b, exclusive(s.exclMax))
	}
}

func exclusive(excl bool) string {
	if excl {
		return " (exclusive)"
	}
	return ""
}

// childPath appends a property name, quoting it when it would not read as
// one segment, e.g. $["+1"].
func childPath(path, name string) string {
	simple := name != ""
	for _, r := range name {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			simple = false
			break
		}
	}
	if simple {
		return path + "." + name
	}
	return path + "[" + strconv.Quote(name) + "]"
}
