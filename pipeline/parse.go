package pipeline

import (
	"github.com/wavegate/wavegate/config"
	"go.yaml.in/yaml/v3"

	"github.com/wavegate/wavegate/config/yamlwalk"
)

// Parse reads the pipelines: section, the node that config.Parse keeps in
// File.Pipelines (or config.Load in Config.Pipelines); file names the file
// in diagnostics. Pipelines come in file order, defaults applied. A nil or
// null node is no pipelines.
//
// When the diagnostics hold any error, the slice is nil, whatever part of
// the section was valid: a broken file must never half-apply. Warnings come
// back with the pipelines; report them.
//
// Parse expects a node that config has checked for the whole document (no
// duplicate keys, no merge keys, acyclic bounded aliases); it does not
// repeat those checks. Its own walk is bounded by the shape of the section,
// so any node is safe to give it.
func Parse(file string, node *yaml.Node) ([]Pipeline, config.Diagnostics) {
	p := &parser{
		r:       yamlwalk.NewReporter(file),
		re:      compilePatterns(),
		targets: map[string]targetUse{},
	}
	pipelines := p.all(node)
	diags := p.r.Finish()
	if diags.HasErrors() {
		return nil, diags
	}
	return pipelines, diags
}

// parser is the state of one Parse.
type parser struct {
	r  *yamlwalk.Reporter
	re patterns
	// targets records each target's first use in the file, keyed by its
	// lower-case form because GitHub environment names ignore case: two
	// spellings are one environment.
	targets map[string]targetUse
}

type targetUse struct {
	name, pipeline, stage string
	line                  int
}

func (p *parser) all(n *yaml.Node) []Pipeline {
	if n == nil || yamlwalk.IsNull(n) {
		return nil
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "pipelines must be a mapping of pipeline names to pipelines, got %s", yamlwalk.Describe(n))
		return nil
	}
	var out []Pipeline
	for k, v := range yamlwalk.Fields(m) {
		if pl, ok := p.pipeline(k, v); ok {
			out = append(out, pl)
		}
	}
	return out
}

func pipelineKeys() []string {
	return []string{
		"branch", "paths", "deployer", "deploy_timeout", "slack_channel",
		"windows", "alarms", "datapoints", "datapoints_timeout", "overrides", "stages",
	}
}

// defaultPaths selects every file.
func defaultPaths() []string { return []string{"**"} }

func (p *parser) pipeline(k, n *yaml.Node) (Pipeline, bool) {
	pl := Pipeline{
		Name:          k.Value,
		Paths:         defaultPaths(),
		Deployer:      Deployer{Kind: DeployerGitHub},
		DeployTimeout: DefaultDeployTimeout,
		Overrides:     Overrides{Permission: DefaultOverridePermission},
		Pos:           posOf(k),
		Positions:     map[string]Pos{},
	}
	path := "pipelines." + k.Value
	ok := true
	if !p.re.validName(k.Value) {
		p.r.Errorf(k, "pipeline name %q is not allowed: use %s (it is typed in commands such as /deploy status)", k.Value, nameRule())
		ok = false
	}
	if yamlwalk.IsNull(n) {
		p.r.Errorf(k, "pipeline %q is empty; it needs at least one stage", k.Value)
		return pl, false
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping, got %s", path, yamlwalk.Describe(n))
		return pl, false
	}
	hasStages := false
	var windows windowsSection
	for key, v := range yamlwalk.Fields(m) {
		kp := path + "." + key.Value
		pl.Positions[key.Value] = posOf(v)
		good := true
		switch key.Value {
		case "branch":
			pl.Branch, good = p.branch(v, kp)
		case "paths":
			pl.Paths, good = p.paths(v, kp, pl.Positions)
		case "deployer":
			pl.Deployer, good = p.deployer(v, kp, pl.Name)
		case "deploy_timeout":
			pl.DeployTimeout, good = p.positiveDuration(v, kp)
		case "slack_channel":
			pl.SlackChannel, good = p.slackChannel(v, kp)
		case "windows":
			windows, good = p.windows(v, kp, pl.Positions)
		case "alarms":
			pl.Alarms, good = p.alarms(v, kp, pl.Positions, false)
		case "datapoints":
			pl.Datapoints, good = p.datapoints(v, kp)
		case "datapoints_timeout":
			pl.DatapointsTimeout, good = p.positiveDuration(v, kp)
		case "overrides":
			pl.Overrides, good = p.overrides(v, kp, pl.Positions)
		case "stages":
			hasStages = true
			pl.Stages, good = p.stages(pl.Name, v, kp)
		default:
			delete(pl.Positions, key.Value)
			p.r.UnknownKey(key, path, pipelineKeys())
			good = false
		}
		ok = ok && good
	}
	if !hasStages {
		p.r.Errorf(k, "pipeline %q has no stages: it needs at least one", k.Value)
		ok = false
	}
	if ok {
		p.advise(&pl, p.inferProduction(&pl))
		ok = p.datapointStages(&pl)
	}
	if ok && windows.w != nil {
		ok = p.windowStages(&pl, windows, path+".windows")
		pl.Windows = windows.w
	}
	return pl, ok
}
