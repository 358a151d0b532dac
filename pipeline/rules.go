package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/wavegate/wavegate/config/yamlwalk"
)

// minProductionBake is the shortest production bake that the built-in
// best-practice check accepts without a warning.
const minProductionBake = time.Hour

// inferProduction fills Production where the file does not set it: the
// deploying stages after the first approval stage, and those named like
// production ("wave-1", "prod-eu"). It returns why each inferred stage is
// production, for the warnings that depend on it.
func (p *parser) inferProduction(pl *Pipeline) []string {
	why := make([]string, len(pl.Stages))
	approval := ""
	for i := range pl.Stages {
		s := &pl.Stages[i]
		if s.IsApproval() {
			if approval == "" {
				approval = s.Name
			}
			continue
		}
		if _, set := s.Positions["production"]; set {
			continue
		}
		switch {
		case approval != "":
			why[i] = fmt.Sprintf("it follows approval stage %q", approval)
		case strings.HasPrefix(s.Name, "wave"):
			why[i] = `its name starts with "wave"`
		case strings.HasPrefix(s.Name, "prod"):
			why[i] = `its name starts with "prod"`
		default:
			continue
		}
		s.Production = true
	}
	return why
}

// advise reports the built-in best-practice warnings. (Organization
// policies, with modes and exemptions, are a separate mechanism.)
func (p *parser) advise(pl *Pipeline, why []string) {
	if pl.Alarms == nil {
		p.r.WarnAt(yamlwalk.Pos(pl.Pos), "pipeline %q has no alarms: nothing watches its deploys and bakes, so nothing rolls back by itself", pl.Name)
	}
	p.adviseDetection(pl)
	for i, s := range pl.Stages {
		if s.IsApproval() {
			if i == len(pl.Stages)-1 {
				p.r.WarnAt(yamlwalk.Pos(s.Pos), "approval stage %q is the last stage: no deploy waits for it", s.Name)
			}
			continue
		}
		if s.MinDatapoints > 0 && pl.Datapoints == "" {
			p.r.WarnAt(yamlwalk.Pos(s.At("min_datapoints")), "min_datapoints has no effect: pipeline %q has no datapoints: query to count them", pl.Name)
		}
		if !s.Production {
			continue
		}
		because := ""
		if why[i] != "" {
			because = fmt.Sprintf(" (production because %s; set production: false if it is not)", why[i])
		}
		if !s.OneBox {
			p.r.WarnAt(yamlwalk.Pos(s.At("onebox")), "production stage %q does not start each target with a one-box deploy (onebox: true)%s", s.Name, because)
		}
		if s.Bake < minProductionBake {
			p.r.WarnAt(yamlwalk.Pos(s.At("bake")), "production stage %q bakes %s, less than %s%s", s.Name, formatDuration(s.Bake), formatDuration(minProductionBake), because)
		}
	}
}
