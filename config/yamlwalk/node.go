package yamlwalk

import (
	"fmt"
	"iter"

	"go.yaml.in/yaml/v3"
)

// Deref follows an alias to the node it names. Package config's structural
// pass has already rejected cycles, and an anchor can never name an alias,
// so one step is enough.
func Deref(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// IsNull reports whether n is an explicit or implicit null ("key:" with
// nothing after it).
func IsNull(n *yaml.Node) bool {
	n = Deref(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Pairs yields the keys and values of a mapping node, all of them: for the
// structural pass.
func Pairs(m *yaml.Node) iter.Seq2[*yaml.Node, *yaml.Node] {
	return func(yield func(k, v *yaml.Node) bool) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if !yield(m.Content[i], m.Content[i+1]) {
				return
			}
		}
	}
}

// Fields yields the keys and values of a mapping node whose keys are plain
// names: for section parsers, which would only repeat what the structural
// pass said about the others.
func Fields(m *yaml.Node) iter.Seq2[*yaml.Node, *yaml.Node] {
	return func(yield func(k, v *yaml.Node) bool) {
		for k, v := range Pairs(m) {
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				continue
			}
			if !yield(k, v) {
				return
			}
		}
	}
}

// Describe names what a node is for "got ..." in a type error, quoting
// scalars so that `approvals: "2"` reads differently from `approvals: 2`.
func Describe(n *yaml.Node) string {
	n = Deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if r := []rune(v); len(r) > 40 {
			v = string(r[:40]) + "…"
		}
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!str":
			return fmt.Sprintf("string %q", v)
		case "!!bool":
			return "boolean " + v
		case "!!int", "!!float":
			return "number " + v
		default:
			return fmt.Sprintf("%s %q", n.Tag, v)
		}
	}
	return "nothing"
}
