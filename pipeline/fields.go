package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// Readers for the pipeline-level keys other than stages.

func (p *parser) branch(n *yaml.Node, path string) (string, bool) {
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return "", false
	}
	if err := checkBranch(s); err != nil {
		p.r.Errorf(n, "%s %q: %v", path, s, err)
		return "", false
	}
	return s, true
}

// paths reads globs as checks.MatchAny takes them. A list that can select
// nothing is an error: the pipeline would never release.
func (p *parser) paths(n *yaml.Node, path string, pos map[string]Pos) ([]string, bool) {
	items, ok := stringList(p.r, n, path)
	if items == nil {
		return nil, false
	}
	if ok && len(items) == 0 {
		p.r.Errorf(n, "%s is empty, so no push would ever release; leave it out to select every file", path)
		return nil, false
	}
	out := make([]string, 0, len(items))
	includes := 0
	for i, it := range items {
		pos[fmt.Sprintf("paths[%d]", i)] = it.pos()
		glob, excl := strings.CutPrefix(it.value, "!")
		if err := checks.ValidateGlob(glob); err != nil {
			p.r.Errorf(it.node, "%s[%d] %q: %v", path, i, it.value, err)
			ok = false
			continue
		}
		if !excl {
			includes++
		}
		out = append(out, it.value)
	}
	if ok && includes == 0 {
		p.r.Errorf(n, `%s only excludes, so it selects no file; start with "**" to exclude from everything`, path)
		return nil, false
	}
	return out, ok
}

func (p *parser) positiveDuration(n *yaml.Node, path string) (time.Duration, bool) {
	d, ok := durationValue(p.r, p.re.duration, n, path)
	if ok && d == 0 {
		p.r.Errorf(n, "%s must be longer than 0s", path)
		return 0, false
	}
	return d, ok
}

func (p *parser) slackChannel(n *yaml.Node, path string) (string, bool) {
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return "", false
	}
	if p.re.slack.MatchString(s) {
		return s, true
	}
	hint := ""
	if p.re.slack.MatchString("#" + s) {
		hint = fmt.Sprintf(" (did you mean %q?)", "#"+s)
	}
	p.r.Errorf(n, `%s must be a channel name starting with "#" (like "#deploys") or a channel ID (like C0123456789); got %q%s`, path, s, hint)
	return "", false
}

// datapoints reads the query template, checked as alarm queries are; the
// alarms package executes it.
func (p *parser) datapoints(n *yaml.Node, path string) (string, bool) {
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		p.r.Errorf(n, "%s must not be empty; leave it out to count no data points", path)
		return "", false
	}
	if err := CheckQueryTemplate(s); err != nil {
		p.r.Errorf(n, "%s %v", path, err)
		return "", false
	}
	return s, true
}

// datapointStages checks what data points and their timeout mean for
// each stage, once the stages and the pipeline's keys are all known.
func (p *parser) datapointStages(pl *Pipeline) bool {
	counts := false
	ok := true
	for _, s := range pl.Stages {
		if !pl.CountsDatapoints(s) {
			continue
		}
		counts = true
		timeout := pl.DatapointsTimeoutFor(s)
		switch {
		case timeout == 0:
			p.r.ErrorAt(yamlwalk.Pos(s.At("min_datapoints")), "stage %q waits for %d data points but bakes 0s, so the default datapoints_timeout (%d × bake) is 0s and its bakes would fail at once: set a bake or the pipeline's datapoints_timeout", s.Name, s.MinDatapoints, DatapointsTimeoutBakes)
			ok = false
		case timeout < s.Bake:
			p.r.WarnAt(yamlwalk.Pos(pl.At("datapoints_timeout")), "datapoints_timeout %s is shorter than stage %q's bake %s: a bake that has not counted its %d data points by then fails before its time is up", formatDuration(timeout), s.Name, formatDuration(s.Bake), s.MinDatapoints)
		}
	}
	if _, set := pl.Positions["datapoints_timeout"]; set && !counts {
		p.r.WarnAt(yamlwalk.Pos(pl.At("datapoints_timeout")), "datapoints_timeout has no effect: no stage of pipeline %q waits for data points (datapoints: and a stage's min_datapoints)", pl.Name)
	}
	return ok
}

func overridesKeys() []string { return []string{"permission"} }

func (p *parser) overrides(n *yaml.Node, path string, pos map[string]Pos) (Overrides, bool) {
	o := Overrides{Permission: DefaultOverridePermission}
	if yamlwalk.IsNull(n) {
		return o, true
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping, got %s", path, yamlwalk.Describe(n))
		return o, false
	}
	ok := true
	for k, v := range yamlwalk.Fields(m) {
		switch k.Value {
		case "permission":
			pos["overrides.permission"] = posOf(v)
			s, good := yamlwalk.OneOf(p.r, v, path+".permission", permissionNames())
			if !good {
				ok = false
				continue
			}
			perm, err := checks.ParsePermission(s)
			if err != nil {
				p.r.Errorf(v, "%s.permission: %v", path, err)
				ok = false
				continue
			}
			o.Permission = perm
		default:
			p.r.UnknownKey(k, path, overridesKeys())
			ok = false
		}
	}
	return o, ok
}

// permissionNames lists the roles for messages; the mapping itself is
// checks.ParsePermission's.
func permissionNames() []string {
	return []string{"read", "triage", "write", "maintain", "admin"}
}
