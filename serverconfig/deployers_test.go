package serverconfig

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

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
