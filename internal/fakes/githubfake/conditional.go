package githubfake

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// conditional gives successful GETs an ETag and turns a matching
// If-None-Match into 304, which is how clients save rate limit on polling.
func (s *Server) conditional(x *exchange) {
	if (x.r.Method != http.MethodGet && x.r.Method != http.MethodHead) || x.status != http.StatusOK {
		return
	}
	sum := sha256.Sum256(x.out.Bytes())
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	x.header.Set("ETag", etag)
	if matchesETag(x.r.Header.Get("If-None-Match"), etag) {
		x.status = http.StatusNotModified
		x.out.Reset()
		x.header.Del("Content-Type")
	}
}

// matchesETag compares weakly, as If-None-Match does.
func matchesETag(ifNoneMatch, etag string) bool {
	for _, cand := range strings.Split(ifNoneMatch, ",") {
		cand = strings.TrimPrefix(strings.TrimSpace(cand), "W/")
		if cand == etag || cand == "*" {
			return true
		}
	}
	return false
}
