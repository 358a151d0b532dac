package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds what is parsed at all. A real file is a few KiB; the
// bound keeps a hostile repository from making the server parse megabytes.
const maxFileSize = 256 << 10

// File is one parsed wavegate.yml, before merging.
type File struct {
	// Name is the file name given to Parse, used in diagnostics and sources.
	Name   string
	Review Review
	// Pipelines is the pipelines: mapping as written, positions intact; nil
	// when absent or null. An empty mapping is kept, not nil, so that a
	// repository can say it has no pipelines where its organization declares
	// some. The pipeline package interprets it: this package only checks that
	// it is a mapping and that the document as a whole is well-formed (see
	// the package documentation). Treat it as read-only: merged Configs share
	// it.
	Pipelines *yaml.Node
	// Policies is the policies: mapping of an organization file, kept raw
	// like Pipelines. It is always nil for a repository file: a repository
	// must not set the rules it is checked against.
	Policies *yaml.Node
	// Windows is the windows: mapping of an organization file, kept raw
	// for the pipeline package (pipeline.ParseOrgWindows), which merges it
	// into every pipeline. Always nil for a repository file, where windows
	// belong to each pipeline.
	Windows *yaml.Node
	// Alarms is the alarms: mapping of an organization file, kept raw for
	// the pipeline package (pipeline.ParseOrgAlarms): its match claims
	// Alertmanager alerts for every pipeline of the organization. Always
	// nil for a repository file, where alarms belong to each pipeline.
	Alarms *yaml.Node
}

// Parse parses a repository's .github/wavegate.yml. file names it in
// diagnostics. The File is nil exactly when the diagnostics have errors;
// nil data, like an empty file or one of only comments, is an empty File.
func Parse(file string, data []byte) (*File, Diagnostics) {
	return parse(file, data, false)
}

// ParseOrg parses an organization's defaults (wavegate.yml in the
// <owner>/.github repository). It differs from Parse only in accepting
// policies:, which are organization-wide by nature.
func ParseOrg(file string, data []byte) (*File, Diagnostics) {
	return parse(file, data, true)
}

func topLevelKeys() []string {
	return []string{"review", "pipelines", "policies", "windows", "alarms"}
}

func parse(file string, data []byte, org bool) (*File, Diagnostics) {
	r := yamlwalk.NewReporter(file)
	f := &File{Name: file}
	if root := decode(r, data); root != nil && checkStructure(r, root) {
		parseTop(r, root, f, org)
	}
	diags := r.Finish()
	if diags.HasErrors() {
		return nil, diags
	}
	return f, diags
}

func parseTop(r *yamlwalk.Reporter, root *yaml.Node, f *File, org bool) {
	if yamlwalk.IsNull(root) {
		return // "---" alone, or "~": nothing configured.
	}
	if root.Kind != yaml.MappingNode {
		r.Errorf(root, "the file must be a mapping of sections (review, pipelines, policies), got %s", yamlwalk.Describe(root))
		return
	}
	for k, v := range yamlwalk.Fields(root) {
		switch k.Value {
		case "review":
			parseReview(r, v, &f.Review)
		case "pipelines":
			f.Pipelines = section(r, "pipelines", v)
		case "policies":
			if !org {
				r.Warnf(k, "policies are read only from the organization's wavegate.yml (in <owner>/.github); ignored here")
				continue
			}
			f.Policies = section(r, "policies", v)
		case "windows":
			if !org {
				// An error, not a warning: a freeze silently ignored
				// would let deploys through that someone meant to hold.
				r.Errorf(k, "windows: at the top level is read only from the organization's wavegate.yml (in <owner>/.github); in a repository, put it under each pipeline (pipelines.NAME.windows)")
				continue
			}
			f.Windows = section(r, "windows", v)
		case "alarms":
			if !org {
				// An error, not a warning: alarms silently ignored would
				// let deploys through while what they watch is failing.
				r.Errorf(k, "alarms: at the top level is read only from the organization's wavegate.yml (in <owner>/.github); in a repository, put it under each pipeline (pipelines.NAME.alarms)")
				continue
			}
			f.Alarms = section(r, "alarms", v)
		default:
			r.UnknownKey(k, "", topLevelKeys())
		}
	}
}

// decode parses data into its single document's root node. It returns nil
// both for an empty document and on failure; the reporter tells them apart.
func decode(r *yamlwalk.Reporter, data []byte) *yaml.Node {
	if len(data) > maxFileSize {
		r.ErrorAt(yamlwalk.Pos{}, "file is %d bytes; at most %d are allowed", len(data), maxFileSize)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeNext(dec, &doc); err != nil {
		if !errors.Is(err, io.EOF) { // EOF: empty, or only comments.
			syntaxError(r, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := decodeNext(dec, &next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		syntaxError(r, err)
		return nil
	default:
		r.Errorf(&next, "a second YAML document starts here; the file must hold exactly one")
		return nil
	}
	if len(doc.Content) != 1 {
		r.ErrorAt(yamlwalk.Pos{Line: doc.Line, Column: doc.Column}, "malformed YAML document")
		return nil
	}
	return doc.Content[0]
}

// decodeNext turns a panic inside the YAML library into an error: yaml.v3
// has panicked on malformed input before ("internal error ... please
// report"), and a repository's file must not take the server down.
func decodeNext(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("yaml: cannot parse: %v", p)
		}
	}()
	return dec.Decode(n)
}

// syntaxError reports a YAML library error at the line its message names.
// yaml.v3 gives "yaml: line N: problem", never a column, and N is 1-based
// only for errors of its scanner: for errors of its parser it is 0-based (the
// line of the construct being parsed, else of the problem) and is left out
// when 0.
func syntaxError(r *yamlwalk.Reporter, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, after
			}
		}
	}
	if isParserProblem(msg) {
		line++
	}
	r.ErrorAt(yamlwalk.Pos{Line: line}, "invalid YAML: %s", msg)
}

// isParserProblem recognizes the problems that yaml.v3's parser (parserc.go)
// reports; its scanner's are worded differently.
func isParserProblem(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"did not find expected '-' indicator",
		"did not find expected <document start>",
		"did not find expected <stream-start>",
		"did not find expected key",
		"did not find expected node content",
		"found duplicate %TAG directive",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}
