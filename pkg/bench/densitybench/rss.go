package densitybench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// RSS is the API server's resident set size during the run, sampled from
// /proc/PID/status (VmRSS).
type RSS struct {
	PID         int    `json:"pid"`
	StartBytes  int64  `json:"start_bytes"`
	PeakBytes   int64  `json:"peak_bytes"`
	EndBytes    int64  `json:"end_bytes"`
	Samples     int    `json:"samples"`
	SampleError string `json:"sample_error,omitempty"`
}

// readRSS returns VmRSS of pid in bytes.
func readRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseVmRSS(f)
}

// parseVmRSS finds the "VmRSS:   123456 kB" line of a /proc/PID/status.
func parseVmRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != "VmRSS" {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS %q: %w", f[0], err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS line (kernel thread or exited process?)")
}

// rssSampler samples one process's RSS until stopped.
type rssSampler struct {
	pid      int
	interval time.Duration
	res      RSS
	done     chan struct{}
}

// startRSS takes the first sample at once (failing if the process cannot
// be read) and then samples every interval until stop.
func startRSS(ctx context.Context, pid int, interval time.Duration) (*rssSampler, error) {
	first, err := readRSS(pid)
	if err != nil {
		return nil, fmt.Errorf("reading RSS of --server-pid %d: %w", pid, err)
	}
	s := &rssSampler{pid: pid, interval: interval, done: make(chan struct{}),
		res: RSS{PID: pid, StartBytes: first, PeakBytes: first, EndBytes: first, Samples: 1}}
	go s.loop(ctx)
	return s, nil
}

func (s *rssSampler) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.sample()
			return
		case <-t.C:
			s.sample()
		}
	}
}

func (s *rssSampler) sample() {
	n, err := readRSS(s.pid)
	if err != nil {
		if s.res.SampleError == "" {
			s.res.SampleError = err.Error()
		}
		return
	}
	s.res.Samples++
	s.res.EndBytes = n
	s.res.PeakBytes = max(s.res.PeakBytes, n)
}

// result waits for the sampler (whose ctx must be done) and returns it.
func (s *rssSampler) result() *RSS {
	<-s.done
	r := s.res
	return &r
}
