package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// modes maps each mode name to its entry point, which gets the
// arguments after the mode name.
var modes = map[string]func(ctx context.Context, args []string) error{
	"netexec":        netexec,
	"serve-hostname": serveHostname,
	"fail-probe":     failProbe,
	"tcp-echo":       tcpEcho,
	"sleep":          sleep,
	"exit":           exit,
	"stress-memory":  stressMemory,
	"pause":          pause,
	"tcp-sink":       tcpSink,
	"tcp-bench":      tcpBench,
	"http-get":       httpGet,
}

func main() {
	if len(os.Args) < 2 || modes[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: testserver netexec|serve-hostname|fail-probe|tcp-echo|tcp-sink|tcp-bench|http-get|sleep|exit|stress-memory|pause [args]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := modes[os.Args[1]](ctx, os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "testserver %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// parseFlags parses a mode's flags and returns its positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) []string {
	fs.Parse(args) // ExitOnError
	return fs.Args()
}

// parseDuration accepts a Go duration ("1m30s") or plain seconds ("90").
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(n * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

func sleep(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("want one duration, got %q", args)
	}
	d, err := parseDuration(args[0])
	if err != nil {
		return err
	}
	fmt.Printf("sleeping %v\n", d)
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	return nil
}

func exit(_ context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("want one exit code, got %q", args)
	}
	code, err := strconv.Atoi(args[0])
	if err != nil || code < 0 || code > 255 {
		return fmt.Errorf("exit code %q: want 0-255", args[0])
	}
	fmt.Printf("exiting with %d\n", code)
	os.Exit(code)
	return nil
}

func pause(ctx context.Context, _ []string) error {
	reap := make(chan os.Signal, 1)
	signal.Notify(reap, syscall.SIGCHLD)
	fmt.Println("paused; waiting for SIGTERM")
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-reap:
			// As PID 1 (a shared PID namespace) we inherit orphans.
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
		}
	}
}

// parseBytes reads 1000, 64Ki, 64Mi, 1Gi, 64K, 64M, 1G.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<46)/mult {
		return 0, fmt.Errorf("size %q: want a number of bytes like 1000, 64Mi or 1G", s)
	}
	return n * mult, nil
}

func stressMemory(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("want one size, got %q", args)
	}
	n, err := parseBytes(args[0])
	if err != nil {
		return err
	}
	fmt.Printf("allocating %d bytes\n", n)
	const chunk = 1 << 20
	var hold [][]byte
	for n > 0 {
		b := make([]byte, min(n, chunk))
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // touch every page so it is really resident
		}
		hold = append(hold, b)
		n -= int64(len(b))
	}
	fmt.Println("allocated; waiting")
	<-ctx.Done()
	fmt.Println(len(hold), "MiB held")
	return nil
}

func tcpEcho(ctx context.Context, args []string) error {
	return serveTCP(ctx, "tcp-echo", 7, "echoing", args, func(c net.Conn) { io.Copy(c, c) })
}

// serveTCP listens on --port (default port) and runs handle on each
// connection (closed after it) until ctx ends.
func serveTCP(ctx context.Context, name string, port int, verb string, args []string, handle func(net.Conn)) error {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	p := fs.Int("port", port, "TCP port")
	parseFlags(fs, args)
	l, err := net.Listen("tcp", fmt.Sprintf(":%d", *p))
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); l.Close() }()
	fmt.Printf("%s on %s\n", verb, l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go func() { defer c.Close(); handle(c) }()
	}
}
