// Package wavegate holds what lives at the repository root and must travel
// inside the binary: the GitHub App manifest.
package wavegate

import _ "embed"

//go:embed app.yml
var manifest []byte

// Manifest returns app.yml, the GitHub App manifest the setup flow registers.
func Manifest() []byte { return append([]byte(nil), manifest...) }
