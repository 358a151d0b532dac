package app

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// ProtectProcess makes Wavegate's process non-dumpable. A process running
// as the same user, a deploy command that runs as Wavegate's own user
// among them, could otherwise read Wavegate's secrets from
// /proc/<pid>/environ and /proc/<pid>/mem, or attach to it with ptrace;
// for a non-dumpable process the kernel allows that only to a process
// with CAP_SYS_PTRACE, which is root's. It also
// keeps secrets out of core dumps. The flag is the process's, not a
// thread's, and programs Wavegate starts are dumpable again after exec.
// /proc/<pid>/cmdline stays readable by every local user whatever this
// does, which is why secrets are given in files or the environment.
func ProtectProcess() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("make the process non-dumpable (prctl PR_SET_DUMPABLE 0): %w", err)
	}
	return nil
}
