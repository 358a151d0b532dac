package pipeline

import (
	"fmt"
	"strings"

	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// Upper bounds that guard against typos: no stage deploys to a thousand
// environments at once, and no bake waits for more than a billion requests.
const (
	maxParallel      = 1000
	maxMinDatapoints = 1_000_000_000
)

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func stageKeys() []string {
	return []string{"name", "targets", "parallel", "onebox", "bake", "min_datapoints", "production", "approval"}
}

// deployKeys are the stage keys that only a deploying stage may have.
func deployKeys() []string {
	return []string{"targets", "parallel", "onebox", "bake", "min_datapoints", "production"}
}

func (p *parser) stages(pipeline string, n *yaml.Node, path string) ([]Stage, bool) {
	v := yamlwalk.Deref(n)
	if v.Kind != yaml.SequenceNode {
		p.r.Errorf(n, "%s must be a list of stages, got %s", path, yamlwalk.Describe(n))
		return nil, false
	}
	if len(v.Content) == 0 {
		p.r.Errorf(n, "%s is empty: a pipeline needs at least one stage", path)
		return nil, false
	}
	out := make([]Stage, 0, len(v.Content))
	names := map[string]Pos{}
	ok := true
	for i, c := range v.Content {
		s, good := p.stage(pipeline, c, fmt.Sprintf("%s[%d]", path, i))
		if s.Name != "" {
			if first, dup := names[s.Name]; dup {
				p.r.ErrorAt(yamlwalk.Pos(s.At("name")), "duplicate stage name %q in pipeline %q (first at line %d)", s.Name, pipeline, first.Line)
				good = false
			} else {
				names[s.Name] = s.At("name")
			}
		}
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

// stage reads one entry of stages:. It returns what it could read even
// when not ok, so that the caller can still report duplicate names.
func (p *parser) stage(pipeline string, n *yaml.Node, path string) (Stage, bool) {
	s := Stage{Parallel: DefaultParallel, Pos: posOf(n), Positions: map[string]Pos{}}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping with a name and either targets or approval, got %s", path, yamlwalk.Describe(n))
		return s, false
	}
	keys := map[string]*yaml.Node{}
	var targets []item
	ok := true
	for k, v := range yamlwalk.Fields(m) {
		kp := path + "." + k.Value
		keys[k.Value] = k
		s.Positions[k.Value] = posOf(v)
		good := true
		switch k.Value {
		case "name":
			s.Name, good = p.stageName(v, kp)
		case "targets":
			targets, good = p.targetList(v, kp, s.Positions)
		case "parallel":
			s.Parallel, good = yamlwalk.Int(p.r, v, kp, 1, maxParallel)
		case "onebox":
			s.OneBox, good = yamlwalk.Bool(p.r, v, kp)
		case "bake":
			s.Bake, good = durationValue(p.r, p.re.duration, v, kp)
		case "min_datapoints":
			s.MinDatapoints, good = yamlwalk.Int(p.r, v, kp, 0, maxMinDatapoints)
		case "production":
			s.Production, good = yamlwalk.Bool(p.r, v, kp)
		case "approval":
			s.Approval, good = p.approval(v, kp, s.Positions)
		default:
			delete(s.Positions, k.Value)
			delete(keys, k.Value)
			p.r.UnknownKey(k, path, stageKeys())
			good = false
		}
		ok = ok && good
	}
	// A stage used through an alias is reported where it is used, not at
	// its anchor, which is another stage.
	if m != n {
		for k := range s.Positions {
			s.Positions[k] = s.Pos
		}
		for i := range targets {
			targets[i].node = n
		}
	}

	label := path
	if s.Name != "" {
		label = fmt.Sprintf("stage %q", s.Name)
	}
	if keys["name"] == nil {
		p.r.Errorf(n, "%s needs a name", path)
		ok = false
	}
	if keys["approval"] != nil {
		for _, key := range deployKeys() {
			if k := keys[key]; k != nil {
				p.r.Errorf(k, "%s waits for an approval and deploys nothing, so it cannot have %s", label, key)
				ok = false
			}
		}
		return s, ok
	}
	if keys["targets"] == nil {
		p.r.Errorf(n, "%s needs targets to deploy to, or approval: to wait for a manual approval", label)
		ok = false
	}
	if keys["bake"] == nil {
		p.r.Errorf(n, "%s needs bake: how long each deploy must stay healthy before the next step (bake: 0s to go on as soon as it succeeds)", label)
		ok = false
	}
	for _, t := range targets {
		s.Targets = append(s.Targets, t.value)
		ok = p.claimTarget(t, pipeline, s.Name, label) && ok
	}
	if keys["parallel"] != nil && keys["targets"] != nil && len(targets) > 0 && s.Parallel > len(targets) {
		p.r.WarnAt(yamlwalk.Pos(s.At("parallel")), "%s has parallel: %d but only %s, so at most %d deploy at once", label, s.Parallel, plural(len(targets), "target"), len(targets))
	}
	return s, ok
}

func (p *parser) stageName(n *yaml.Node, path string) (string, bool) {
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return "", false
	}
	if !p.re.validName(s) {
		p.r.Errorf(n, "stage name %q is not allowed: use %s (it is typed in commands such as /deploy approve)", s, nameRule())
		return "", false
	}
	return s, true
}

// targetList reads the targets of a stage; it returns the valid ones.
func (p *parser) targetList(n *yaml.Node, path string, pos map[string]Pos) ([]item, bool) {
	items, ok := stringList(p.r, n, path)
	if items == nil {
		return nil, false
	}
	if ok && len(items) == 0 {
		p.r.Errorf(n, "%s is empty: a deploying stage needs at least one target", path)
		return nil, false
	}
	valid := items[:0]
	for i, it := range items {
		if err := checkTarget(it.value); err != nil {
			p.r.Errorf(it.node, "%s[%d] %q %v", path, i, it.value, err)
			ok = false
			continue
		}
		pos[fmt.Sprintf("targets[%d]", len(valid))] = it.pos()
		valid = append(valid, it)
	}
	return valid, ok
}

// claimTarget records a target's first use in the file and reports any
// later one: a target deployed by two stages would receive two releases
// at once, and rollbacks would fight.
func (p *parser) claimTarget(t item, pipeline, stage, label string) bool {
	key := strings.ToLower(t.value)
	first, dup := p.targets[key]
	if !dup {
		p.targets[key] = targetUse{name: t.value, pipeline: pipeline, stage: stage, line: t.node.Line}
		return true
	}
	caseNote := ""
	if first.name != t.value {
		caseNote = fmt.Sprintf(", as %q; GitHub environment names ignore case", first.name)
	}
	if first.pipeline == pipeline && first.stage == stage {
		p.r.Errorf(t.node, "target %q is listed twice in %s (first at line %d%s)", t.value, label, first.line, caseNote)
		return false
	}
	p.r.Errorf(t.node, "target %q is already in stage %q of pipeline %q (line %d%s); a target belongs to one stage of one pipeline",
		t.value, first.stage, first.pipeline, first.line, caseNote)
	return false
}
