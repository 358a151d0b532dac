package app

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wavegate/wavegate/deploy"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// testDeployUser is the unprivileged user CI creates (.ci/run) for deploys.
const testDeployUser = "wavegate-deploy"

// deployWorkDir makes a directory for deploy scripts that deploys can
// write in, and the deployer "deploy" that runs ./deploy.sh there. Deploys
// run as whoever they run as in production: as root (CI), Wavegate refuses
// to start a deployer without user:, so it is the unprivileged deploy
// user, and the directory is theirs; otherwise the tests' own user.
func deployWorkDir(t *testing.T) (string, map[string]DeployerConfig) {
	t.Helper()
	if os.Geteuid() != 0 {
		return t.TempDir(), map[string]DeployerConfig{"deploy": {Command: []string{"./deploy.sh"}}}
	}
	a := requireDeployAccount(t)
	// Not under t.TempDir(), whose parent only root may enter.
	dir, err := os.MkdirTemp("", "wavegate-deploy-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, int(a.UID), int(a.GID)); err != nil {
		t.Fatal(err)
	}
	return dir, map[string]DeployerConfig{"deploy": {Command: []string{"./deploy.sh"}, User: testDeployUser}}
}

func requireDeployAccount(t *testing.T) *deploy.Account {
	t.Helper()
	a, err := deploy.LookupAccount(testDeployUser)
	if err != nil {
		t.Fatalf("%v: create the user as .ci/run does: useradd --system --no-create-home --shell /usr/sbin/nologin %s", err, testDeployUser)
	}
	return a
}

