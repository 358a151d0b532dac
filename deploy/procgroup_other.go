//go:build !linux

package deploy

import "syscall"

// groupAlive reports whether any process is left in group pgid. Zombies count
// too, so a stopped deploy may wait out its grace until init reaps them.
func groupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }

// processAttrs puts a deploy in its own process group. Outside Linux there
// is no parent-death signal: a deploy may outlive a crashed Wavegate. cred,
// when set, starts the program as another user.
func processAttrs(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: cred}
}
