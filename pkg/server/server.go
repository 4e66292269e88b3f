package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	apitypes "github.com/tinykube/tinykube/pkg/api"
	crdcontroller "github.com/tinykube/tinykube/pkg/apiextensions/controller"
	crdschema "github.com/tinykube/tinykube/pkg/apiextensions/schema"
	"github.com/tinykube/tinykube/pkg/apiserver"
	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/etcd"
	"github.com/tinykube/tinykube/pkg/openapi"
	"github.com/tinykube/tinykube/pkg/pki"
	"github.com/tinykube/tinykube/pkg/registry"
	"github.com/tinykube/tinykube/pkg/registry/apiextensions/customresource"
	"github.com/tinykube/tinykube/pkg/registry/core/componentstatus"
	"github.com/tinykube/tinykube/pkg/storage/cacher"
)

// Config configures a server. DefaultConfig gives the CLI defaults.
type Config struct {
	// DataDir holds etcd's data (DataDir/etcd), certificates
	// (DataDir/pki) and DataDir/admin.kubeconfig.
	DataDir string
	// BindAddress and SecurePort: where HTTPS is served.
	BindAddress string
	SecurePort  int
	// AdvertiseAddress is the IP listed in the kubernetes Service's
	// endpoints; "" picks BindAddress unless it is loopback or
	// unspecified, else the host's default-route address, as upstream.
	AdvertiseAddress string
	// EndpointReconcileInterval is how often this server renews its
	// entry in the kubernetes Service's endpoints (default 10s; the
	// entry lives 1.5 times as long).
	EndpointReconcileInterval time.Duration
	// EtcdServers, if set, are external etcd client URLs used instead of
	// the embedded etcd. For https ones, EtcdCAFile is the CA of their
	// serving certificates (default: the system's) and EtcdCertFile and
	// EtcdKeyFile the client certificate they require, as
	// kube-apiserver's --etcd-cafile, --etcd-certfile and --etcd-keyfile.
	EtcdServers                           []string
	EtcdCAFile, EtcdCertFile, EtcdKeyFile string
	// AuthorizationModes are the authorizers after the system:masters
	// one, in order, as kube-apiserver's --authorization-mode: "RBAC"
	// (the default) and/or "AlwaysAllow" (every authenticated user may
	// do anything; tinykube's only mode before RBAC).
	AuthorizationModes []string
	// TokenAuthFile is an optional static token file (token,user,uid,"groups").
	TokenAuthFile string
	// ServiceAccountIssuer is the "iss" of the service-account tokens the
	// server issues and accepts (DefaultServiceAccountIssuer if empty);
	// APIAudiences the audiences the API accepts tokens for (the issuer
	// if empty), as kube-apiserver's --service-account-issuer and
	// --api-audiences. Tokens are signed with DataDir/pki/sa.key.
	ServiceAccountIssuer string
	APIAudiences         []string
	// DisableAdmissionPlugins names admission plugins to leave out of the
	// chain (pkg/registry/admission.go), as kube-apiserver's
	// --disable-admission-plugins: e.g. "ServiceAccount" for a server that
	// runs no serviceaccount controller to create the default accounts.
	DisableAdmissionPlugins []string
	// ServiceCIDR is the ClusterIP range; NodePortRange "30000-32767".
	ServiceCIDR   string
	NodePortRange string
	// MaxRequestsInFlight bounds concurrent requests (429 beyond).
	MaxRequestsInFlight int
	// MaxConnections and MaxConnectionsPerClient cap the open API
	// connections, in total and from one IP (connlimit.go); 0 means the
	// defaults ConnectionLimits derives from the descriptor limit.
	MaxConnections, MaxConnectionsPerClient int
	// CompactionInterval between etcd compactions (0 disables).
	CompactionInterval time.Duration
	// UnsafeNoFsync skips fsync in the embedded etcd (tests, benchmarks).
	UnsafeNoFsync bool
	// Profiling serves /debug/pprof to authenticated users, as upstream.
	Profiling bool
	// ClusterDNSPort, if set, is the port of the cluster DNS (pkg/dns)
	// served on the advertised address: the server then keeps the
	// kube-system/kube-dns Service (ClusterDNSIP) and its EndpointSlice
	// pointing there (dns.go). The DNS itself is run by the caller
	// (`tinykube server`, pkg/cmd/server).
	ClusterDNSPort int
	// ShutdownDelayDuration is how long the server keeps serving after
	// BeginShutdown with /readyz failing, so that load balancers take
	// it out first (upstream's --shutdown-delay-duration; shutdown.go).
	// ShutdownTimeout bounds the wait for in-flight requests after that
	// (0: 60s, upstream's request timeout, which it uses likewise).
	ShutdownDelayDuration, ShutdownTimeout time.Duration
	// EtcdStartTimeout bounds the wait for an external etcd at start
	// (etcdwait.go; 0: DefaultEtcdStartTimeout).
	EtcdStartTimeout time.Duration
	Logger           *slog.Logger
}

