package dns

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// resolvedUpstream is systemd-resolved's list of the real upstream
// servers; its stub at 127.0.0.53, in /etc/resolv.conf, is reachable
// from the host's network namespace only.
const resolvedUpstream = "/run/systemd/resolve/resolv.conf"

// HostResolvConf is the host's resolv.conf that names servers reachable
// from any network namespace: /etc/resolv.conf, or systemd-resolved's
// upstream list when that file points at its stub. The cluster DNS
// forwards to those servers; pkg/node gives them to pods with dnsPolicy
// Default.
func HostResolvConf() string {
	path := "/etc/resolv.conf"
	if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), "nameserver 127.0.0.53") {
		if _, err := os.Stat(resolvedUpstream); err == nil {
			path = resolvedUpstream
		}
	}
	return path
}

// errLimit: too many forwards are in flight; the query is refused, as
// CoreDNS's forward does past max_concurrent.
var errLimit = errors.New("too many concurrent forwarded queries")

// errNoUpstream: resolv.conf names no server to forward to.
var errNoUpstream = errors.New("no upstream DNS servers")

// forwarder sends the names outside the cluster to the upstream
// servers, trying them in order, with at most cap(sem) in flight.
type forwarder struct {
	upstreams []string // host:port
	sem       chan struct{}
	udp, tcp  *mdns.Client
}

func newForwarder(upstreams []string, max int, timeout time.Duration) *forwarder {
	return &forwarder{
		upstreams: upstreams,
		sem:       make(chan struct{}, max),
		udp:       &mdns.Client{Net: "udp", Timeout: timeout},
		tcp:       &mdns.Client{Net: "tcp", Timeout: timeout},
	}
}

// exchange forwards r (over TCP when tcp: a client retrying a truncated
// answer) and returns the first upstream's answer, with r's ID. It
// never waits for a slot: past the bound it fails with errLimit.
func (f *forwarder) exchange(ctx context.Context, r *mdns.Msg, tcp bool) (*mdns.Msg, error) {
	if len(f.upstreams) == 0 {
		return nil, errNoUpstream
	}
	select {
	case f.sem <- struct{}{}:
		defer func() { <-f.sem }()
	default:
		return nil, errLimit
	}
	c := f.udp
	if tcp {
		c = f.tcp
	}
	ctx, cancel := context.WithTimeout(ctx, 2*c.Timeout+c.Timeout/2)
	defer cancel()
	req := r.Copy()
	req.Id = mdns.Id()
	// Each upstream in turn, round again while time is left (a lost UDP
	// packet costs one timeout, not the answer), as CoreDNS's forward
	// retries until its deadline.
	var errs []error
	for attempt := 0; attempt < 2*len(f.upstreams); attempt++ {
		up := f.upstreams[attempt%len(f.upstreams)]
		resp, _, err := c.ExchangeContext(ctx, req, up)
		if err == nil {
			resp.Id = r.Id
			return resp, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", up, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// ReadResolvConf returns the nameservers (host:port) of a resolv.conf.
// path "" is HostResolvConf(). A missing file names none.
func ReadResolvConf(path string) ([]string, error) {
	if path == "" {
		path = HostResolvConf()
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var servers []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		// An IPv6 address may carry a zone (fe80::1%eth0).
		host, _, _ := strings.Cut(fields[1], "%")
		if _, err := netip.ParseAddr(host); err != nil {
			continue
		}
		servers = append(servers, net.JoinHostPort(fields[1], "53"))
	}
	return servers, sc.Err()
}
