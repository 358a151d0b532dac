// Command cutopenapi cuts, from GitHub's full REST description, the subset of
// operations the fake GitHub server serves, together with every component they
// reference. scripts/cut-openapi.sh runs it; its output is committed as
// internal/fakes/githubfake/openapi/subset.json.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wavegate/wavegate/internal/fakes/githubfake/openapi/oplist"
)

func main() {
	in := flag.String("in", "", "full description, e.g. .../package/generated/api.github.com.json")
	opsFile := flag.String("ops", "", "operations list (operations.txt)")
	out := flag.String("out", "", "subset to write (subset.json)")
	source := flag.String("source", "", "where -in came from, recorded in info, e.g. @octokit/openapi@23.0.2")
	flag.Parse()
	if *in == "" || *opsFile == "" || *out == "" || *source == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*in, *opsFile, *out, *source); err != nil {
		fmt.Fprintln(os.Stderr, "cutopenapi:", err)
		os.Exit(1)
	}
}

func run(in, opsFile, out, source string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	f, err := os.Open(opsFile)
	if err != nil {
		return err
	}
	ops, err := oplist.Parse(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", opsFile, err)
	}
	if len(ops) == 0 {
		return fmt.Errorf("%s lists no operations", opsFile)
	}

	var full map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	// Numbers stay as written so the subset does not reformat them.
	dec.UseNumber()
	if err := dec.Decode(&full); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	sum := sha256.Sum256(raw)
	subset, err := cut(full, ops, cutInfo{
		Source:           source,
		SourceSHA256:     hex.EncodeToString(sum[:]),
		OperationsSHA256: oplist.Digest(ops),
	})
	if err != nil {
		return err
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(subset); err != nil {
		return err
	}
	return writeAtomic(out, buf.Bytes())
}

// writeAtomic leaves the old file in place if anything fails, so an aborted
// cut never leaves a truncated subset.json behind.
func writeAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".cutopenapi-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
