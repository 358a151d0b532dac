package openapi

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Values here are what decodeValue produces: nil, bool, json.Number,
// string, []any and map[string]any.

func hasType(v any, t string) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		return ok && isInteger(string(n))
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	// An unknown type name constrains nothing we can check.
	return true
}

func typeOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if isInteger(string(v)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// isInteger reports whether a JSON number has no fractional part, as JSON
// Schema counts 1.0 and 1e2 as integers. It works on the digits rather than
// a float so that neither precision nor a huge exponent gets in the way.
func isInteger(n string) bool {
	mant, expStr, hasExp := strings.Cut(strings.ToLower(n), "e")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(mant, "-"), ".")
	frac = strings.TrimRight(frac, "0")
	if strings.Trim(intPart+frac, "0") == "" {
		return true // zero
	}
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expStr)
		if err != nil {
			// Out of int range: a huge positive exponent leaves no fraction.
			return !strings.HasPrefix(expStr, "-")
		}
		exp = e
	}
	// The value is digits × 10^(exp - len(frac)) with digits = intPart+frac;
	// a negative power needs that many trailing zeros in digits to cancel.
	shift := exp - len(frac)
	if shift >= 0 {
		return true
	}
	digits := intPart + frac
	zeros := len(digits) - len(strings.TrimRight(digits, "0"))
	return zeros >= -shift
}

// equal compares JSON values, numbers by value (1 equals 1.0).
func equal(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool, string:
		return a == b
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		if a == bn {
			return true
		}
		af, err1 := strconv.ParseFloat(string(a), 64)
		bf, err2 := strconv.ParseFloat(string(bn), 64)
		return err1 == nil && err2 == nil && af == bf
	case []any:
		bs, ok := b.([]any)
		if !ok || len(a) != len(bs) {
			return false
		}
		for i := range a {
			if !equal(a[i], bs[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, av := range a {
			bv, ok := bm[k]
			if !ok || !equal(av, bv) {
				return false
			}
		}
		return true
	}
	return false
}

// brief renders a value for an error message, cut short: a body may hold
// strings of 64 KiB.
func brief(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const limit = 80
	if len(b) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		return string(b[:cut]) + "…"
	}
	return string(b)
}

// enumString lists enum values as [a b c], strings unquoted as GitHub's
// documentation shows them.
func enumString(enum []any) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		if s, ok := e.(string); ok {
			parts[i] = s
		} else {
			parts[i] = brief(e)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}
