package deploy

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// groupAlive reports whether a live process is left in group pgid.
// kill(-pgid, 0) alone is not enough: it counts zombies, and the zombie of an
// orphan lingers until init reaps it, which in a container may be never, so
// every stopped deploy would wait out its whole grace.
func groupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true // cannot tell: let the grace run out
	}
	want := []byte(strconv.Itoa(pgid))
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone since ReadDir
		}
		// "pid (comm) state ppid pgrp ...": comm may hold spaces and parens.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) >= 3 && bytes.Equal(f[2], want) && !bytes.Equal(f[0], []byte("Z")) && !bytes.Equal(f[0], []byte("X")) {
			return true
		}
	}
	return false
}

// processAttrs puts a deploy in its own process group and has the kernel
// kill it if Wavegate dies. A deploy that outlived a crashed Wavegate would
// finish unobserved, and the restarted Wavegate, knowing nothing of its
// outcome, would run the step again beside it or after it. (The signal
// follows the OS thread that started the program; Go retires threads only
// when a goroutine locked to one exits, which Wavegate never does.) cred,
// when set, starts the program as another user; the kernel would clear the
// parent-death signal on that change, but Go's child sets credentials
// before it asks for the signal, so both hold.
func processAttrs(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
}