// DefaultConfig returns the defaults of `tinykube server`.
func DefaultConfig() Config {
	return Config{
		DataDir: "tinykube-data", BindAddress: "127.0.0.1", SecurePort: 6443,
		ServiceCIDR: "10.0.0.0/24", NodePortRange: "30000-32767",
		MaxRequestsInFlight: 400, CompactionInterval: 5 * time.Minute, Profiling: true,
		AuthorizationModes: slices.Clone(DefaultAuthorizationModes),
		ShutdownTimeout:    defaultShutdownTimeout, EtcdStartTimeout: DefaultEtcdStartTimeout,
	}
}

// Validate reports configuration errors before anything starts.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("--data-dir is required")
	}
	if _, err := netip.ParsePrefix(c.ServiceCIDR); err != nil {
		return fmt.Errorf("--service-cluster-ip-range: %w", err)
	}
	if _, _, err := parsePortRange(c.NodePortRange); err != nil {
		return fmt.Errorf("--service-node-port-range: %w", err)
	}
	if c.AdvertiseAddress != "" {
		if _, err := netip.ParseAddr(c.AdvertiseAddress); err != nil {
			return fmt.Errorf("--advertise-address: %w", err)
		}
	}
	if err := validateAuthorizationModes(c.AuthorizationModes); err != nil {
		return err
	}
	if c.SecurePort < 0 || c.SecurePort > 65535 {
		return fmt.Errorf("--secure-port %d out of range", c.SecurePort)
	}
	if c.MaxConnections < 0 || c.MaxConnectionsPerClient < 0 {
		return errors.New("--max-connections and --max-connections-per-client may not be negative")
	}
	if c.ShutdownDelayDuration < 0 || c.ShutdownTimeout < 0 || c.EtcdStartTimeout < 0 {
		return errors.New("--shutdown-delay-duration and the shutdown and etcd start timeouts may not be negative")
	}
	if c.ClusterDNSPort < 0 || c.ClusterDNSPort > 65535 {
		return fmt.Errorf("cluster DNS port %d out of range", c.ClusterDNSPort)
	}
	return nil
}

// Server is a running API server.
type Server struct {
	cfg      Config
	etcd     *etcd.Embedded
	client   *clientv3.Client
	Registry *registry.Registry
	caches   []*cacher.Cacher
	listener net.Listener
	http     *http.Server
	ready    atomic.Bool
	// closing is set when BeginShutdown is called: /readyz fails
	// "shutdown" from then on (shutdown.go).
	closing atomic.Bool
	// shutdown is the state of the graceful shutdown (shutdown.go).
	shutdown *shutdownState
	// crds serves custom resources and keeps CRD status; stopCRDs ends it.
	crds     *crdcontroller.Controller
	stopCRDs context.CancelFunc
	// stopAuthz stops the authorizer's informers (rbac.go).
	stopAuthz func()
	// stopEndpoints stops the kubernetes endpoints reconciler and waits
	// for it to take this server out of the list.
	stopEndpoints func()
	// components answers componentstatuses (SetComponentProbe).
	components *componentstatus.Storage
	// PKI is the cluster's key material (DataDir/pki).
	PKI *pki.Bundle
	// KubeconfigPath is the admin kubeconfig written on start.
	KubeconfigPath string
	// URL is the https URL the server listens on.
	URL string
}

