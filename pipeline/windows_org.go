package pipeline

import (
	"slices"

	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// The organization's windows: (top level of wavegate.yml in <owner>/.github)
// hold the production stages of every pipeline of the organization. Merged
// with a pipeline's own, per stage: the freezes of both apply; the
// organization's allow list applies when the pipeline's own windows give
// none for that stage. So a repository can narrow when it deploys, but not
// escape an organization's freeze.

// ParseOrgWindows reads an organization file's windows: section (the node
// config keeps in File.Windows); file names the file in diagnostics. It has
// the keys of a pipeline's windows but stages:, since an organization
// cannot know its repositories' stage names: it holds production stages.
// Nil node, nil windows; the windows are nil whenever there are errors.
func ParseOrgWindows(file string, node *yaml.Node) (*Windows, config.Diagnostics) {
	if node == nil {
		return nil, nil
	}
	p := &parser{r: yamlwalk.NewReporter(file), re: compilePatterns(), targets: map[string]targetUse{}}
	if m := yamlwalk.Deref(node); m.Kind == yaml.MappingNode {
		for k := range yamlwalk.Fields(m) {
			if k.Value == "stages" {
				p.r.Errorf(k, "an organization's windows hold the production stages of every pipeline; stages: belongs to a pipeline's own windows (pipelines.NAME.windows.stages)")
			}
		}
	}
	sec, _ := p.windows(node, "windows", map[string]Pos{})
	diags := p.r.Finish()
	if diags.HasErrors() {
		return nil, diags
	}
	return sec.w, diags
}

// WithOrgWindows returns the pipelines with the organization's windows
// merged in (org nil: unchanged). It does not change ps.
func WithOrgWindows(ps []Pipeline, org *Windows) []Pipeline {
	if org == nil {
		return ps
	}
	out := slices.Clone(ps)
	for i := range out {
		out[i].Windows = MergeWindows(org, out[i].Windows)
	}
	return out
}

// MergeWindows puts the organization's windows beside a pipeline's own,
// replacing any organization's windows merged before; either may be nil.
// The organization's stay in Org even when the pipeline has none of its
// own, so that they can be replaced when the organization's file changes.
func MergeWindows(org, own *Windows) *Windows {
	own = ownWindows(own)
	if org == nil {
		return own
	}
	o := *org
	o.Stages, o.Org = nil, nil
	m := Windows{}
	if own != nil {
		m = *own
	}
	m.Org = &o
	return &m
}

// ownWindows is ws less the organization's windows, nil when nothing is
// left.
func ownWindows(ws *Windows) *Windows {
	if ws == nil || ws.Org == nil {
		return ws
	}
	c := *ws
	c.Org = nil
	if c.TimeZone == "" && len(c.Allow) == 0 && len(c.Freezes) == 0 && c.Stages == nil {
		return nil
	}
	return &c
}

// effective is what holds deploys of stage: the pipeline's own windows, the
// organization's, both merged, or nil.
func (ws *Windows) effective(stage Stage) *Windows {
	if stage.IsApproval() {
		return nil
	}
	own := ws.AppliesTo(stage)
	org := ws.Org
	if org != nil && !org.AppliesTo(stage) {
		org = nil
	}
	switch {
	case org == nil && own:
		return ws
	case org == nil:
		return nil
	case !own:
		return org
	}
	e := *ws
	e.Org = nil
	if len(e.Allow) == 0 {
		e.Allow, e.TimeZone, e.loc, e.locErr = org.Allow, org.TimeZone, org.loc, org.locErr
	}
	e.Freezes = append(slices.Clip(ws.Freezes), org.Freezes...)
	return &e
}
