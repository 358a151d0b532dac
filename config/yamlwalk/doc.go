// Package yamlwalk owns walking yaml.v3 nodes strictly: typed readers, a
// diagnostic reporter, suggestions; shared by the config and pipeline
// parsers, so that both halves of one file report problems alike.
//
// It sits below package config (which re-exports Diagnostic and friends as
// aliases) so that config can use it without an import cycle.
package yamlwalk
