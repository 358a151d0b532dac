package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/serverconfig"
)

const defaultConfigFile = ".github/wavegate.yml"

// validate checks a wavegate.yml the way the App does and prints what it
// finds as file:line:col lines on stdout, where editors, CI problem matchers
// and scripts read a tool's findings. Exit codes: 0 valid (warnings
// allowed), 1 errors in the file (or in the server config it was checked
// against), 2 the command itself could not run.
func validate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.Bool("org", false, "the file is an organization's wavegate.yml (in <owner>/.github), where policies: and organization-wide windows: and alarms: belong")
	serverConfig := fs.String("server-config", "", "Wavegate's own config `FILE` (serve --config): check the file's {command: NAME} deployers against those it defines, and the deployers themselves as start would")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: wavegate validate [--org] [--server-config FILE] [FILE]

Checks FILE (default %s) and prints every problem as file:line:col.
Exits 0 when the file is valid (warnings allowed), 1 when it has errors,
2 when it cannot be read.

`, defaultConfigFile)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "wavegate validate: one file at a time; got %d\n\n", fs.NArg())
		fs.Usage()
		return 2
	}
	var deployers []string
	if *serverConfig != "" {
		names, code := checkServerConfig(*serverConfig, stdout, stderr)
		if code != 0 {
			return code
		}
		deployers = names
	}
	name := cmp.Or(fs.Arg(0), defaultConfigFile)
	data, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintln(stderr, "wavegate validate:", err)
		return 2
	}

	parse := config.Parse
	if *org {
		parse = config.ParseOrg
	}
	file, diags := parse(name, data)
	serverconfig.PlaceSyntaxErrors(diags, data)
	var pipelines []pipeline.Pipeline
	// A file with errors in its structure is reported alone: config.Parse
	// keeps no pipelines: section to check.
	if file != nil {
		ps, more := pipeline.Parse(name, file.Pipelines)
		pipelines, diags = ps, append(diags, more...)
		_, more = pipeline.ParseOrgWindows(name, file.Windows)
		diags = append(diags, more...)
		_, more = pipeline.ParseOrgAlarms(name, file.Alarms)
		diags = append(diags, more...)
	}
	if *serverConfig != "" {
		diags = append(diags, pipeline.CheckDeployers(name, pipelines, deployers)...)
	}
	slices.SortStableFunc(diags, func(a, b config.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	for _, d := range diags {
		fmt.Fprintln(stdout, d)
	}
	if *serverConfig == "" {
		noteUnchecked(stdout, name, pipelines)
	}
	if diags.HasErrors() {
		return 1
	}
	stages := 0
	for _, p := range pipelines {
		stages += len(p.Stages)
	}
	fmt.Fprintf(stdout, "%s: ok (%s, %s)\n", name, count(len(pipelines), "pipeline"), count(stages, "stage"))
	return 0
}

// checkServerConfig checks Wavegate's own config file as `serve` would at
// start, as the user validate runs as, and returns its deployers' names.
// Its problems are findings (exit 1); a file that cannot be read stops
// validate (exit 2).
func checkServerConfig(path string, stdout, stderr io.Writer) ([]string, int) {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(stderr, "wavegate validate:", err)
		return nil, 2
	}
	names, warnings, err := serverconfig.CheckServerConfig(path, wd, os.Geteuid())
	var pathErr *fs.PathError
	switch {
	case errors.As(err, &pathErr) && pathErr.Path == path:
		fmt.Fprintln(stderr, "wavegate validate: --server-config:", err)
		return nil, 2
	case err != nil:
		fmt.Fprintln(stdout, err)
		return nil, 1
	}
	for _, w := range warnings {
		fmt.Fprintf(stdout, "%s: warning: %s\n", path, w)
	}
	return names, 0
}

// noteUnchecked says which deployer names were taken on trust: only the
// server's config knows which exist.
func noteUnchecked(stdout io.Writer, file string, ps []pipeline.Pipeline) {
	var named []string
	for _, p := range ps {
		if p.Deployer.Kind == pipeline.DeployerCommand {
			named = append(named, fmt.Sprintf("%q (%d:%d)", p.Deployer.Name, p.Deployer.Pos.Line, p.Deployer.Pos.Column))
		}
	}
	if len(named) > 0 {
		fmt.Fprintf(stdout, "%s: note: deployer names %s were not checked against Wavegate's server config; give it with --server-config to check them\n",
			file, strings.Join(named, ", "))
	}
}

// schema prints the JSON Schema of wavegate.yml, for editors.
func schema(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: wavegate schema\n\nPrints the JSON Schema (draft 2020-12) of wavegate.yml.")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "wavegate schema: takes no arguments")
		return 2
	}
	if _, err := stdout.Write(pipeline.Schema()); err != nil {
		fmt.Fprintln(stderr, "wavegate schema:", err)
		return 1
	}
	return 0
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
