package deploy

import (
	"fmt"
	"os/user"
	"strconv"
	"syscall"
)

// Account is a user a deploy runs as.
type Account struct {
	Name     string
	UID, GID uint32
	// Groups are the supplementary groups, as the user gets them at login.
	Groups []uint32
	Home   string
}

// LookupAccount finds the user name and its groups in the system's user
// database.
func LookupAccount(name string) (*Account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("look up user %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %q has uid %q, which is not a number", name, u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %q has gid %q, which is not a number", name, u.Gid)
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("look up the groups of user %q: %w", name, err)
	}
	a := &Account{Name: u.Username, UID: uint32(uid), GID: uint32(gid), Home: u.HomeDir}
	for _, id := range ids {
		g, err := strconv.ParseUint(id, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("user %q is in group %q, which is not a number", name, id)
		}
		a.Groups = append(a.Groups, uint32(g))
	}
	return a, nil
}

// credential is what the kernel needs to start a program as a; nil for no
// account, which keeps Wavegate's own.
func (a *Account) credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	// Groups set explicitly: without them the program would keep Wavegate's
	// supplementary groups, and with them whatever those groups can read.
	return &syscall.Credential{Uid: a.UID, Gid: a.GID, Groups: append([]uint32{}, a.Groups...)}
}
