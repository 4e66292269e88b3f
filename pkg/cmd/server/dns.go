package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/pkg/dns"
	"github.com/tinykube/tinykube/pkg/server"
)

// dnsFlags are the cluster DNS's flags (pkg/dns).
type dnsFlags struct {
	// port: 0 any free port, negative no cluster DNS; portSet is
	// whether it was given (the default falls back to a free port when
	// taken, a given port does not).
	port       int
	portSet    bool
	domain     string
	resolvConf string
	fs         *pflag.FlagSet
}

func (d *dnsFlags) add(fs *pflag.FlagSet) {
	d.fs = fs
	fs.IntVar(&d.port, "cluster-dns-port", dns.DefaultPort, "port of the cluster DNS on the advertised address, UDP and TCP (kube-system/kube-dns forwards port 53 there; 0: any free port; -1: no cluster DNS). When the default is taken a free port is used instead")
	fs.StringVar(&d.domain, "cluster-domain", dns.DefaultDomain, "the cluster's DNS domain (served by the cluster DNS; the --node node's pods search it)")
	fs.StringVar(&d.resolvConf, "cluster-dns-resolv-conf", "", "resolv.conf naming the upstream servers the cluster DNS forwards other names to (default: /etc/resolv.conf, or systemd-resolved's /run/systemd/resolve/resolv.conf when that points at its stub)")
}

// dnsListener is the bound DNS sockets.
type dnsListener struct {
	pc   net.PacketConn
	ln   net.Listener
	host string
}

func (l *dnsListener) close() {
	if l != nil {
		l.pc.Close()
		l.ln.Close()
	}
}

// listen binds the DNS sockets on the advertised address (the bind
// address when there is none) and sets cfg.ClusterDNSPort; nil when the
// DNS is off.
func (d *dnsFlags) listen(cfg *server.Config, logger *slog.Logger) (*dnsListener, error) {
	if d == nil || d.port < 0 {
		return nil, nil
	}
	d.portSet = d.fs != nil && d.fs.Changed("cluster-dns-port")
	host := cfg.BindAddress
	if a := cfg.Advertised(); a.IsValid() {
		host = a.String()
	}
	pc, ln, err := dns.Listen(host, d.port)
	if err != nil && errors.Is(err, syscall.EADDRINUSE) && !d.portSet && d.port != 0 {
		logger.Warn("cluster DNS: default port taken, using a free one", "port", d.port, "err", err)
		pc, ln, err = dns.Listen(host, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("--cluster-dns-port: %w", err)
	}
	cfg.ClusterDNSPort = pc.LocalAddr().(*net.UDPAddr).Port
	return &dnsListener{pc: pc, ln: ln, host: host}, nil
}

// run serves the cluster DNS on l until ctx ends (done is closed
// then); a failure goes to errs.
func (d *dnsFlags) run(ctx context.Context, l *dnsListener, s *server.Server, cfg server.Config, logger *slog.Logger, errs chan<- error) (done <-chan struct{}, err error) {
	rc, err := clientcmd.BuildConfigFromFlags("", s.KubeconfigPath)
	if err != nil {
		l.close()
		return nil, err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		l.close()
		return nil, err
	}
	dc := dns.DefaultConfig()
	dc.Client, dc.Domain, dc.ResolvConf, dc.Logger = client, d.domain, d.resolvConf, logger
	dc.SelfIP = cfg.Advertised()
	ds, err := dns.New(dc)
	if err != nil {
		l.close()
		return nil, err
	}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		if err := ds.Run(ctx, l.pc, l.ln); err != nil {
			errs <- fmt.Errorf("cluster DNS: %w", err)
		}
	}()
	return ch, nil
}

// clusterDNS is the --node node's pods' nameserver: kube-dns's ClusterIP
// when the cluster DNS runs.
func (d *dnsFlags) clusterDNS(cfg server.Config) []string {
	if d == nil || d.port < 0 {
		return nil
	}
	ip, err := server.ClusterDNSIP(cfg.ServiceCIDR)
	if err != nil {
		return nil
	}
	return []string{ip.String()}
}
