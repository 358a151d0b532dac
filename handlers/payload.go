package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// ParsePayload parses a webhook payload into go-github's type for event.
//
// Some payloads GitHub has sent carry timestamps that are not RFC 3339
// ("2018-04-25 20:42:10" in check_run.app.created_at, for one), which
// go-github refuses. Losing a whole delivery over a field Wavegate never
// reads would be wrong, so on a timestamp error the payload's "*_at" strings
// in such layouts are rewritten to RFC 3339 (as UTC) and parsed again.
func ParsePayload(event string, payload []byte) (any, error) {
	v, err := github.ParseWebHook(event, payload)
	if err == nil {
		return v, nil
	}
	var perr *time.ParseError
	if !errors.As(err, &perr) {
		return nil, err
	}
	fixed, changed, ferr := normalizeTimestamps(payload)
	if ferr != nil || !changed {
		return nil, err
	}
	return github.ParseWebHook(event, fixed)
}

func normalizeTimestamps(payload []byte) ([]byte, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber() // keep ids exact
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false, fmt.Errorf("decode payload: %w", err)
	}
	changed := rewriteTimestamps(doc)
	if !changed {
		return payload, false, nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, false, fmt.Errorf("encode payload: %w", err)
	}
	return out, true, nil
}

func rewriteTimestamps(node any) bool {
	changed := false
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if s, ok := v.(string); ok && strings.HasSuffix(k, "_at") {
				if t, ok := parseLooseTime(s); ok {
					n[k] = t.UTC().Format(time.RFC3339)
					changed = true
				}
				continue
			}
			changed = rewriteTimestamps(v) || changed
		}
	case []any:
		for _, v := range n {
			changed = rewriteTimestamps(v) || changed
		}
	}
	return changed
}

func parseLooseTime(s string) (time.Time, bool) {
	if _, err := time.Parse(time.RFC3339, s); err == nil {
		return time.Time{}, false
	}
	// Timestamp shapes seen in real payloads besides RFC 3339.
	layouts := [...]string{
		"2006-01-02 15:04:05",
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05 -0700",
		"2006-01-02 15:04:05 MST",
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
