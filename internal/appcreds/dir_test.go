package appcreds

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestPrepareDirModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	tests := []struct {
		name    string
		dirMode fs.FileMode
		file    string // a secret file to create, with fileMode
		mode    fs.FileMode
		want    string // "" for accepted; else the error's chmod advice
	}{
		{name: "private dir", dirMode: 0o700},
		{name: "group-readable dir", dirMode: 0o750},
		{name: "world-readable dir", dirMode: 0o755},
		{name: "group-writable dir", dirMode: 0o770, want: "chmod 700 DIR"},
		{name: "world-writable dir", dirMode: 0o707, want: "chmod 700 DIR"},
		{name: "sticky world-writable dir", dirMode: 0o777 | fs.ModeSticky, want: "chmod 700 DIR"},
		{name: "private key 0600", dirMode: 0o700, file: PEMFile, mode: 0o600},
		{name: "private key 0400", dirMode: 0o700, file: PEMFile, mode: 0o400},
		{name: "private key group-readable", dirMode: 0o700, file: PEMFile, mode: 0o640, want: "chmod 600 DIR/github-app.pem"},
		{name: "private key world-readable", dirMode: 0o700, file: PEMFile, mode: 0o644, want: "chmod 600 DIR/github-app.pem"},
		{name: "secrets world-writable", dirMode: 0o700, file: JSONFile, mode: 0o602, want: "chmod 600 DIR/github-app.json"},
		{name: "secrets group-writable", dirMode: 0o700, file: JSONFile, mode: 0o620, want: "chmod 600 DIR/github-app.json"},
		{name: "setup token world-readable", dirMode: 0o700, file: SetupTokenFile, mode: 0o604, want: "chmod 600 DIR/setup-token"},
		{name: "setup token private", dirMode: 0o700, file: SetupTokenFile, mode: 0o600},
		{name: "database is not a secret file", dirMode: 0o700, file: "wavegate.db", mode: 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if tt.file != "" {
				path := filepath.Join(dir, tt.file)
				if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(dir, tt.dirMode); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
			err := PrepareDir(dir)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("PrepareDir refused mode %v: %v", tt.dirMode, err)
				}
				return
			}
			want := "fix it with: " + strings.ReplaceAll(tt.want, "DIR", dir)
			if err == nil || !strings.HasSuffix(err.Error(), want) {
				t.Fatalf("err = %v, want one ending %q", err, want)
			}
		})
	}
}

func TestPrepareDirCreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "wavegate")
	if err := PrepareDir(dir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o700 {
		t.Fatalf("created mode %v, want 0700", st.Mode().Perm())
	}
}

func TestPrepareDirNotADirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := PrepareDir(path); err == nil || !strings.Contains(err.Error(), path+" is not a directory") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckPrivateKeyFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	tests := []struct {
		mode fs.FileMode
		ok   bool
	}{
		{0o600, true},
		{0o400, true},
		{0o640, true}, // read through Wavegate's group
		{0o440, true},
		{0o644, false},
		{0o604, false},
		{0o660, false},
		{0o602, false},
		{0o666, false},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "key with space.pem")
		if err := os.WriteFile(path, []byte("k"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tt.mode); err != nil {
			t.Fatal(err)
		}
		err := CheckPrivateKeyFile(path)
		if tt.ok != (err == nil) {
			t.Errorf("mode %04o: err = %v, want ok=%v", tt.mode, err, tt.ok)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), "chmod 600 '"+path+"'") {
			t.Errorf("mode %04o: %v lacks the quoted chmod", tt.mode, err)
		}
	}
}

func TestSetupTokenCreatedOnceAndRemoved(t *testing.T) {
	dir := t.TempDir()
	token, created, err := SetupToken(dir)
	if err != nil || !created {
		t.Fatalf("SetupToken = %q, created %v, %v", token, created, err)
	}
	if len(token) < 26 || strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Fatalf("token %q is not 26+ URL-safe base32 characters (130 bits)", token)
	}
	path := filepath.Join(dir, SetupTokenFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("%s mode %v, want 0600", path, st.Mode().Perm())
	}
	again, created, err := SetupToken(dir)
	if err != nil || created || again != token {
		t.Fatalf("second SetupToken = %q created %v %v, want the same token reused", again, created, err)
	}
	if other, _, _ := SetupToken(t.TempDir()); other == token {
		t.Fatal("two data directories got the same token")
	}
	if err := RemoveSetupToken(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("token file still there: %v", err)
	}
	if err := RemoveSetupToken(dir); err != nil {
		t.Fatalf("removing a missing token: %v", err)
	}
}

func TestSetupTokenReplacesMangledFile(t *testing.T) {
	for name, content := range map[string]string{"empty": "", "short": "abc\n", "spaces": "not a token at all, with spaces\n"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, SetupTokenFile), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			token, created, err := SetupToken(dir)
			if err != nil || !created || !validToken(token) {
				t.Fatalf("SetupToken = %q created %v %v, want a fresh token", token, created, err)
			}
		})
	}
}
