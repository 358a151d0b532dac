package handlers

import (
	"crypto/rand"
	"sync"
	"time"
)

// The manifest flow's own code lives one hour at GitHub; a state that
// outlived it would be useless anyway.
const (
	setupStateTTL = time.Hour
	// Bounds memory against someone reloading the setup page in a loop.
	// Evicting the oldest, rather than refusing new ones, keeps the page
	// usable for the person actually setting Wavegate up.
	maxSetupStates = 64
)

// setupStates holds the outstanding CSRF states of the manifest flow: a
// callback is honoured only with a state this process issued, once.
type setupStates struct {
	mu     sync.Mutex
	expiry map[string]time.Time
}

func newSetupStates() *setupStates {
	return &setupStates{expiry: make(map[string]time.Time)}
}

// issue returns a fresh state valid until now+setupStateTTL.
func (s *setupStates) issue(now time.Time) string {
	state := rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, exp := range s.expiry {
		if !now.Before(exp) {
			delete(s.expiry, k)
		}
	}
	for len(s.expiry) >= maxSetupStates {
		oldest, oldestExp := "", time.Time{}
		for k, exp := range s.expiry {
			if oldest == "" || exp.Before(oldestExp) {
				oldest, oldestExp = k, exp
			}
		}
		delete(s.expiry, oldest)
	}
	s.expiry[state] = now.Add(setupStateTTL)
	return state
}

// consume reports whether state was issued and has not expired, and forgets
// it either way so that it cannot be replayed.
func (s *setupStates) consume(state string, now time.Time) bool {
	if state == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.expiry[state]
	delete(s.expiry, state)
	return ok && now.Before(exp)
}