// Start brings the server up: certificates, etcd, stores, HTTPS, then the
// bootstrap objects, after which /readyz answers ok. It returns once
// ready; Close stops everything.
//
// A start that fails leaves the data dir as it found it: what it created
// there (the directory itself, pki/, etcd/, …) is removed again, so that
// fixing the cause (a busy port, say) and starting again is a first start.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	undo, err := noteDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s, err := start(ctx, cfg)
	if err != nil {
		if uerr := undo(); uerr != nil {
			cfg.Logger.Warn("start failed; cleaning up the data dir", "dir", cfg.DataDir, "err", uerr)
		}
		return nil, err
	}
	return s, nil
}

// noteDataDir records what dir holds now; undo removes what was added
// since (dir itself if it did not exist).
func noteDataDir(dir string) (undo func() error, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return func() error { return os.RemoveAll(dir) }, nil
	}
	if err != nil {
		return nil, err
	}
	had := make(map[string]bool, len(entries))
	for _, e := range entries {
		had[e.Name()] = true
	}
	return func() error {
		now, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		var errs []error
		for _, e := range now {
			if !had[e.Name()] {
				errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
			}
		}
		return errors.Join(errs...)
	}, nil
}

func start(ctx context.Context, cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, shutdown: newShutdownState()}
	// Listen first so the port is claimed (and clients can poll /readyz)
	// as early as possible, and a busy port fails before anything is
	// written.
	var err error
	s.listener, err = net.Listen("tcp", net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.SecurePort)))
	if err != nil {
		return nil, err
	}
	s.URL = "https://" + s.listener.Addr().String()
	if err := etcd.PrivateDir(cfg.DataDir, cfg.Logger); err != nil { // it holds the store's socket and the CA key
		s.listener.Close()
		return nil, err
	}
	// The OpenAPI documents depend on nothing else: build them while
	// etcd starts.
	type openapiResult struct {
		h   *openapi.Handler
		err error
	}
	openapiDone := make(chan openapiResult, 1)
	go func() {
		h, err := openapi.NewHandler(apitypes.Resources)
		openapiDone <- openapiResult{h, err}
	}()
	cidr := netip.MustParsePrefix(cfg.ServiceCIDR)
	bundle, err := pki.Ensure(filepath.Join(cfg.DataDir, "pki"), pki.Options{ServiceIP: cidr.Masked().Addr().Next().AsSlice(),
		ExtraSANs: s.extraServingSANs()})
	if err != nil {
		s.listener.Close()
		return nil, fmt.Errorf("certificates: %w", err)
	}
	cfg.Logger.Info("certificates ready", "dir", filepath.Join(cfg.DataDir, "pki"))

	if len(cfg.EtcdServers) > 0 {
		cfg.Logger.Info("connecting to etcd", "servers", cfg.EtcdServers)
		s.client, err = etcd.NewExternalClient(ctx, etcd.External{Servers: cfg.EtcdServers,
			CAFile: cfg.EtcdCAFile, CertFile: cfg.EtcdCertFile, KeyFile: cfg.EtcdKeyFile})
		if err == nil {
			if err = waitForEtcd(ctx, s.client, cfg.EtcdServers, cfg.EtcdStartTimeout, cfg.Logger); err != nil {
				s.client.Close()
				s.listener.Close()
				return nil, err
			}
		}
	} else {
		cfg.Logger.Info("starting embedded etcd", "dir", filepath.Join(cfg.DataDir, "etcd"))
		s.etcd, err = etcd.StartEmbedded(ctx, etcd.Config{DataDir: filepath.Join(cfg.DataDir, "etcd"), UnsafeNoFsync: cfg.UnsafeNoFsync, Logger: cfg.Logger})
		if err == nil {
			s.client = s.etcd.Client()
		}
	}
	if err != nil {
		s.listener.Close()
		return nil, fmt.Errorf("etcd: %w", err)
	}

	base, count, _ := parsePortRange(cfg.NodePortRange)
	s.Registry, err = registry.Build(registry.Config{Storage: storageFunc(s.client, &s.caches, &s.components, cfg.Logger), ServiceCIDR: cidr,
		NodePortBase: base, NodePortCount: count, DisableAdmissionPlugins: cfg.DisableAdmissionPlugins})
	if err != nil {
		s.Close()
		return nil, err
	}
	saTokens, err := newServiceAccountTokens(cfg, bundle)
	if err != nil {
		s.Close()
		return nil, err
	}
	authenticator, err := s.authenticator(bundle, saTokens)
	if err != nil {
		s.Close()
		return nil, err
	}
	reg := s.Registry
	authorizer, stopAuthz, err := s.authorizer(ctx, reg)
	s.stopAuthz = stopAuthz
	if err != nil {
		s.Close()
		return nil, err
	}
	creates := apiserver.AccessReviewHandlers(authorizer)
	tokenReviews, reviewTokens := apiserver.TokenReviewHandler(authenticator, saTokens.apiAudiences)
	creates[tokenReviews] = reviewTokens
	oa := <-openapiDone
	if oa.err != nil {
		s.Close()
		return nil, oa.err
	}
	openapiHandler := oa.h
	apiConfig := apiserver.Config{
		OpenAPI: openapiHandler, Profiling: cfg.Profiling,
		Stores: reg.Stores, Authenticator: authenticator, Authorizer: authorizer,
		MaxRequestsInFlight: cfg.MaxRequestsInFlight,
		LivezChecks:         []apiserver.HealthCheck{s.etcdCheck("etcd")},
		ReadyzChecks:        s.readyzChecks(),
		SpecialCreates:      creates,
		ShuttingDown:        s.shutdown.notAccepting,
	}
	AddSubresources(&apiConfig, reg)
	AddServiceAccountToken(&apiConfig, saTokens.tokenRequest(reg))
	s.PKI = bundle
	if err := addNodeProxy(&apiConfig, reg, bundle, cfg.Logger); err != nil {
		s.Close()
		return nil, err
	}
	api, err := apiserver.New(apiConfig)
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := s.startCRDs(ctx, api, openapiHandler); err != nil {
		s.Close()
		return nil, err
	}
	tlsConfig := bundle.ServerTLSConfig()
	s.http = &http.Server{Handler: api.Handler(), TLSConfig: tlsConfig, ReadHeaderTimeout: 32 * time.Second,
		IdleTimeout: idleTimeout, ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)}
	if err := configureHTTP2(s.http); err != nil {
		s.Close()
		return nil, err
	}
	// Shutdown closes the listener, then calls this: watches end.
	s.http.RegisterOnShutdown(s.shutdown.stopAccepting)
	go func() {
		total, perClient := ConnectionLimits()
		if cfg.MaxConnections > 0 {
			total = cfg.MaxConnections
		}
		if cfg.MaxConnectionsPerClient > 0 {
			perClient = cfg.MaxConnectionsPerClient
		}
		limited := newLimitListener(s.listener, total, perClient, cfg.Logger)
		if err := s.http.Serve(tls.NewListener(limited, tlsConfig)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Error("serving HTTPS", "err", err)
		}
	}()

	cfg.Logger.Info("serving the API; creating the bootstrap objects", "url", s.URL)
	if err := bootstrap(ctx, reg, int32(s.listener.Addr().(*net.TCPAddr).Port), filepath.Join(cfg.DataDir, "storage")); err != nil {
		s.Close()
		return nil, err
	}
	if err := publish(ctx, reg, cidr, bundle.CACertPEM); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.publishClusterInfo(ctx, reg, bundle.CACertPEM); err != nil {
		s.Close()
		return nil, err
	}
	s.KubeconfigPath = filepath.Join(cfg.DataDir, "admin.kubeconfig")
	if err := bundle.WriteKubeconfig(s.KubeconfigPath, s.URL, pki.AdminUser); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.CompactionInterval > 0 {
		go etcd.RunCompaction(ctx, s.client, cfg.CompactionInterval)
	}
	if cfg.ClusterDNSPort > 0 {
		// A warning, not a failure: the address may be another
		// Service's, or kube-dns someone else's.
		if ip, err := ClusterDNSIP(cfg.ServiceCIDR); err != nil {
			cfg.Logger.Warn("no kube-dns Service", "err", err)
		} else if err := ensureDNSService(ctx, reg.Store("", "services"), ip, int32(cfg.ClusterDNSPort)); err != nil {
			cfg.Logger.Warn("no kube-dns Service", "ip", ip, "err", err)
		}
	}
	s.startEndpointReconciler(int32(s.listener.Addr().(*net.TCPAddr).Port))
	s.ready.Store(true)
	return s, nil
}

