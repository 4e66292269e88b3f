package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// ncArgs is a parsed nc command line (nc 1.10's client options, as
// busybox's nc with NC_110_COMPAT has them).
type ncArgs struct {
	verbose, udp, zero bool
	wait               time.Duration // -w: connect timeout and idle timeout after stdin ends (0: none)
	host, port         string
}

// nc connects to HOST PORT over TCP (or UDP with -u), copies stdin to
// the connection and the connection to stdout; after stdin ends it
// reads until the peer closes or, with -w, the connection is idle that
// long. -z connects and sends nothing. -v reports the connection on
// stderr. -t (answer telnet negotiation) is accepted and does nothing:
// no e2e server negotiates. Exit 1 when the connection fails.
func nc(e env, args []string) int {
	a, err := parseNC(args)
	if err != nil {
		fmt.Fprintf(e.stderr, "nc: %v\n", err)
		return 1
	}
	network := "tcp"
	if a.udp {
		network = "udp"
	}
	addr := net.JoinHostPort(a.host, a.port)
	d := net.Dialer{Timeout: a.wait}
	conn, err := d.Dial(network, addr)
	if err != nil {
		if a.verbose {
			fmt.Fprintf(e.stderr, "nc: %s: %v\n", addr, err)
		}
		return 1
	}
	defer conn.Close()
	if a.verbose {
		fmt.Fprintf(e.stderr, "%s (%s) open\n", a.host, conn.RemoteAddr())
	}
	if a.zero {
		return 0
	}
	// Stdin to the peer in the background: a peer that answers and
	// closes ends nc even while stdin is still open.
	sent := make(chan error, 1)
	go func() {
		_, err := io.Copy(conn, e.stdin)
		sent <- err
	}()
	buf := make([]byte, 32<<10)
	stdinDone := false
	for {
		idle := stdinDone && a.wait > 0
		if idle {
			conn.SetReadDeadline(time.Now().Add(a.wait))
		} else if !stdinDone {
			// Look at stdin now and then.
			conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		} else {
			conn.SetReadDeadline(time.Time{})
		}
		n, err := conn.Read(buf)
		if n > 0 {
			if _, werr := e.stdout.Write(buf[:n]); werr != nil {
				return 1
			}
		}
		if !stdinDone {
			select {
			case serr := <-sent:
				stdinDone = true
				if serr != nil {
					fmt.Fprintf(e.stderr, "nc: %v\n", serr)
					return 1
				}
			default:
			}
		}
		var nerr net.Error
		switch {
		case err == nil:
		case errors.As(err, &nerr) && nerr.Timeout():
			if idle && n == 0 {
				return 0
			}
		case errors.Is(err, io.EOF):
			return 0
		default:
			// UDP: ICMP port unreachable comes back as a refused read.
			if a.verbose {
				fmt.Fprintf(e.stderr, "nc: %v\n", err)
			}
			return 1
		}
	}
}

func parseNC(args []string) (ncArgs, error) {
	var a ncArgs
	var pos []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if len(arg) < 2 || arg[0] != '-' {
			pos = append(pos, arg)
			continue
		}
		for j := 1; j < len(arg); j++ {
			switch arg[j] {
			case 'v':
				a.verbose = true
			case 'u':
				a.udp = true
			case 'z':
				a.zero = true
			case 't', 'n':
			case 'w':
				v := arg[j+1:]
				if v == "" {
					if i+1 >= len(args) {
						return a, errors.New("-w needs a value")
					}
					i++
					v = args[i]
				}
				secs, err := strconv.Atoi(v)
				if err != nil || secs < 0 {
					return a, fmt.Errorf("bad -w %q", v)
				}
				a.wait = time.Duration(secs) * time.Second
				j = len(arg)
			default:
				return a, fmt.Errorf("unsupported option -%c (nettools' nc: a client only)", arg[j])
			}
		}
	}
	if len(pos) != 2 {
		return a, fmt.Errorf("want HOST PORT, got %q (nettools' nc)", pos)
	}
	if _, err := strconv.ParseUint(pos[1], 10, 16); err != nil {
		return a, fmt.Errorf("bad port %q", pos[1])
	}
	a.host, a.port = pos[0], pos[1]
	return a, nil
}
