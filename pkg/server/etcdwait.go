package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tinykube/tinykube/pkg/startwait"
)

// DefaultEtcdStartTimeout bounds how long start-up waits for an external
// etcd to answer before failing, as upstream's kube-apiserver also fails
// (rather than serve) when its storage does not come up.
const DefaultEtcdStartTimeout = 60 * time.Second

// etcdProbeTimeout bounds one probe, as upstream's etcd health check.
const etcdProbeTimeout = 2 * time.Second

// waitForEtcd returns once the etcd at servers answers a read, logging
// each failed try ("waiting for etcd at …: <reason>"). It fails, naming
// etcd and the addresses, after timeout or when ctx ends (Ctrl-C), so
// that an unreachable store is never a silent hang.
func waitForEtcd(ctx context.Context, client *clientv3.Client, servers []string, timeout time.Duration, logger *slog.Logger) error {
	if timeout <= 0 {
		timeout = DefaultEtcdStartTimeout
	}
	where := strings.Join(servers, ",")
	return startwait.For(ctx, "etcd at "+where, timeout, logger,
		func(ctx context.Context) error { return probeEtcd(ctx, client, servers) }, "servers", servers)
}

// probeEtcd reads the key upstream's health check reads. The client only
// says "context deadline exceeded" when nothing answers, so a failure is
// explained by dialling each server ("connection refused", "no such
// host").
func probeEtcd(ctx context.Context, client *clientv3.Client, servers []string) error {
	pctx, cancel := context.WithTimeout(ctx, etcdProbeTimeout)
	defer cancel()
	_, err := client.Get(pctx, "/registry/health")
	if err == nil {
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return err
	}
	var dialErrs []error
	for _, s := range servers {
		network, addr := dialAddress(s)
		conn, derr := (&net.Dialer{Timeout: etcdProbeTimeout}).DialContext(ctx, network, addr)
		if derr != nil {
			dialErrs = append(dialErrs, derr)
			continue
		}
		conn.Close()
	}
	if len(dialErrs) == len(servers) {
		return errors.Join(dialErrs...)
	}
	return fmt.Errorf("no answer within %s", etcdProbeTimeout)
}

// dialAddress is the network and address of an etcd client URL.
func dialAddress(server string) (network, addr string) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" && u.Path == "" {
		return "tcp", server
	}
	switch u.Scheme {
	case "unix", "unixs":
		return "unix", u.Host + u.Path
	}
	return "tcp", u.Host
}
