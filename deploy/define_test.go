package deploy

import (
	"cmp"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrepareDeployers(t *testing.T) {
	work := t.TempDir()
	file := filepath.Join(work, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	nobody, err := LookupAccount("nobody")
	if err != nil {
		t.Skipf("this machine has no user nobody: %v", err)
	}
	cmd := []string{"/bin/true"}
	for _, tc := range []struct {
		name     string
		euid     int
		def      Definition
		err      string
		account  bool
		warnings int
	}{
		{name: "root with a user", euid: 0, def: Definition{Command: cmd, User: "nobody"}, account: true},
		{name: "root without a user", euid: 0, def: Definition{Command: cmd, At: "w.yml:2:3"},
			err: "w.yml:2:3: error: deployers.d has no user:, and Wavegate runs as root: set user: to an unprivileged account made for deploys (such as wavegate-deploy), so that deploys cannot read Wavegate's secrets"},
		{name: "root as root", euid: 0, def: Definition{Command: cmd, User: "root"},
			err: "deployers.d.user: root has uid 0: deploys must run as an unprivileged user"},
		{name: "no such user", euid: 0, def: Definition{Command: cmd, User: "wavegate-no-such-user"},
			err: `deployers.d.user: look up user "wavegate-no-such-user": user: unknown user wavegate-no-such-user; create the user or name another`},
		{name: "not root, no user", euid: 4242, def: Definition{Command: cmd}, warnings: 1},
		{name: "not root, as itself", euid: int(nobody.UID), def: Definition{Command: cmd, User: "nobody"}, warnings: 1},
		{name: "not root, as another", euid: 4242, def: Definition{Command: cmd, User: "nobody"},
			err: "deployers.d.user: Wavegate runs as uid 4242, which cannot start programs as nobody: run Wavegate as root, or leave user: out"},
		{name: "missing dir", euid: 4242, def: Definition{Command: cmd, Dir: filepath.Join(work, "nope")},
			err: "deployers.d.dir: stat " + filepath.Join(work, "nope") + ": no such file or directory"},
		{name: "dir is a file", euid: 4242, def: Definition{Command: cmd, Dir: file},
			err: "deployers.d.dir: " + file + " is not a directory"},
		{name: "no command", euid: 4242, def: Definition{},
			err: "deployers.d.command is empty: it needs at least the program to run"},
		{name: "reserved env", euid: 4242, def: Definition{Command: cmd, Env: map[string]string{"WAVEGATE_SHA": "x"}},
			err: `deployers.d.env: "WAVEGATE_SHA" is not allowed`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmds, warnings, err := Prepare(map[string]Definition{"d": tc.def}, work, tc.euid)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := cmds["d"]
			if (c.Account != nil) != tc.account || len(warnings) != tc.warnings || c.Dir != cmp.Or(tc.def.Dir, work) {
				t.Errorf("account %+v, dir %q, warnings %q", c.Account, c.Dir, warnings)
			}
			if tc.account && c.Account.UID != nobody.UID {
				t.Errorf("runs as uid %d, want nobody's, %d", c.Account.UID, nobody.UID)
			}
		})
	}
}
