// Package demo is `wavegate demo`: Wavegate running against a simulated
// GitHub, Slack, Alertmanager and Prometheus on loopback, with a fast
// clock, playing a story a newcomer can watch on the web pages without any
// account and without reaching the network.
package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wavegate/wavegate/app"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/internal/fakes/slackfake"
	"github.com/wavegate/wavegate/pipeline"
)

// Defaults of Options.
const (
	DefaultListen = "127.0.0.1:3000"
	// DefaultSpeed makes a one-hour bake take six seconds.
	DefaultSpeed = 600
	// DefaultApproveAfter and DefaultResumeAfter are how long, in demo time,
	// the demo leaves the viewer to approve or resume before it does.
	DefaultApproveAfter = 2 * time.Hour
	DefaultResumeAfter  = 12 * time.Hour
	// leases outlast anything the demo's Wavegate does, at any speed.
	leases = 7 * 24 * time.Hour
)

// Options configure a demo.
type Options struct {
	// Listen is the address of the web pages: loopback only, as the demo's
	// secrets are made up and its pages public. DefaultListen when empty;
	// port 0 picks a free port.
	Listen string
	// Speed is how many times faster than real time the demo's clock runs;
	// DefaultSpeed when zero.
	Speed int64
	// ApproveAfter and ResumeAfter (demo time) are the viewer's head start
	// before the demo approves a release or resumes the held stage itself;
	// the defaults when zero. A negative ResumeAfter never resumes.
	ApproveAfter, ResumeAfter time.Duration
	// Out receives the story, a line per step; discarded when nil.
	Out io.Writer
	// Logger receives Wavegate's logs; discarded when nil.
	Logger *slog.Logger
}

// Demo is a running demo.
type Demo struct {
	opts     Options
	clk      *clock.Scaled
	sim      *sim
	slack    *slackfake.Server
	app      *app.App
	cfg      app.Config
	dataDir  string
	url      string
	finished chan struct{}
	done     chan struct{}
	err      error // set before done closes

	alarmFiring atomic.Bool

	mu      sync.Mutex
	state   pipeline.State
	changed chan struct{} // closed and replaced on each save
	lines   []string      // the story so far, for the page
	// ended is how each release ended, kept because the engine drops
	// finished releases from its state once reported.
	ended   map[int64]pipeline.ReleaseStatus
	failure error
	runCtx  context.Context // ends when the demo stops
	cancel  context.CancelFunc
}

// Start starts the simulated world and Wavegate, and plays the story in
// the background; everything stops, and the data directory is removed,
// when ctx ends (Done then closes).
func Start(ctx context.Context, o Options) (*Demo, error) {
	o.Listen = cmp.Or(o.Listen, DefaultListen)
	o.Speed = cmp.Or(o.Speed, DefaultSpeed)
	o.ApproveAfter = cmp.Or(o.ApproveAfter, DefaultApproveAfter)
	o.ResumeAfter = cmp.Or(o.ResumeAfter, DefaultResumeAfter)
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	host, _, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("demo: listen address %q: %w", o.Listen, err)
	}
	if !isLoopback(host) {
		return nil, fmt.Errorf("demo: listen address %q is not loopback: the demo's pages are public and its secrets made up, so it serves on 127.0.0.1, ::1 or localhost only", o.Listen)
	}
	clk, err := clock.NewScaled(clock.Real(), time.Now(), o.Speed)
	if err != nil {
		return nil, fmt.Errorf("demo: --speed: %w", err)
	}
	d := &Demo{opts: o, clk: clk, finished: make(chan struct{}), done: make(chan struct{}), changed: make(chan struct{})}
	ok := false
	var cleanup []func()
	defer func() {
		if !ok {
			for _, f := range cleanup {
				f()
			}
		}
	}()

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("demo: listen on %s: %w", o.Listen, err)
	}
	cleanup = append(cleanup, func() { ln.Close() })
	d.url = "http://" + ln.Addr().String()

	if d.dataDir, err = os.MkdirTemp("", "wavegate-demo-"); err != nil {
		return nil, fmt.Errorf("demo: data directory: %w", err)
	}
	cleanup = append(cleanup, func() { os.RemoveAll(d.dataDir) })

	creds, err := newCredentials()
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	d.runCtx, d.cancel = runCtx, cancel
	cleanup = append(cleanup, cancel)
	transport := loopbackOnly{base: http.DefaultTransport}
	d.sim = &sim{clk: clk, creds: creds, appURL: d.url, outcomes: &outcomes{},
		client: &http.Client{Transport: transport, Timeout: 30 * time.Second}, onDeploy: d.onDeploy}
	gh, err := githubfake.Start(githubfake.Options{Clock: clk, Logger: o.Logger,
		OnDeployment: func(_ string, dep githubfake.Deployment) {
			go func() {
				if err := d.sim.carryOut(runCtx, dep); err != nil {
					d.fail(err)
				}
			}()
		},
		// The viewer acts on the simulated GitHub's pull request pages.
		Viewer: viewer,
		OnComment: func(_ string, number int, body string) error {
			d.say("@%s comments on PR #%d: %s", viewer, number, firstLine(body))
			return d.comment(runCtx, pull{number: number}, viewer, body)
		},
		OnPress: func(_ string, run githubfake.CheckRun, button string) error {
			d.say("@%s presses %s on %s", viewer, button, run.Name)
			return d.press(runCtx, run, button)
		},
	})
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, gh.Close)
	d.sim.gh = gh
	seed(gh, creds)
	d.slack = slackfake.Start()
	// A release page's link to its Slack thread opens the demo's page of
	// the channel, not a Slack that is not there.
	d.slack.SetPermalinkBase(d.url + "/demo/slack#")
	cleanup = append(cleanup, d.slack.Close)

	prom, err := startPrometheus(clk)
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, prom.Close)
	d.cfg = appConfig(ln.Addr().String(), d.dataDir, gh.URL(), d.slack.URL(), prom.url, creds)
	if err := checkLoopback(configURLs(d.cfg)); err != nil {
		return nil, err
	}
	d.app, err = app.New(runCtx, d.cfg, app.Options{
		Clock: clk, Logger: o.Logger, GitHubTransport: transport, Leases: leases,
		// A session lasts its hours at a person's pace, not the story's.
		WebClock:          clock.Real(),
		OnDeliveryOutcome: d.sim.outcomes.report,
		OnEngineSaved:     d.saved,
		Routes:            d.routes,
	})
	if err != nil {
		return nil, fmt.Errorf("demo: start Wavegate: %w", err)
	}
	ok = true

	served := make(chan error, 1)
	go func() { served <- d.app.Serve(runCtx, ln) }()
	go func() {
		if err := d.story(runCtx); err != nil {
			d.fail(err)
		}
	}()
	go func() {
		err := <-served
		gh.Close()
		d.slack.Close()
		prom.Close()
		if rerr := os.RemoveAll(d.dataDir); rerr != nil {
			err = errors.Join(err, fmt.Errorf("demo: remove %s: %w", d.dataDir, rerr))
		}
		d.mu.Lock()
		d.err = errors.Join(err, d.failure)
		d.mu.Unlock()
		close(d.done)
	}()
	return d, nil
}

