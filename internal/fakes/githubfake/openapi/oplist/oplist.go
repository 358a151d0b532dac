// Package oplist reads operations.txt, the list of GitHub REST operations the
// fake serves. It lives apart from package openapi so the cutter can use it
// before subset.json (which openapi embeds) exists.
package oplist

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Parse returns the operations as "METHOD /template", sorted and without
// duplicates. Blank lines and text after '#' are ignored.
func Parse(r io.Reader) ([]string, error) {
	var ops []string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"METHOD /path\", got %q", n, strings.TrimSpace(line))
		}
		method, path := strings.ToUpper(fields[0]), fields[1]
		if !isMethod(method) {
			return nil, fmt.Errorf("line %d: unknown method %q", n, fields[0])
		}
		if !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("line %d: path %q does not start with /", n, path)
		}
		ops = append(ops, method+" "+path)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	slices.Sort(ops)
	return slices.Compact(ops), nil
}

// Digest fingerprints the parsed list rather than the file's bytes, so that
// editing comments or the order of lines does not demand a new cut.
func Digest(ops []string) string {
	h := sha256.New()
	for _, op := range ops {
		io.WriteString(h, op+"\n")
	}
	return hex.EncodeToString(h.Sum(nil))
}

// isMethod reports whether m names an operation an OpenAPI path item can hold.
func isMethod(m string) bool {
	switch m {
	case "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE":
		return true
	}
	return false
}
