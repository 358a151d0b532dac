// Package config owns the .github/wavegate.yml file format: strict parsing
// with positions, organization defaults merged under repository settings, and
// diagnostics at file:line:col.
//
// A repository's file is read with [Parse] and the organization's
// (<owner>/.github, wavegate.yml) with [ParseOrg]; [Merge] layers them over
// the built-in defaults. [Load] does all three and is the entry point for
// anything that acts on the result: it refuses to return a configuration when
// either file has errors, so a broken file can never turn into a permissive
// default.
//
// The package interprets the review: section itself. The pipelines:,
// policies: and (organization) windows: and alarms: sections are kept as YAML nodes with their positions for the
// pipeline package to interpret, after this package has already guaranteed
// for the whole document: no duplicate keys, no merge keys ("<<"), only
// scalar keys, and aliases that are acyclic and expand to a bounded number of
// nodes, so a consumer may follow aliases without further guards.
package config
