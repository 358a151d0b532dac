package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/pipeline"
)

const defaultConfigFile = ".github/wavegate.yml"

// validate checks a wavegate.yml the way the App does and prints what it
// finds as file:line:col lines on stdout, where editors, CI problem matchers
// and scripts read a tool's findings. Exit codes: 0 valid (warnings
// allowed), 1 errors in the file, 2 the command itself could not run.
func validate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.Bool("org", false, "the file is an organization's wavegate.yml (in <owner>/.github), where policies: belong")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: wavegate validate [--org] [FILE]

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
	var pipelines []pipeline.Pipeline
	// A file with errors in its structure is reported alone: config.Parse
	// keeps no pipelines: section to check.
	if file != nil {
		ps, more := pipeline.Parse(name, file.Pipelines)
		pipelines, diags = ps, append(diags, more...)
	}
	slices.SortStableFunc(diags, func(a, b config.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	for _, d := range diags {
		fmt.Fprintln(stdout, d)
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
