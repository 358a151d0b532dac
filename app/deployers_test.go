package app

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wavegate/wavegate/deploy"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/internal/testlog"
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
	log := &testlog.Buffer{}
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
