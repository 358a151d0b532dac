package config

import (
	"fmt"
	"slices"

	"github.com/wavegate/wavegate/checks"
	"go.yaml.in/yaml/v3"
)

// Layer is where a value came from, in increasing precedence.
type Layer int

const (
	LayerDefault Layer = iota
	LayerOrg
	LayerRepo
)

func (l Layer) String() string {
	switch l {
	case LayerOrg:
		return "organization"
	case LayerRepo:
		return "repository"
	}
	return "default"
}

// Source says which file and line gave a value, so that a check run can
// explain "2 approvals (organization, acme/.github/wavegate.yml:3:3)".
type Source struct {
	Layer        Layer
	File         string
	Line, Column int
}

func (s Source) String() string {
	if s.Layer == LayerDefault {
		return "default"
	}
	return fmt.Sprintf("%s (%s:%d:%d)", s.Layer, s.File, s.Line, s.Column)
}

// ReviewSources has one Source per field of checks.Policy.
type ReviewSources struct {
	Approvals               Source
	ApproverPermission      Source
	StaleApprovals          Source
	Checklist               Source
	ChecklistSkipPaths      Source
	BlockOnChangesRequested Source
}

// Config is the effective configuration of one repository.
type Config struct {
	Review        checks.Policy
	ReviewSources ReviewSources
	// Pipelines is the repository's pipelines: section, or the
	// organization's when the repository has none; the section is taken
	// whole, never merged key by key, the same rule as for lists. Nil when
	// neither has one. (Provisional: the pipeline engine may narrow what an
	// organization file can declare.)
	Pipelines       *yaml.Node
	PipelinesSource Source
	// Policies is the organization's policies: section; nil when absent.
	Policies       *yaml.Node
	PoliciesSource Source
	// Windows is the organization's windows: section, which applies to
	// every pipeline, merged with each one's own (pipeline.MergeWindows);
	// nil when absent.
	Windows       *yaml.Node
	WindowsSource Source
	// Alarms is the organization's alarms: section, whose alerts concern
	// every pipeline (pipeline.ParseOrgAlarms); nil when absent.
	Alarms       *yaml.Node
	AlarmsSource Source
}

// Merge layers a repository file over an organization file over
// checks.DefaultPolicy, field by field; either file may be nil (absent).
// Lists replace rather than append: a repository's checklist is the whole
// checklist, so reading one file tells what applies to it.
//
// Merge trusts its inputs: Parse returns a nil File for a file with errors,
// which Merge would take as absent. Use Load, which refuses such files.
func Merge(org, repo *File) Config {
	def := checks.DefaultPolicy()
	var c Config
	c.Review.Approvals, c.ReviewSources.Approvals =
		pick(def.Approvals, org, repo, func(r *Review) Setting[int] { return r.Approvals })
	c.Review.ApproverPermission, c.ReviewSources.ApproverPermission =
		pick(def.ApproverPermission, org, repo, func(r *Review) Setting[checks.Permission] { return r.ApproverPermission })
	c.Review.StaleApprovals, c.ReviewSources.StaleApprovals =
		pick(def.StaleApprovals, org, repo, func(r *Review) Setting[checks.StaleApprovals] { return r.StaleApprovals })
	c.Review.Checklist, c.ReviewSources.Checklist =
		pick(def.Checklist, org, repo, func(r *Review) Setting[[]string] { return r.Checklist })
	c.Review.ChecklistSkipPaths, c.ReviewSources.ChecklistSkipPaths =
		pick(def.ChecklistSkipPaths, org, repo, func(r *Review) Setting[[]string] { return r.ChecklistSkipPaths })
	c.Review.BlockOnChangesRequested, c.ReviewSources.BlockOnChangesRequested =
		pick(def.BlockOnChangesRequested, org, repo, func(r *Review) Setting[bool] { return r.BlockOnChangesRequested })
	// The Config must not share list memory with the Files it came from:
	// one org File is merged into many repositories' configs.
	c.Review.Checklist = slices.Clone(c.Review.Checklist)
	c.Review.ChecklistSkipPaths = slices.Clone(c.Review.ChecklistSkipPaths)

	switch {
	case repo != nil && repo.Pipelines != nil:
		c.Pipelines, c.PipelinesSource = repo.Pipelines, nodeSource(LayerRepo, repo.Name, repo.Pipelines)
	case org != nil && org.Pipelines != nil:
		c.Pipelines, c.PipelinesSource = org.Pipelines, nodeSource(LayerOrg, org.Name, org.Pipelines)
	}
	if org != nil && org.Policies != nil {
		c.Policies, c.PoliciesSource = org.Policies, nodeSource(LayerOrg, org.Name, org.Policies)
	}
	if org != nil && org.Windows != nil {
		c.Windows, c.WindowsSource = org.Windows, nodeSource(LayerOrg, org.Name, org.Windows)
	}
	if org != nil && org.Alarms != nil {
		c.Alarms, c.AlarmsSource = org.Alarms, nodeSource(LayerOrg, org.Name, org.Alarms)
	}
	return c
}

func pick[T any](def T, org, repo *File, field func(*Review) Setting[T]) (T, Source) {
	if repo != nil {
		if s := field(&repo.Review); s.Set {
			return s.Value, Source{Layer: LayerRepo, File: repo.Name, Line: s.Line, Column: s.Column}
		}
	}
	if org != nil {
		if s := field(&org.Review); s.Set {
			return s.Value, Source{Layer: LayerOrg, File: org.Name, Line: s.Line, Column: s.Column}
		}
	}
	return def, Source{Layer: LayerDefault}
}

func nodeSource(l Layer, file string, n *yaml.Node) Source {
	return Source{Layer: l, File: file, Line: n.Line, Column: n.Column}
}
