package config

import (
	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// section returns the mapping under a top-level key, or nil when the key
// has no value (a section whose every line is commented out is empty, not
// wrong).
func section(r *yamlwalk.Reporter, name string, n *yaml.Node) *yaml.Node {
	if yamlwalk.IsNull(n) {
		return nil
	}
	v := yamlwalk.Deref(n)
	if v.Kind != yaml.MappingNode {
		r.Errorf(n, "%s must be a mapping, got %s", name, yamlwalk.Describe(n))
		return nil
	}
	return v
}
