package openapi

import "strings"

// segKind orders how specifically a template segment matches; a lower kind
// wins, so /issues/comments/{comment_id} beats /issues/{issue_number}/comments
// for /issues/comments/7.
type segKind int

const (
	literal segKind = iota
	param           // {x}: exactly one non-empty segment
	rest            // a final {path}: one or more non-empty segments
)

type segment struct {
	kind segKind
	text string // the literal, or the parameter's name
}

type route struct {
	op   *Operation
	segs []segment
}

func newRoute(op *Operation) route {
	parts := strings.Split(strings.TrimPrefix(op.Template, "/"), "/")
	segs := make([]segment, len(parts))
	for i, p := range parts {
		name, isParam := strings.CutPrefix(p, "{")
		name, closed := strings.CutSuffix(name, "}")
		switch {
		case !isParam || !closed:
			segs[i] = segment{literal, p}
		// GitHub's contents API takes a file path with its slashes unescaped.
		case name == "path" && i == len(parts)-1:
			segs[i] = segment{rest, name}
		default:
			segs[i] = segment{param, name}
		}
	}
	return route{op: op, segs: segs}
}

// Match finds the operation serving method on a request path such as
// /repos/acme/api/check-runs/42. A query string or fragment is ignored and so
// is one trailing slash. Segments are compared as given: pass r.URL.Path, or
// r.URL.EscapedPath() to keep an escaped slash inside one segment.
func (s *Spec) Match(method, path string) (op *Operation, template string, ok bool) {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	path, ok = strings.CutPrefix(path, "/")
	if !ok {
		return nil, "", false
	}
	parts := strings.Split(path, "/")
	routes := s.routes[strings.ToUpper(method)]
	var best *route
	for i := range routes {
		if r := &routes[i]; r.matches(parts) && (best == nil || r.beats(best)) {
			best = r
		}
	}
	if best == nil {
		return nil, "", false
	}
	return best.op, best.op.Template, true
}

func (r *route) matches(parts []string) bool {
	for i, seg := range r.segs {
		if i >= len(parts) {
			return false
		}
		switch seg.kind {
		case literal:
			if parts[i] != seg.text {
				return false
			}
		case param:
			if parts[i] == "" {
				return false
			}
		case rest:
			for _, p := range parts[i:] {
				if p == "" {
					return false
				}
			}
			return true
		}
	}
	return len(parts) == len(r.segs)
}

// beats reports whether r is more specific than other, deciding at the first
// segment where their kinds differ.
func (r *route) beats(other *route) bool {
	for i := range min(len(r.segs), len(other.segs)) {
		if r.segs[i].kind != other.segs[i].kind {
			return r.segs[i].kind < other.segs[i].kind
		}
	}
	return false
}
