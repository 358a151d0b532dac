package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wavegate/wavegate/demo"
)

// runDemo is `wavegate demo`: Wavegate against a simulated GitHub, Slack,
// Alertmanager and Prometheus on loopback, playing a story on a fast clock,
// until Ctrl-C.
func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", demo.DefaultListen, "`ADDR`ess of the web pages: loopback only (127.0.0.1, ::1 or localhost), as the demo's pages are public and its secrets made up; port 0 picks a free port")
	speed := fs.Int64("speed", demo.DefaultSpeed, "how many times faster than real time the demo's clock runs (`N`, 1 to 1000000); at 600 a one-hour bake takes 6s")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: wavegate demo [--listen ADDR] [--speed N]

Runs Wavegate against a simulated GitHub, Slack, Alertmanager and Prometheus
on this machine, with a clock running fast, and plays a story: a pull request held
by the review gate until approved and its checklist ticked; its release
through alpha, beta, gamma, an approval and three production waves, one box
first; a second release behind it; a third rolled back when an alarm fires
on its wave-1 one-box, its stage held until resumed. It prints the pages'
address and a line per step. Nothing reaches the network, and its data, in
a temporary directory, is removed when it stops (Ctrl-C).

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wavegate demo: unexpected arguments: %v\nrun 'wavegate demo -h' for its flags\n", fs.Args())
		return 2
	}
	if *speed < 1 {
		fmt.Fprintf(stderr, "wavegate demo: --speed %d: want at least 1 (1 is real time)\n", *speed)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := demo.Start(ctx, demo.Options{
		Listen: *listen, Speed: *speed, Out: stdout,
		// Only what stops the demo; the story on stdout tells the rest.
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		fmt.Fprintln(stderr, "wavegate demo:", err)
		return 2
	}
	hour := time.Duration(int64(time.Hour) / d.Speed()).Round(time.Millisecond)
	fmt.Fprintf(stdout, `Wavegate demo: GitHub, Slack, Alertmanager and Prometheus are simulated on this machine; nothing reaches the network.
  Pipelines:     %s (press Sign in, then "Sign in as you" on the simulated GitHub)
  The story:     %s
  Slack channel: %s
The clock runs %d times real time: a one-hour bake takes %s. Ctrl-C stops the demo and deletes its data.

`, d.URL(), d.StoryURL(), d.SlackURL(), d.Speed(), hour)
	select {
	case <-d.Finished():
		fmt.Fprintln(stdout, "\nThe story's three releases have reached their ends; the pages stay up until Ctrl-C.")
	case <-d.Done():
	}
	<-d.Done()
	if err := d.Err(); err != nil {
		fmt.Fprintln(stderr, "wavegate demo:", err)
		return 1
	}
	fmt.Fprintln(stdout, "Stopped; the demo's data is deleted.")
	return 0
}
