package config

import (
	"fmt"
	"strconv"

	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the document once aliases are expanded. The design's full
// example is about 150 nodes; the bound is there because a few lines of
// anchors and aliases can stand for billions of nodes (the "billion laughs"),
// which anyone walking the pipelines section would otherwise expand.
const maxNodes = 50_000

// structure checks what holds for the whole document, whichever section
// interprets it: keys are plain scalars, no key repeats in a mapping, no merge
// keys, and aliases are acyclic and expand to at most maxNodes nodes.
type structure struct {
	r *yamlwalk.Reporter
	// size memoizes the expanded size of anchored nodes so that each alias
	// costs one lookup instead of a walk.
	size map[*yaml.Node]int
	// open holds the anchored nodes being walked: an alias to one of them
	// would make the document infinite.
	open   map[*yaml.Node]bool
	failed bool
}

func checkStructure(r *yamlwalk.Reporter, root *yaml.Node) bool {
	s := &structure{r: r, size: map[*yaml.Node]int{}, open: map[*yaml.Node]bool{}}
	s.walk(root, "")
	return !s.failed
}

// walk checks n and returns its size with aliases expanded, saturating above
// maxNodes.
func (s *structure) walk(n *yaml.Node, path string) int {
	if s.failed {
		return maxNodes + 1
	}
	if n.Kind == yaml.AliasNode {
		return s.alias(n)
	}
	if n.Anchor != "" {
		s.open[n] = true
		defer delete(s.open, n)
	}
	total := 1
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]*yaml.Node{}
		for k, v := range yamlwalk.Pairs(n) {
			s.key(k, path, seen)
			total += 1 + s.walk(v, join(path, k.Value))
			if s.over(n, total) {
				return total
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			total += s.walk(c, path+"["+strconv.Itoa(i)+"]")
			if s.over(n, total) {
				return total
			}
		}
	}
	if n.Anchor != "" {
		s.size[n] = total
	}
	return total
}

func (s *structure) key(k *yaml.Node, path string, seen map[string]*yaml.Node) {
	where := ""
	if path != "" {
		where = " in " + path
	}
	switch {
	case k.Kind == yaml.AliasNode:
		s.r.Errorf(k, "an alias cannot be used as a key%s", where)
	case k.Kind != yaml.ScalarNode:
		s.r.Errorf(k, "a key must be a plain name, not %s%s", yamlwalk.Describe(k), where)
	case k.ShortTag() == "!!merge":
		s.r.Errorf(k, "merge keys (<<) are not supported%s; repeat the keys instead", where)
	case seen[k.Value] != nil:
		s.r.Errorf(k, "duplicate key %q%s (first at line %d)", k.Value, where, seen[k.Value].Line)
	default:
		seen[k.Value] = k
	}
}

func (s *structure) alias(n *yaml.Node) int {
	target := n.Alias
	if target == nil || s.open[target] {
		s.r.Errorf(n, "alias *%s refers to a node that contains it", n.Value)
		s.failed = true
		return maxNodes + 1
	}
	size, ok := s.size[target]
	if !ok {
		// The parser resolves an alias only to an anchor it has already
		// finished or is inside of, so this is unreachable; fail closed.
		s.r.Errorf(n, "alias *%s cannot be resolved", n.Value)
		s.failed = true
		return maxNodes + 1
	}
	return 1 + size
}

func (s *structure) over(n *yaml.Node, total int) bool {
	if total <= maxNodes {
		return false
	}
	if !s.failed {
		s.r.Errorf(n, "document too large: more than %d nodes once aliases are expanded", maxNodes)
		s.failed = true
	}
	return true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return fmt.Sprintf("%s.%s", path, key)
}
