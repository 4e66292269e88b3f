package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Defaults, as CoreDNS's (kubernetes plugin ttl 5; forward's timeouts)
// and the kube-dns Service of upstream's addon.
const (
	DefaultDomain = "cluster.local"
	DefaultTTL    = 5
	// DefaultPort is where `tinykube server` listens unless told: not
	// 53, which needs privileges and is often taken (systemd-resolved,
	// dnsmasq). Pods never see it: kube-dns's port 53 forwards to it.
	DefaultPort = 10053
	// DefaultMaxForwards bounds the forwarded queries in flight (CoreDNS's
	// forward has max_concurrent, unlimited unless set; 1000 is the value
	// its documentation suggests).
	DefaultMaxForwards = 1000
	// DefaultService is the Service that fronts the cluster DNS.
	DefaultService = "kube-system/kube-dns"
)

// Config configures a Server.
type Config struct {
	// Client reads Services, EndpointSlices and Namespaces (through
	// informers: no request per query).
	Client kubernetes.Interface
	// Domain is the cluster domain (default cluster.local); TTL of its
	// records in seconds (default 5).
	Domain string
	TTL    uint32
	// Upstreams (host:port) get every name outside the cluster domain;
	// nil reads them from ResolvConf (ReadResolvConf: "" is the host's
	// /etc/resolv.conf, or systemd-resolved's upstream list).
	Upstreams  []string
	ResolvConf string
	// MaxForwards bounds forwarded queries in flight; past it a query
	// is refused at once (default DefaultMaxForwards). ForwardTimeout
	// bounds each upstream exchange (default 2s).
	MaxForwards    int
	ForwardTimeout time.Duration
	// Self is the Service ("namespace/name") that fronts this server,
	// named in NS answers (default DefaultService); SelfIP this server's
	// address, used there when that Service is missing.
	Self   string
	SelfIP netip.Addr
	Logger *slog.Logger
}

// DefaultConfig returns the defaults; Client is to be set.
func DefaultConfig() Config {
	return Config{Domain: DefaultDomain, TTL: DefaultTTL, MaxForwards: DefaultMaxForwards,
		ForwardTimeout: 2 * time.Second, Self: DefaultService}
}

// Validate reports a Config that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Client == nil:
		return errors.New("dns: a client is required")
	case !isDomain(c.Domain):
		return fmt.Errorf("dns: cluster domain %q is not a domain name", c.Domain)
	case c.MaxForwards <= 0:
		return fmt.Errorf("dns: max forwards %d", c.MaxForwards)
	case c.ForwardTimeout <= 0:
		return fmt.Errorf("dns: forward timeout %v", c.ForwardTimeout)
	}
	return nil
}

// Server answers DNS queries: the cluster domain from informers, other
// names through the upstream resolvers. It is a miekg/dns Handler.
type Server struct {
	cfg     Config
	cluster cluster
	fwd     *forwarder
	factory informers.SharedInformerFactory
	// modified is when the informers last saw a change (Unix seconds),
	// the SOA serial.
	modified atomic.Uint32
}

var _ mdns.Handler = (*Server)(nil)

// New returns a Server; Run serves.
func New(cfg Config) (*Server, error) {
	def := DefaultConfig()
	if cfg.Domain == "" {
		cfg.Domain = def.Domain
	}
	if cfg.TTL == 0 {
		cfg.TTL = def.TTL
	}
	if cfg.MaxForwards == 0 {
		cfg.MaxForwards = def.MaxForwards
	}
	if cfg.ForwardTimeout == 0 {
		cfg.ForwardTimeout = def.ForwardTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Upstreams == nil {
		ups, err := ReadResolvConf(cfg.ResolvConf)
		if err != nil {
			return nil, fmt.Errorf("dns: upstream resolvers: %w", err)
		}
		cfg.Upstreams = ups
	}
	if len(cfg.Upstreams) == 0 {
		cfg.Logger.Warn("cluster DNS: no upstream resolvers; names outside the cluster domain get SERVFAIL", "resolvConf", cfg.ResolvConf)
	}
	s := &Server{cfg: cfg, fwd: newForwarder(cfg.Upstreams, cfg.MaxForwards, cfg.ForwardTimeout)}
	s.factory = informers.NewSharedInformerFactory(cfg.Client, 0)
	svcs := s.factory.Core().V1().Services().Informer()
	slices := s.factory.Discovery().V1().EndpointSlices().Informer()
	nss := s.factory.Core().V1().Namespaces().Informer()
	if err := svcs.AddIndexers(serviceIndexers()); err != nil {
		return nil, err
	}
	if err := slices.AddIndexers(sliceIndexers()); err != nil {
		return nil, err
	}
	touch := func() { s.modified.Store(uint32(time.Now().Unix())) }
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { touch() },
		UpdateFunc: func(any, any) { touch() },
		DeleteFunc: func(any) { touch() },
	}
	for _, inf := range []cache.SharedIndexInformer{svcs, slices, nss} {
		if _, err := inf.AddEventHandler(h); err != nil {
			return nil, err
		}
	}
	touch()
	s.cluster = cluster{zone: lowerASCII(mdns.Fqdn(cfg.Domain)),
		services: svcs.GetIndexer(), slices: slices.GetIndexer(), namespaces: nss.GetIndexer()}
	return s, nil
}

