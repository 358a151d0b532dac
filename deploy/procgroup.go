package deploy

import (
	"fmt"
	"syscall"
	"time"
)

// reapPoll is how often reapGroup looks whether a stopped group has gone.
const reapPoll = 25 * time.Millisecond

// signalGroup sends sig to every process in the group led by pgid.
func signalGroup(pgid int, sig syscall.Signal) error {
	if err := syscall.Kill(-pgid, sig); err != nil {
		return fmt.Errorf("send %v to process group %d: %w", sig, pgid, err)
	}
	return nil
}

// reapGroup waits until the group led by pgid has no process left or the
// deadline passes, then SIGKILLs whatever is left. The leader may have exited
// on SIGTERM while the processes it started are still shutting down: they
// get the same grace, and none outlives it. A pgid cannot be reused while its
// group has a member, and the group is checked just before it is killed, so
// an unrelated group is not at risk.
func reapGroup(pgid int, deadline time.Time) {
	tick := time.NewTicker(reapPoll)
	defer tick.Stop()
	end := time.NewTimer(time.Until(deadline))
	defer end.Stop()
	for groupAlive(pgid) {
		select {
		case <-tick.C:
		case <-end.C:
			if syscall.Kill(-pgid, 0) == nil {
				_ = signalGroup(pgid, syscall.SIGKILL)
			}
			return
		}
	}
}
