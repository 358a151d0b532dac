package effects

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestKeyedLocksSerializePerKeyAndForgetUnusedKeys(t *testing.T) {
	var k keyedLocks
	var holders [2]atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			key, h := "r1", &holders[0]
			if i%2 == 1 {
				key, h = "r2", &holders[1]
			}
			unlock := k.lock(key)
			if n := h.Add(1); n != 1 {
				t.Errorf("%d holders of %s at once", n, key)
			}
			h.Add(-1)
			unlock()
		})
	}
	// Another key is not held up by a held one.
	unlock := k.lock("r1")
	k.lock("r3")()
	unlock()
	wg.Wait()
	if len(k.locks) != 0 {
		t.Fatalf("unused locks kept: %v", k.locks)
	}
}
