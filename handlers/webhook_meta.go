package handlers

import (
	"encoding/json"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// deliveryMeta is the little the intake needs to order and label a delivery.
type deliveryMeta struct {
	Action         string
	InstallationID int64
	Repository     string
}

// readMeta extracts routing metadata: the top-level "action",
// "installation"."id" and "repository"."full_name". A payload that is not
// JSON is stored anyway, with no metadata: the worker records it as dead
// with the parse error, where people can see it, instead of the intake
// dropping it.
//
// It gives exactly what json.Unmarshal into
//
//	struct {
//		Action       string `json:"action"`
//		Installation *struct{ ID int64 `json:"id"` } `json:"installation"`
//		Repository   *struct{ FullName string `json:"full_name"` } `json:"repository"`
//	}
//
// gives (FuzzReadMeta holds it to that), in one pass over the body where
// json.Unmarshal makes two (it validates the whole body before decoding it)
// and walks the 20 KB of a typical payload's values through its general
// state machine: this was three quarters of the handler's own CPU. Like
// json.Unmarshal it validates the whole body, so a body broken after the
// fields it needs still yields nothing.
func readMeta(payload []byte) deliveryMeta {
	s := metaScanner{data: payload}
	s.space()
	if !s.value(slotTop) {
		return deliveryMeta{}
	}
	s.space()
	if s.i != len(s.data) {
		return deliveryMeta{}
	}
	return s.m
}

// slot says where a value goes, mirroring the struct json.Unmarshal would
// fill: a value in a slot of the wrong JSON type is skipped and leaves what
// was there, as json.Unmarshal's type errors do.
type slot uint8

const (
	slotNone         slot = iota // skipped: validated only
	slotTop                      // the whole payload
	slotAction                   // string
	slotInstallation             // *struct{ID}: null clears it
	slotInstallID                // int64
	slotRepository               // *struct{FullName}: null clears it
	slotFullName                 // string
)

// maxMetaDepth is encoding/json's nesting limit: a body nested deeper is
// refused by json.Unmarshal, so it yields nothing here either.
const maxMetaDepth = 10000

type metaScanner struct {
	data  []byte
	i     int
	depth int
	m     deliveryMeta
}

func (s *metaScanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value scans one value at s.i into sl; false means the body is not JSON.
func (s *metaScanner) value(sl slot) bool {
	if s.i >= len(s.data) {
		return false
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(sl)
	case c == '[':
		return s.array()
	case c == '"':
		start := s.i
		if !s.str() {
			return false
		}
		if sl == slotAction || sl == slotFullName {
			v, ok := unquote(s.data[start:s.i])
			if !ok {
				return false
			}
			if sl == slotAction {
				s.m.Action = v
			} else {
				s.m.Repository = v
			}
		}
		return true
	case c == '-' || '0' <= c && c <= '9':
		start := s.i
		if !s.number() {
			return false
		}
		if sl == slotInstallID {
			// json.Unmarshal stores an int64 only from an integer literal
			// that fits (1e2, 1.0 and overflows are type errors).
			if n, err := strconv.ParseInt(string(s.data[start:s.i]), 10, 64); err == nil {
				s.m.InstallationID = n
			}
		}
		return true
	case c == 'n':
		if !s.literal("null") {
			return false
		}
		// null sets a pointer to nil and leaves a string or a number as it is.
		switch sl {
		case slotInstallation:
			s.m.InstallationID = 0
		case slotRepository:
			s.m.Repository = ""
		}
		return true
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	}
	return false
}

func (s *metaScanner) object(sl slot) bool {
	if s.depth++; s.depth > maxMetaDepth {
		return false
	}
	s.i++ // {
	s.space()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		s.depth--
		return true
	}
	for {
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return false
		}
		start := s.i
		if !s.str() {
			return false
		}
		field, ok := fieldSlot(sl, s.data[start:s.i])
		if !ok {
			return false
		}
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return false
		}
		s.i++
		s.space()
		if !s.value(field) {
			return false
		}
		s.space()
		if s.i >= len(s.data) {
			return false
		}
		switch s.data[s.i] {
		case ',':
			s.i++
			s.space()
		case '}':
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// fieldSlot is where the value of key (a quoted JSON string) in an object in
// slot sl goes. json.Unmarshal matches keys case-insensitively, with
// Unicode folding ("Action", "inſtallation" and "\u0061ction" all count),
// so this does too.
func fieldSlot(sl slot, key []byte) (slot, bool) {
	if sl != slotTop && sl != slotInstallation && sl != slotRepository {
		return slotNone, true
	}
	name := key[1 : len(key)-1]
	if !plainASCII(name) {
		v, ok := unquote(key)
		if !ok {
			return slotNone, false
		}
		name = []byte(v)
	}
	switch {
	case sl == slotTop && foldEqual(name, "ACTION"):
		return slotAction, true
	case sl == slotTop && foldEqual(name, "INSTALLATION"):
		return slotInstallation, true
	case sl == slotTop && foldEqual(name, "REPOSITORY"):
		return slotRepository, true
	case sl == slotInstallation && foldEqual(name, "ID"):
		return slotInstallID, true
	case sl == slotRepository && foldEqual(name, "FULL_NAME"):
		return slotFullName, true
	}
	return slotNone, true
}

// foldEqual reports whether name folds to upper, an upper-case ASCII field
// name, the way encoding/json folds keys: ASCII letters to upper case, any
// other rune to the smallest rune of its fold set (ſ to S, the Kelvin sign
// to K).
func foldEqual(name []byte, upper string) bool {
	j := 0
	for i := 0; i < len(name); {
		var r rune
		if c := name[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			r = rune(c)
			i++
		} else {
			var n int
			r, n = utf8.DecodeRune(name[i:])
			r = foldRune(r)
			i += n
		}
		if j >= len(upper) || r != rune(upper[j]) {
			return false
		}
		j++
	}
	return j == len(upper)
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// unquote decodes a scanned string token. The common case, ASCII without
// escapes, is a plain copy; anything else goes through encoding/json, so
// escapes, surrogates and invalid UTF-8 come out exactly as json.Unmarshal
// would give them.
func unquote(tok []byte) (string, bool) {
	if inner := tok[1 : len(tok)-1]; plainASCII(inner) {
		return string(inner), true
	}
	var v string
	if err := json.Unmarshal(tok, &v); err != nil {
		return "", false
	}
	return v, true
}

func plainASCII(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// array's loop ends as object's does, written out in both: a shared
// "comma or closer" helper is too big for the compiler to inline and made
// the scan 10-15% slower (BenchmarkReadMeta), on every delivery's intake.
func (s *metaScanner) array() bool {
	if s.depth++; s.depth > maxMetaDepth {
		return false
	}
	s.i++ // [
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		s.depth--
		return true
	}
	for {
		if !s.value(slotNone) {
			return false
		}
		s.space()
		if s.i >= len(s.data) {
			return false
		}
		switch s.data[s.i] {
		case ',':
			s.i++
			s.space()
		case ']':
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// str scans the string whose opening quote is at s.i.
func (s *metaScanner) str() bool {
	d, i := s.data, s.i+1
	for {
		// Everything but control characters, the quote and the backslash
		// stands for itself. Bytes of 0x80 and above pass unchecked, as in
		// encoding/json, which replaces invalid UTF-8 when it decodes a
		// string rather than refusing it.
		for i < len(d) && d[i] >= 0x20 && d[i] != '"' && d[i] != '\\' {
			i++
		}
		if i >= len(d) {
			return false
		}
		switch d[i] {
		case '"':
			s.i = i + 1
			return true
		case '\\':
			if i+1 >= len(d) {
				return false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return false
				}
				i += 6
			default:
				return false
			}
		default: // a control character
			return false
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *metaScanner) number() bool {
	d, i := s.data, s.i
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		i = digits(d, i)
	default:
		return false
	}
	if i < len(d) && d[i] == '.' {
		if i++; i >= len(d) || !isDigit(d[i]) {
			return false
		}
		i = digits(d, i)
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		if i++; i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return false
		}
		i = digits(d, i)
	}
	s.i = i
	return true
}

func digits(d []byte, i int) int {
	for i < len(d) && isDigit(d[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (s *metaScanner) literal(word string) bool {
	if len(s.data)-s.i < len(word) || string(s.data[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}