// writeDeployersFile writes a server config file that defines deployers,
// for a Wavegate process configured through WAVEGATE_CONFIG.
func writeDeployersFile(t *testing.T, deployers map[string]DeployerConfig) string {
	t.Helper()
	defs := map[string]any{}
	for name, d := range deployers {
		def := map[string]any{"command": d.Command}
		for k, v := range map[string]string{"user": d.User, "dir": d.Dir} {
			if v != "" {
				def[k] = v
			}
		}
		if len(d.Env) > 0 {
			def["env"] = d.Env
		}
		if d.Timeout > 0 {
			def["timeout"] = d.Timeout.String()
		}
		defs[name] = def
	}
	data, err := yaml.Marshal(map[string]any{"deployers": defs})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wavegate.yml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// deployers: in the config file: what the file says, or every problem at
// file:line:col.
func TestConfigFileDeployers(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		yaml string
		want map[string]DeployerConfig // with At left out
		errs []string                  // without the file name
	}{
		{name: "full", yaml: "deployers:\n  blue:\n    command: [/srv/deploy/bin/deploy, --cluster, blue]\n" +
			"    env: {AWS_PROFILE: deploy, RETRIES: 3}\n    user: deploy\n    dir: /srv/deploy\n    timeout: 45m\n  green:\n    command: [./deploy.sh]\n",
			want: map[string]DeployerConfig{
				"blue": {Command: []string{"/srv/deploy/bin/deploy", "--cluster", "blue"}, Env: map[string]string{"AWS_PROFILE": "deploy", "RETRIES": "3"},
					User: "deploy", Dir: "/srv/deploy", Timeout: 45 * time.Minute},
				"green": {Command: []string{"./deploy.sh"}},
			}},
		{name: "none", yaml: "deployers:\nlisten: :1\n", want: nil},
		{name: "name", yaml: "deployers:\n  Blue: {command: [x]}\n", errs: []string{
			`:2:3: error: deployer name "Blue" is not allowed: use lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters (pipelines name it in deployer: {command: NAME})`}},
		{name: "unknown key", yaml: "deployers:\n  blue: {command: [x], users: deploy}\n", errs: []string{
			`:2:24: error: unknown key "users" in deployers.blue (did you mean "user"?)`}},
		{name: "no command", yaml: "deployers:\n  blue: {user: deploy}\n", errs: []string{
			`:2:3: error: deployers.blue needs command: the program and its arguments, such as [/srv/deploy/bin/deploy, --verbose]`}},
		{name: "empty command", yaml: "deployers:\n  blue: {command: []}\n", errs: []string{
			`:2:19: error: deployers.blue.command is empty: it needs at least the program to run`}},
		{name: "command as one string", yaml: "deployers:\n  blue: {command: ./deploy.sh --fast}\n", errs: []string{
			`:2:19: error: deployers.blue.command must be a list of arguments, not one string: write command: ["./deploy.sh", "--fast"]`}},
		{name: "empty argument", yaml: "deployers:\n  blue: {command: [x, '']}\n", errs: []string{
			`:2:23: error: deployers.blue.command[1] must not be empty`}},
		{name: "reserved env", yaml: "deployers:\n  blue: {command: [x], env: {WAVEGATE_TARGET: x, wavegate_sha: y}}\n", errs: []string{
			`:2:30: error: deployers.blue.env: WAVEGATE_TARGET is reserved: WAVEGATE_* variables are the step's, set by Wavegate`,
			`:2:50: error: deployers.blue.env: wavegate_sha is reserved: WAVEGATE_* variables are the step's, set by Wavegate`}},
		{name: "env name", yaml: "deployers:\n  blue: {command: [x], env: {1A: x, A-B: y}}\n", errs: []string{
			`:2:30: error: deployers.blue.env: "1A" is not a valid environment variable name: use letters, digits and "_", not starting with a digit`,
			`:2:37: error: deployers.blue.env: "A-B" is not a valid environment variable name: use letters, digits and "_", not starting with a digit`}},
		{name: "env value", yaml: "deployers:\n  blue: {command: [x], env: {A: [x]}}\n", errs: []string{
			`:2:33: error: deployers.blue.env.A must be a single value, got a list`}},
		{name: "relative dir", yaml: "deployers:\n  blue: {command: [x], dir: srv}\n", errs: []string{
			`:2:29: error: deployers.blue.dir must be an absolute path, got "srv"`}},
		{name: "timeout", yaml: "deployers:\n  blue: {command: [x], timeout: 2d}\n  green: {command: [x], timeout: 0s}\n", errs: []string{
			`:2:33: error: deployers.blue.timeout "2d": durations have no days: write 48h`,
			`:3:34: error: deployers.green.timeout must be longer than 0s, got "0s"`}},
		{name: "empty user", yaml: "deployers:\n  blue: {command: [x], user: ''}\n", errs: []string{
			`:2:30: error: deployers.blue.user must not be empty`}},
		{name: "twice", yaml: "deployers:\n  blue: {command: [x], env: {A: 1, A: 2}, user: a, user: b}\n  blue: {command: [y]}\n", errs: []string{
			`:2:36: error: "A" is set twice (first at line 2)`,
			`:2:52: error: "user" is set twice (first at line 2)`,
			`:3:3: error: "blue" is set twice (first at line 2)`}},
		{name: "not a mapping", yaml: "deployers: [blue]\n", errs: []string{
			`:1:12: error: deployers must be a mapping of deployer names to deployers, got a list`}},
		{name: "entry not a mapping", yaml: "deployers:\n  blue: [x]\n", errs: []string{
			`:2:9: error: deployers.blue must be a mapping with command: and, as needed, user:, dir:, env: and timeout:, got a list`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := ParseConfig([]string{"--config", path}, func(string) string { return "" }, io.Discard)
			if tc.errs != nil {
				var want []string
				for _, e := range tc.errs {
					want = append(want, path+e)
				}
				if err == nil || err.Error() != strings.Join(want, "\n") {
					t.Fatalf("err:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, d := range cfg.Deployers {
				if !strings.HasPrefix(d.At, path+":") {
					t.Errorf("%s defined at %q", name, d.At)
				}
				d.At = ""
				cfg.Deployers[name] = d
			}
			if !reflect.DeepEqual(cfg.Deployers, tc.want) {
				t.Errorf("deployers = %+v, want %+v", cfg.Deployers, tc.want)
			}
		})
	}
}

// At start, deployers are checked against the machine, as whoever Wavegate
// runs as: as root, each needs an unprivileged user:; otherwise deploys
// share Wavegate's user, which is allowed with a warning.
// Wavegate as root refuses to start with a deployer that would run as
// root; the message says what to do.
func TestNewRefusesARootDeployer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the refusal is for Wavegate running as root")
	}
	fake := newFake(t)
	cfg := newConfig(t, fake, true)
	cfg.Deployers = map[string]DeployerConfig{"deploy": {Command: []string{"./deploy.sh"}}}
	_, err := New(t.Context(), cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), "deployers.deploy has no user:, and Wavegate runs as root: set user:") {
		t.Fatalf("New: %v", err)
	}
}

