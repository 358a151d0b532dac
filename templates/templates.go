// Package templates holds the files of every human-facing page and message,
// embedded in the binary so that a single file is all there is to deploy.
//
// web/ holds html/template pages served by Wavegate itself (the setup flow,
// and under web/ui/ the read-only pages with their stylesheet);
// github/ holds text/template Markdown for what Wavegate writes on GitHub
// (check-run summaries, PR comments); slack/ holds text/template Slack
// mrkdwn for the texts of Slack messages, whose blocks are assembled in Go.
package templates

import (
	"embed"
	"io/fs"
)

//go:embed web/*.html web/ui/*.html web/ui/ui.css web/ui/live.js github/*.md.tmpl slack/*.mrkdwn.tmpl
var files embed.FS

// Files returns the embedded template files, with paths such as
// "web/setup.html". It is read-only, so callers cannot change what others see.
func Files() fs.FS { return files }
