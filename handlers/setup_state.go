package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"sync"
	"time"
)

// The manifest flow's own code lives one hour at GitHub; a state that
// outlived it would be useless anyway.
const (
	setupStateTTL = time.Hour
	// States per token. Only token holders get states, so this bounds
	// memory against a holder reloading in a loop, never against strangers;
	// evicting the oldest keeps the newest tab working.
	maxSetupStates = 16
)

// issuedState is one outstanding state and the token it was issued for.
type issuedState struct {
	expiry time.Time
	owner  [sha256.Size]byte // digest of the token whose holder got it
}

// setupStates holds the outstanding CSRF states of the manifest flow: a
// callback is honoured only with a state this process issued to a holder of
// the setup token, once.
type setupStates struct {
	mu     sync.Mutex
	issued map[string]issuedState
}

func newSetupStates() *setupStates {
	return &setupStates{issued: make(map[string]issuedState)}
}

// issue returns a fresh state for owner, valid until now+setupStateTTL.
func (s *setupStates) issue(owner [sha256.Size]byte, now time.Time) string {
	state := rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	mine := 0
	for k, st := range s.issued {
		switch {
		case !now.Before(st.expiry):
			delete(s.issued, k)
		case st.owner == owner:
			mine++
		}
	}
	for ; mine >= maxSetupStates; mine-- {
		oldest, oldestExp := "", time.Time{}
		for k, st := range s.issued {
			if st.owner == owner && (oldest == "" || st.expiry.Before(oldestExp)) {
				oldest, oldestExp = k, st.expiry
			}
		}
		delete(s.issued, oldest)
	}
	s.issued[state] = issuedState{expiry: now.Add(setupStateTTL), owner: owner}
	return state
}

// consume reports whether state was issued for owner and has not expired,
// and forgets it either way so that it cannot be replayed.
func (s *setupStates) consume(state string, owner [sha256.Size]byte, now time.Time) bool {
	if state == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.issued[state]
	delete(s.issued, state)
	return ok && now.Before(st.expiry) && subtle.ConstantTimeCompare(st.owner[:], owner[:]) == 1
}

// clear voids every state: once an App is registered, none may start another.
func (s *setupStates) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.issued)
}
