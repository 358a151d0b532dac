package browser

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// refuser is the browser's proxy: it answers every connection with an
// error and records where the browser tried to go (Chromium's own calls
// home included, so only tests of the harness look at it).
type refuser struct {
	addr string
	mu   sync.Mutex
	seen []string
}

func startRefuser(t testing.TB) *refuser {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen for the browser's refusing proxy: %v", err)
	}
	r := &refuser{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.refuse(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return r
}

func (r *refuser) refuse(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(Timeout))
	// The request line ("CONNECT host:443 HTTP/1.1", "GET http://host/ ...")
	// names the address; a line is short, so cap what is read.
	line, err := bufio.NewReader(io.LimitReader(c, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) && line == "" {
		line = "(unreadable request: " + err.Error() + ")"
	}
	r.mu.Lock()
	r.seen = append(r.seen, strings.TrimSpace(line))
	r.mu.Unlock()
	_, _ = io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}
