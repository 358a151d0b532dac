package pipeline

import (
	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// ParseOrgAlarms reads an organization file's alarms: section (the node
// config keeps in File.Alarms); file names the file in diagnostics. Its
// match claims Alertmanager alerts for every pipeline of the organization
// (org-wide alarms: Alarm.Org), target_label names their target and
// resolve_timeout is as a pipeline's; queries, compare, interval and
// error_limit are errors, since queries need a pipeline's targets and
// stages. Nil node or empty section, nil alarms; the alarms are nil
// whenever there are errors.
func ParseOrgAlarms(file string, node *yaml.Node) (*Alarms, config.Diagnostics) {
	if node == nil {
		return nil, nil
	}
	p := &parser{r: yamlwalk.NewReporter(file), re: compilePatterns(), targets: map[string]targetUse{}}
	a, _ := p.alarms(node, "alarms", map[string]Pos{}, true)
	diags := p.r.Finish()
	if diags.HasErrors() {
		return nil, diags
	}
	return a, diags
}