// etcdCheck is upstream's etcd health check: a read of
// /registry/health that must answer within 2s.
func (s *Server) etcdCheck(name string) apiserver.HealthCheck {
	return apiserver.HealthCheck{Name: name, Check: func(r *http.Request) error {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := s.client.Get(ctx, "/registry/health"); err != nil {
			return fmt.Errorf("etcd: %w", err)
		}
		return nil
	}}
}

// readyzChecks are /readyz's checks, named as upstream's: etcd,
// etcd-readiness, bootstrap-controller (the bootstrap objects exist and
// the established CRDs are served: Start has finished) and shutdown
// (fails once Close has begun).
func (s *Server) readyzChecks() []apiserver.HealthCheck {
	return []apiserver.HealthCheck{
		s.etcdCheck("etcd"),
		s.etcdCheck("etcd-readiness"),
		{Name: "poststarthook/bootstrap-controller", Check: func(*http.Request) error {
			if !s.ready.Load() {
				return errors.New("bootstrap not finished")
			}
			return nil
		}},
		{Name: "shutdown", Check: func(*http.Request) error {
			if s.closing.Load() {
				return errors.New("server is shutting down")
			}
			return nil
		}},
	}
}

// authenticator is the server's authenticator union, in upstream's
// order: client certificates, the token file, service-account tokens,
// bootstrap tokens (kube-system/bootstrap-token-* Secrets, read from the
// watch cache).
func (s *Server) authenticator(bundle *pki.Bundle, sa *serviceAccountTokens) (authn.Authenticator, error) {
	as := []authn.Authenticator{authn.NewX509(bundle.CAPool)}
	if s.cfg.TokenAuthFile != "" {
		tokens, err := authn.LoadTokenFile(s.cfg.TokenAuthFile)
		if err != nil {
			return nil, fmt.Errorf("--token-auth-file: %w", err)
		}
		// Token-file tokens name no audience: they are for the API.
		as = append(as, authn.NewBearerToken(authn.NewAudienceAgnostic(sa.apiAudiences, tokens)))
	}
	as = append(as, sa.authenticator(s.Registry))
	secrets := storeObjects{secrets: s.Registry.Store("", "secrets")}
	as = append(as, authn.NewBootstrapTokenAuthenticator(sa.apiAudiences, authn.NewBootstrapTokens(secrets, nil, s.cfg.Logger)))
	return authn.NewUnion(as...), nil
}