// A push whose pipeline names a deployer the server does not define starts
// no release, and says where in the file; a pipeline that names one does.
func TestPushNamingAnUndefinedDeployerStartsNoRelease(t *testing.T) {
	fake := newFake(t)
	fake.AddCommit("acme/api", githubfake.Commit{SHA: "c1"})
	fake.SetFile("acme/api", "c1", ".github/wavegate.yml", "pipelines:\n  app:\n    branch: release\n    deployer: {command: bleu}\n"+
		"    stages: [{name: alpha, targets: [alpha], bake: 10m}]\n")
	workDir, deployers := deployWorkDir(t)
	writeScript(t, workDir, deployScript)
	cfg := newConfig(t, fake, true)
	cfg.Deployers = map[string]DeployerConfig{"blue": deployers["deploy"]}
	log := &lockedBuffer{}
	saved := make(chan pipeline.Key, 10)
	r := startWith(t, cfg, fake, clock.NewFake(time.Now()), Options{WorkDir: workDir,
		Logger:        slog.New(slog.NewTextHandler(log, nil)),
		OnEngineSaved: func(k pipeline.Key, _ pipeline.Result) { saved <- k }})
	r.deliver("push", "p-1", `{"ref":"refs/heads/release","before":"c0","after":"c1","installation":{"id":1},`+
		`"repository":{"id":9,"name":"api","full_name":"acme/api","default_branch":"main","owner":{"login":"acme"}},`+
		`"commits":[{"id":"c1","modified":["a.go"]}]}`)
	if o := r.next(); o.State != store.DeliveryDone {
		t.Fatalf("push: %s %v", o.State, o.Err)
	}
	select {
	case k := <-saved:
		t.Fatalf("a release started in %v", k)
	default:
	}
	want := `.github/wavegate.yml:4:25: error: pipelines.app.deployer.command: Wavegate's server defines no deployer \"bleu\" (did you mean \"blue\"?) (it defines blue)`
	if got := log.String(); !strings.Contains(got, "no release started") || !strings.Contains(got, want) {
		t.Errorf("log:\n%s\nwant the error at file:line: %s", got, want)
	}
	if got := readInvocations(t, workDir); len(got) != 0 {
		t.Errorf("deploys ran: %q", got)
	}
}

// A release that reaches a deploy whose deployer is gone (the server's
// config changed, or the state was stored when repositories gave their own
// argv) fails that step with the reason, and runs nothing.
func TestDeployWithoutItsDeployerFailsWithTheReason(t *testing.T) {
	for _, tc := range []struct {
		name, deployer, reason string
	}{
		{"removed from the server", "gone", `Wavegate's server defines no deployer "gone": its operator adds it under deployers: in Wavegate's config file`},
		{"stored with a repository's argv", "", "this release's pipeline gives its program in the repository, which Wavegate no longer runs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newEngineWorld(t)
			saved := make(chan pipeline.Result, 100)
			r := startWith(t, w.cfg, w.fake, w.clock, Options{WorkDir: w.workDir,
				OnEngineSaved: func(_ pipeline.Key, res pipeline.Result) { saved <- res }})
			p := parsePipelines(t, enginePipelines)[0]
			p.Deployer = pipeline.Deployer{Kind: pipeline.DeployerCommand, Name: tc.deployer}
			key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
			if _, err := r.app.runner.ApplyWith(t.Context(), key, p, func(_ pipeline.Pipeline, st *pipeline.State) error {
				return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "c1", CreatedAt: w.clock.Now()})
			}); err != nil {
				t.Fatal(err)
			}
			for {
				select {
				case res := <-saved:
					step := res.State.Releases[0].Stages["alpha"].Targets["alpha"].Step
					if step == nil || step.Outcome == "" {
						continue
					}
					if step.Outcome != pipeline.OutcomeFailed || !strings.HasPrefix(step.Reason, tc.reason) {
						t.Fatalf("alpha's step: %s %q; want failed: %s", step.Outcome, step.Reason, tc.reason)
					}
					if got := w.invocations(); len(got) != 0 {
						t.Fatalf("deploys ran: %q", got)
					}
					return
				case <-time.After(10 * time.Second): // deadlock guard only
					t.Fatal("the step never finished")
				}
			}
		})
	}
}

func readInvocations(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "invocations.log"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

// lockedBuffer is a log destination that handlers write to while the test
// reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
