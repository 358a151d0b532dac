// Command wavegate runs Wavegate: `wavegate serve` (the default) runs the
// GitHub App; `wavegate demo` plays it against a simulated GitHub and Slack;
// `wavegate validate` checks a .github/wavegate.yml like a
// compiler; `wavegate schema` prints its JSON Schema; `wavegate version`
// prints the version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/wavegate/wavegate/app"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/serverconfig"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise
// it comes from the module's build information.
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, getenv, stderr)
	case "demo":
		return runDemo(args, stdout, stderr)
	case "validate":
		return validate(args, stdout, stderr)
	case "schema":
		return schema(args, stdout, stderr)
	case "deliveries":
		return deliveries(args, cli{getenv: getenv, stdout: stdout, stderr: stderr, clock: clock.Real(), whoami: osUser})
	case "audit":
		return audit(args, cli{getenv: getenv, stdout: stdout, stderr: stderr, clock: clock.Real(), whoami: osUser})
	case "version":
		fmt.Fprintln(stdout, "wavegate", currentVersion())
		return 0
	case "help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "wavegate: unknown command %q\n\n", cmd)
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: wavegate [command] [flags]

Commands:
  serve       run the GitHub App (default); "wavegate serve -h" lists its flags
  demo        try Wavegate with a simulated GitHub and Slack, on loopback ("wavegate demo -h")
  validate    check .github/wavegate.yml (or FILE) and print problems as file:line:col
  schema      print the JSON Schema of wavegate.yml, for editors
  deliveries  list stored webhook deliveries, or retry dead ones ("wavegate deliveries" for usage)
  audit       print the commands people gave, accepted or refused ("wavegate audit -h" for usage)
  version     print the version
`)
}

func serve(args []string, getenv func(string) string, stderr io.Writer) int {
	// First, before any secret is read: see ProtectProcess.
	if err := app.ProtectProcess(); err != nil {
		fmt.Fprintln(stderr, "wavegate:", err)
		return 1
	}
	cfg, err := serverconfig.ParseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "wavegate:", err)
		if errors.As(err, new(serverconfig.UsageError)) {
			fmt.Fprintln(stderr, "run 'wavegate serve -h' for every flag")
		}
		return 2
	}
	logger, err := serverconfig.NewLogger(cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "wavegate:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("starting Wavegate", "version", currentVersion(), "config", cfg)
	a, err := app.New(ctx, cfg, app.Options{Logger: logger})
	if err != nil {
		logger.Error("cannot start", "error", err)
		fmt.Fprintln(stderr, "wavegate:", err)
		return 1
	}
	if err := a.Run(ctx); err != nil {
		logger.Error("stopped with an error", "error", err)
		return 1
	}
	return 0
}

func currentVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
