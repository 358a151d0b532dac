//go:build !linux

package app

// ProtectProcess does nothing outside Linux, where there is no
// PR_SET_DUMPABLE: deploy commands running as Wavegate's own user can read
// its memory there, which is one more reason to run them as another user.
func ProtectProcess() error { return nil }
