package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

var (
	serveOnce sync.Once
	serveErr  error
)

// network runs the modes that try the environment's network from inside, for
// the outbound network tests; ok is false for a mode it does not know.
func network(mode string, ev json.RawMessage) (out any, err error, ok bool) {
	var in struct {
		Addrs []string
		Port  int
	}
	json.Unmarshal(ev, &in) //nolint:errcheck
	switch mode {
	case "connect":
		// Connects to each address and reports "error: ..." when it cannot,
		// else "connected: " and the first line it is sent (a frozen listener's
		// kernel completes a connection but sends nothing).
		got := map[string]string{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, a := range in.Addrs {
			wg.Go(func() {
				r := firstLine(a)
				mu.Lock()
				defer mu.Unlock()
				got[a] = r
			})
		}
		wg.Wait()
		return got, nil, true
	case "listen":
		// Serves "hello" on Port of every address, for as long as the
		// environment lives, and reports its own non-loopback addresses.
		serveOnce.Do(func() {
			var ln net.Listener
			ln, serveErr = net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", in.Port))
			if serveErr == nil {
				go func() {
					for {
						c, err := ln.Accept()
						if err != nil {
							return
						}
						fmt.Fprintln(c, "hello")
						c.Close()
					}
				}()
			}
		})
		if serveErr != nil {
			return nil, serveErr, true
		}
		var addrs []string
		ifs, _ := net.InterfaceAddrs()
		for _, a := range ifs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
				addrs = append(addrs, n.IP.String())
			}
		}
		return map[string]any{"addrs": addrs}, nil, true
	}
	return nil, nil, false
}

func firstLine(addr string) string {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return "error: " + err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second)) //nolint:errcheck
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "connected: " + err.Error()
	}
	return "connected: " + strings.TrimSpace(line)
}
