package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"time"
)

// tcpSink accepts TCP connections and discards what they send: the far
// end of tcp-bench --mode stream.
func tcpSink(ctx context.Context, args []string) error {
	return serveTCP(ctx, "tcp-sink", 5201, "sinking", args, func(c net.Conn) { io.Copy(io.Discard, c) })
}

// httpGet prints the body of one GET of a URL (busybox wget crashes on
// some machines): the client side of netexec's /clientip.
func httpGet(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("http-get", flag.ExitOnError)
	timeout := fs.Duration("timeout", 5*time.Second, "for the whole request")
	connectTimeout := fs.Duration("connect-timeout", 0, "for the name's lookup and the connection (0: no limit but --timeout); a connection that cannot be made then fails as \"dial tcp ADDRESS: i/o timeout\", naming the address the name resolved to")
	rest := parseFlags(fs, args)
	if len(rest) != 1 {
		return fmt.Errorf("want one URL, got %q", rest)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", rest[0], nil)
	if err != nil {
		return err
	}
	client := http.DefaultClient
	if *connectTimeout > 0 {
		client = &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{Timeout: *connectTimeout}).DialContext, DisableKeepAlives: true}}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", rest[0], resp.Status)
	}
	return nil
}

// tcpBench measures one TCP connection to addr for a duration:
//
//	--mode stream  sends 128 KiB writes to a tcp-sink; prints
//	               "stream <Mbit/s> Mbit/s"
//	--mode rr      1-byte request/response with a tcp-echo, one at a
//	               time; prints "rr <per second>/s p50 <µs> p99 <µs>"
func tcpBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tcp-bench", flag.ExitOnError)
	addr := fs.String("addr", "", "host:port of a tcp-sink (stream) or tcp-echo (rr)")
	mode := fs.String("mode", "stream", "stream or rr")
	duration := fs.Duration("duration", 5*time.Second, "how long to measure")
	parseFlags(fs, args)
	c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", *addr)
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(*duration)
	switch *mode {
	case "stream":
		buf := make([]byte, 128<<10)
		var n int64
		start := time.Now()
		for time.Now().Before(deadline) && ctx.Err() == nil {
			w, err := c.Write(buf)
			n += int64(w)
			if err != nil {
				return err
			}
		}
		fmt.Printf("stream %.0f Mbit/s\n", float64(n)*8/time.Since(start).Seconds()/1e6)
	case "rr":
		b := []byte{'x'}
		var rtts []time.Duration
		start := time.Now()
		for time.Now().Before(deadline) && ctx.Err() == nil {
			t := time.Now()
			if _, err := c.Write(b); err != nil {
				return err
			}
			if _, err := io.ReadFull(c, b); err != nil {
				return err
			}
			rtts = append(rtts, time.Since(t))
		}
		slices.Sort(rtts)
		if len(rtts) == 0 {
			return fmt.Errorf("no round trips")
		}
		q := func(f float64) float64 { return float64(rtts[int(f*float64(len(rtts)-1))].Nanoseconds()) / 1e3 }
		fmt.Printf("rr %.0f/s p50 %.1f µs p99 %.1f µs\n", float64(len(rtts))/time.Since(start).Seconds(), q(0.5), q(0.99))
	default:
		return fmt.Errorf("--mode %q: want stream or rr", *mode)
	}
	return nil
}