// startCRDs starts the CRD controller in the API server process: it
// serves the custom resources of every established CRD before Start
// returns, then follows CRD changes.
func (s *Server) startCRDs(ctx context.Context, api *apiserver.Server, openapiHandler *openapi.Handler) error {
	cfg := crdcontroller.Config{
		CRDs: s.Registry.Store("apiextensions.k8s.io", "customresourcedefinitions"), Server: api,
		Storage: customResourceStorage(s.client, s.cfg.Logger),
		Schema: func(p *apiextensionsv1.JSONSchemaProps) (customresource.Schema, error) {
			sch, err := crdschema.New(p)
			if err != nil {
				return nil, err
			}
			return sch, nil
		},
		Admission: s.Registry.Admission,
		OpenAPI:   openapiHandler,
		Schemas:   openapi.NewBuilder(apitypes.Scheme, apitypes.Resources).CustomResourceSchemas,
		Logger:    s.cfg.Logger,
	}
	c, err := crdcontroller.New(cfg)
	if err != nil {
		return err
	}
	if err := c.SyncAll(ctx); err != nil {
		return err
	}
	// The controller outlives Start's ctx; Close ends it.
	runCtx, stop := context.WithCancel(context.Background())
	s.crds, s.stopCRDs = c, stop
	go c.Run(runCtx)
	return nil
}

// EtcdClient returns the server's etcd client, for tests and tools that
// need etcd itself (compaction, inspecting stored bytes). Do not close it.
func (s *Server) EtcdClient() *clientv3.Client { return s.client }

// EtcdErr reports a fatal embedded etcd error (nil channel for external).
func (s *Server) EtcdErr() <-chan error {
	if s.etcd == nil {
		return nil
	}
	return s.etcd.Err()
}

func parsePortRange(r string) (base, count int32, err error) {
	var lo, hi int32
	if _, err := fmt.Sscanf(r, "%d-%d", &lo, &hi); err != nil || lo <= 0 || hi < lo || hi > 65535 {
		return 0, 0, fmt.Errorf("invalid port range %q", r)
	}
	return lo, hi - lo + 1, nil
}