// URL is the web pages' address: the overview of every pipeline.
func (d *Demo) URL() string { return d.url + "/ui/" }

// StoryURL is the demo's own page: the story so far and the Slack channel.
func (d *Demo) StoryURL() string { return d.url + "/demo/" }

// SlackURL is the page of the simulated Slack channel.
func (d *Demo) SlackURL() string { return d.url + "/demo/slack" }

// Finished closes once the story's three releases reached their ends:
// two released, the third rolled back with its stage held.
func (d *Demo) Finished() <-chan struct{} { return d.finished }

// Done closes once everything stopped and the data directory is gone.
func (d *Demo) Done() <-chan struct{} { return d.done }

// Err is why the demo stopped badly, once Done is closed; nil otherwise.
func (d *Demo) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// Speed is how many times faster than real time the demo runs.
func (d *Demo) Speed() int64 { return d.clk.Speed() }

// fail records a failure of the simulation and stops the demo: a story
// that cannot go on would only mislead. What fails because the demo is
// stopping is no failure.
func (d *Demo) fail(err error) {
	if d.runCtx.Err() != nil {
		return
	}
	d.mu.Lock()
	if d.failure == nil {
		d.failure = err
	}
	d.mu.Unlock()
	d.say("The demo stopped: %v", err)
	d.cancel()
}

// say tells one step of the story, stamped with the demo's clock in UTC,
// as the pages show times.
func (d *Demo) say(format string, args ...any) {
	line := fmt.Sprintf("[%s] ", d.clk.Now().UTC().Format("Mon 15:04")) + fmt.Sprintf(format, args...)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lines = append(d.lines, line)
	fmt.Fprintln(d.opts.Out, line)
}

// pause waits for dt of demo time.
func (d *Demo) pause(ctx context.Context, dt time.Duration) error {
	t := d.clk.NewTimer(dt)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}

// real is how long dt of demo time takes, for the viewer.
func (d *Demo) real(dt time.Duration) string {
	return d.clk.Real(dt).Round(100*time.Millisecond).String() + " real"
}

// saved is the app's OnEngineSaved: it keeps the latest state of the demo
// pipeline, narrates what changed, and wakes whoever waits on it.
func (d *Demo) saved(key pipeline.Key, res pipeline.Result) {
	if key.Repository != repoFull || key.Pipeline != pipelineName {
		return
	}
	d.mu.Lock()
	prev := d.state
	d.state = res.State
	for _, r := range res.State.Releases {
		if r.Status != pipeline.ReleaseActive && r.Status != "" {
			if d.ended == nil {
				d.ended = map[int64]pipeline.ReleaseStatus{}
			}
			d.ended[r.ID] = r.Status
		}
	}
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
	for _, line := range narrate(prev, res.State) {
		d.say("%s", line)
	}
}

// endedAs is how release id ended; "" while it has not.
func (d *Demo) endedAs(id int64) pipeline.ReleaseStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ended[id]
}

func (d *Demo) latest() pipeline.State {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state
}

// until waits for a saved state that cond accepts.
func (d *Demo) until(ctx context.Context, cond func(pipeline.State) bool) error {
	for {
		d.mu.Lock()
		st, changed := d.state, d.changed
		d.mu.Unlock()
		if cond(st) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}
