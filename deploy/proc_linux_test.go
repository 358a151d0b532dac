//go:build linux

package deploy

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// sysPidfdOpen is pidfd_open(2), which has the same number on every Linux
// architecture; package syscall predates it.
const sysPidfdOpen = 434

// exitedWithin reports whether process pid (not necessarily a child of the
// test) has exited, waiting up to d on a pidfd rather than polling: a pidfd
// becomes readable when its process exits.
func exitedWithin(t *testing.T, pid int, d time.Duration) bool {
	t.Helper()
	fd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if errno == syscall.ESRCH {
		return true
	}
	if errno != 0 {
		t.Fatalf("pidfd_open %d: %v", pid, errno)
	}
	defer syscall.Close(int(fd))
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatalf("epoll_create1: %v", err)
	}
	defer syscall.Close(ep)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(fd), &ev); err != nil {
		t.Fatalf("epoll_ctl: %v", err)
	}
	events := make([]syscall.EpollEvent, 1)
	for {
		n, err := syscall.EpollWait(ep, events, int(d/time.Millisecond))
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("epoll_wait: %v", err)
		}
		return n > 0
	}
}