// newFromStores is a Server answering from the given stores, with no
// informers (the fuzz test's). cfg is complete.
func newFromStores(cfg Config, services, slices, namespaces cache.Indexer) *Server {
	s := &Server{cfg: cfg, fwd: newForwarder(cfg.Upstreams, cfg.MaxForwards, cfg.ForwardTimeout)}
	s.cluster = cluster{zone: lowerASCII(mdns.Fqdn(cfg.Domain)), services: services, slices: slices, namespaces: namespaces}
	return s
}

// Listen binds UDP and TCP on one port of host (port 0: any free port,
// the same for both).
func Listen(host string, port int) (net.PacketConn, net.Listener, error) {
	for attempt := 0; ; attempt++ {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, nil, err
		}
		p := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		if port != 0 || attempt >= 10 {
			return nil, nil, err
		}
	}
}

// Run starts the informers, waits for them to sync (queries wait in the
// sockets meanwhile, so that no name is denied for want of a cache),
// then serves on pc (UDP) and ln (TCP) until ctx ends; it closes both.
func (s *Server) Run(ctx context.Context, pc net.PacketConn, ln net.Listener) error {
	s.factory.Start(ctx.Done())
	defer s.factory.Shutdown()
	for typ, ok := range s.factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			pc.Close()
			ln.Close()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("dns: %v informer did not sync", typ)
		}
	}
	udp := &mdns.Server{PacketConn: pc, Handler: s, UDPSize: mdns.MaxMsgSize}
	tcp := &mdns.Server{Listener: ln, Handler: s}
	errs := make(chan error, 2)
	go func() { errs <- udp.ActivateAndServe() }()
	go func() { errs <- tcp.ActivateAndServe() }()
	s.cfg.Logger.Info("cluster DNS serving", "udp", pc.LocalAddr(), "tcp", ln.Addr(), "domain", s.cfg.Domain, "upstreams", s.cfg.Upstreams)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = udp.ShutdownContext(sctx)
	_ = tcp.ShutdownContext(sctx)
	return err
}

// ServeDNS answers one query.
func (s *Server) ServeDNS(w mdns.ResponseWriter, r *mdns.Msg) {
	_, tcp := w.LocalAddr().(*net.TCPAddr)
	// No deadline here: only forwarding waits, and it sets its own.
	m := s.Answer(context.Background(), r, tcp)
	_ = w.WriteMsg(m)
}

// Answer is the answer to r, received over TCP or (tcp false) UDP:
// fitted to the client's EDNS buffer size (512 without EDNS) with TC
// set when records had to go, over UDP.
func (s *Server) Answer(ctx context.Context, r *mdns.Msg, tcp bool) *mdns.Msg {
	m := s.answer(ctx, r, tcp)
	if opt := r.IsEdns0(); opt != nil {
		size := max(opt.UDPSize(), mdns.MinMsgSize)
		if o := m.IsEdns0(); o != nil {
			o.SetUDPSize(size)
			o.SetDo(opt.Do())
		} else {
			m.SetEdns0(size, opt.Do())
		}
	}
	m.Compress = true
	if !tcp {
		size := mdns.MinMsgSize
		if opt := r.IsEdns0(); opt != nil {
			size = max(int(opt.UDPSize()), mdns.MinMsgSize)
		}
		// Uncompressed when it fits (cheaper to pack), else compressed
		// and cut to size with TC set.
		m.Truncate(size)
	}
	return m
}

func (s *Server) answer(ctx context.Context, r *mdns.Msg, tcp bool) *mdns.Msg {
	if len(r.Question) != 1 || r.Opcode != mdns.OpcodeQuery {
		return failure(r, mdns.RcodeFormatError)
	}
	question := r.Question[0]
	name := question.Name
	lower := lowerASCII(name)
	if base, ok := s.inZone(lower); ok {
		return s.answerCluster(ctx, r, q{name: name, lower: lower, zone: name[len(name)-len(s.cluster.zone):], base: base, qtype: question.Qtype})
	}
	if m, ok := s.answerReverse(r, name, question.Qtype); ok {
		return m
	}
	resp, err := s.fwd.exchange(ctx, r, tcp)
	switch {
	case errors.Is(err, errLimit):
		return failure(r, mdns.RcodeRefused)
	case err != nil:
		s.cfg.Logger.Debug("cluster DNS: forwarding", "name", name, "err", err)
		return failure(r, mdns.RcodeServerFailure)
	}
	return resp
}

func isDomain(s string) bool {
	_, ok := mdns.IsDomainName(s)
	return s != "" && ok
}

// lowerASCII lower-cases the ASCII letters of s only, keeping its length
// (names off the wire are ASCII, other bytes escaped, but a name's case
// must never change its length: the zone is cut off by length).
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
