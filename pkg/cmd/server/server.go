package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"

	cmcmd "github.com/tinykube/tinykube/pkg/cmd/controllermanager"
	nodecmd "github.com/tinykube/tinykube/pkg/cmd/node"
	schedcmd "github.com/tinykube/tinykube/pkg/cmd/scheduler"
	"github.com/tinykube/tinykube/pkg/controllermanager"
	"github.com/tinykube/tinykube/pkg/idlegc"
	"github.com/tinykube/tinykube/pkg/scheduler"
	"github.com/tinykube/tinykube/pkg/server"
)

// flags are the command line of both commands.
type flags struct {
	cfg         server.Config
	etcdServers string
	// controllers is nil for `tinykube apiserver`.
	controllers *cmcmd.Flags
	// scheduler is nil for `tinykube apiserver`.
	scheduler        *schedcmd.Flags
	disableScheduler bool
	// simulatedNodes run in-process (pkg/node); 0 for none.
	simulatedNodes int
	// failingImages are the simulated nodes' images that fail to pull;
	// jobDelay and jobJitter how long their Job pods run.
	failingImages       []string
	jobDelay, jobJitter time.Duration
	// node runs one real node in-process (containerd), its data under
	// DataDir/node; nodeName names it ("" = the host name).
	node     bool
	nodeName string
	// kubeletPort is the --node node's kubelet API port (0: any free);
	// nodeIP its InternalIP ("" = the default-route address).
	kubeletPort  int
	evictionHard string
	nodeIP       string
	// nodeCNI is the --node node's pod network plugin ("tinykube" or
	// "reference").
	nodeCNI string
	// nodeNetworkPolicy: the --node node enforces NetworkPolicies.
	nodeNetworkPolicy bool
	// podNetwork is the --node node's --pod-network.
	podNetwork string
	// nodeProxy: the --node node runs the service proxy (pkg/proxy).
	nodeProxy bool
	// idleGCPercent is GOGC while idle (pkg/idlegc); 0 disables.
	idleGCPercent int
	// dns is the cluster DNS (pkg/dns); nil for `tinykube apiserver`.
	dns *dnsFlags
}

func (f *flags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.cfg.DataDir, "data-dir", f.cfg.DataDir, "directory for etcd data, certificates and admin.kubeconfig")
	fs.StringVar(&f.cfg.BindAddress, "bind-address", f.cfg.BindAddress, "address to serve HTTPS on")
	fs.StringVar(&f.cfg.AdvertiseAddress, "advertise-address", "", "IP listed in the kubernetes Service's endpoints (default: --bind-address unless loopback, else the host's default-route address)")
	fs.IntVar(&f.cfg.SecurePort, "secure-port", f.cfg.SecurePort, "port to serve HTTPS on (0 = any free port)")
	fs.StringVar(&f.etcdServers, "etcd-servers", "", "comma-separated etcd client URLs (http://, https://, unix://); empty runs an embedded etcd under --data-dir, reachable only through a unix socket there")
	fs.StringVar(&f.cfg.EtcdCAFile, "etcd-cafile", "", "CA of the https --etcd-servers' serving certificates (default: the system's CAs)")
	fs.StringVar(&f.cfg.EtcdCertFile, "etcd-certfile", "", "client certificate for the https --etcd-servers (with --etcd-keyfile)")
	fs.StringVar(&f.cfg.EtcdKeyFile, "etcd-keyfile", "", "key of --etcd-certfile")
	fs.StringSliceVar(&f.cfg.AuthorizationModes, "authorization-mode", f.cfg.AuthorizationModes, "ordered authorizers after system:masters (always allowed): RBAC, AlwaysAllow")
	fs.StringVar(&f.cfg.TokenAuthFile, "token-auth-file", "", "static bearer tokens, CSV: token,user,uid,\"group1,group2\"")
	fs.StringVar(&f.cfg.ServiceAccountIssuer, "service-account-issuer", server.DefaultServiceAccountIssuer, "the \"iss\" of the service-account tokens the server issues (signed with DATA-DIR/pki/sa.key)")
	fs.StringSliceVar(&f.cfg.APIAudiences, "api-audiences", nil, "audiences the API accepts tokens for (default: the service-account issuer)")
	fs.StringSliceVar(&f.cfg.DisableAdmissionPlugins, "disable-admission-plugins", nil, "admission plugins to turn off (e.g. ServiceAccount)")
	fs.StringVar(&f.cfg.ServiceCIDR, "service-cluster-ip-range", f.cfg.ServiceCIDR, "CIDR Service ClusterIPs are allocated from")
	fs.StringVar(&f.cfg.NodePortRange, "service-node-port-range", f.cfg.NodePortRange, "port range NodePorts are allocated from")
	fs.IntVar(&f.cfg.MaxRequestsInFlight, "max-requests-inflight", f.cfg.MaxRequestsInFlight, "concurrent requests before answering 429")
	fs.IntVar(&f.cfg.MaxConnections, "max-connections", 0, "open API connections before new ones are refused (0: three quarters of the file descriptor limit)")
	fs.IntVar(&f.cfg.MaxConnectionsPerClient, "max-connections-per-client", 0, "open API connections from one IP before its new ones are refused (0: a quarter of --max-connections)")
	fs.DurationVar(&f.cfg.CompactionInterval, "etcd-compaction-interval", f.cfg.CompactionInterval, "interval between etcd compactions (0 disables)")
	fs.BoolVar(&f.cfg.UnsafeNoFsync, "unsafe-no-fsync", false, "embedded etcd skips fsync: fast, loses data on a machine crash (tests only)")
	fs.BoolVar(&f.cfg.Profiling, "profiling", f.cfg.Profiling, "serve /debug/pprof to authenticated users")
	fs.DurationVar(&f.cfg.ShutdownDelayDuration, "shutdown-delay-duration", f.cfg.ShutdownDelayDuration,
		"on SIGTERM or SIGINT, keep serving this long with /readyz failing before no longer accepting connections, so that load balancers stop sending requests first")
	fs.IntVar(&f.idleGCPercent, "idle-gc-percent", idlegc.DefaultConfig().IdlePercent,
		"GOGC while the process allocates under 4 MiB/s (idle); GOGC (default 100) applies again as soon as it is busy. 0 disables; ignored when the GOGC environment variable is set")
}

// NewCommand returns `tinykube server`: the whole cluster control plane in
// one process.
func NewCommand() *cobra.Command {
	f := &flags{cfg: server.DefaultConfig(), controllers: cmcmd.DefaultFlags()}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run tinykube: API server on an embedded (or external) etcd, and the controllers",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return f.run(cmd.Context()) },
	}
	f.add(cmd.Flags())
	f.controllers.Add(cmd.Flags())
	// scheduler flags (pkg/cmd/scheduler)
	f.scheduler = schedcmd.DefaultFlags()
	f.scheduler.Add(cmd.Flags())
	cmd.Flags().BoolVar(&f.disableScheduler, "disable-scheduler", false, "do not run the scheduler in-process")
	cmd.Flags().IntVar(&f.simulatedNodes, "simulated-nodes", 0, "run this many simulated nodes in-process (like tinykube node --simulated N)")
	simDefaults := nodecmd.DefaultFlags().Config
	cmd.Flags().StringSliceVar(&f.failingImages, "simulated-failing-images", simDefaults.FailingImages, nodecmd.SimulatedFailingImagesUsage)
	cmd.Flags().DurationVar(&f.jobDelay, "simulated-job-delay", simDefaults.JobCompleteDelay, nodecmd.SimulatedJobDelayUsage)
	cmd.Flags().DurationVar(&f.jobJitter, "simulated-job-jitter", simDefaults.JobCompleteJitter, nodecmd.SimulatedJobJitterUsage)
	cmd.Flags().BoolVar(&f.node, "node", false, "also run a real node in-process: pods run as containers in a private containerd (data under DATA-DIR/node; needs root and Debian's containerd, runc and containernetworking-plugins)")
	cmd.Flags().StringVar(&f.nodeName, "node-name", "", "name of the --node node (default: the host name)")
	cmd.Flags().StringVar(&f.nodeIP, "node-ip", "", "the --node node's InternalIP, where the API server reaches its kubelet API (default: the default-route address)")
	cmd.Flags().StringVar(&f.evictionHard, "eviction-hard", "", "the --node node's pressure thresholds, as the kubelet's --eviction-hard (e.g. memory.available<100Mi,nodefs.available<10%; default the kubelet's)")
	cmd.Flags().StringVar(&f.podNetwork, "pod-network", nodecmd.DefaultRealFlags().PodNetwork, `how the --node node's pods reach other nodes' pods: "host-gw", "vxlan" or "none" (as tinykube node --pod-network)`)
	cmd.Flags().StringVar(&f.nodeCNI, "cni", nodecmd.DefaultRealFlags().CNI, `the --node node's pod network plugin: "tinykube" (tinykube-cni, built into this binary; pod traffic leaving --cluster-cidr is masqueraded) or "reference" (Debian's bridge and host-local plugins)`)
	cmd.Flags().BoolVar(&f.nodeNetworkPolicy, "node-network-policy", true, "the --node node enforces NetworkPolicies in nftables (as tinykube node --network-policy does)")
	cmd.Flags().BoolVar(&f.nodeProxy, "proxy", true, "the --node node runs the service proxy (as `tinykube proxy`: nftables table inet tinykube, in the host's network namespace)")
	cmd.Flags().IntVar(&f.kubeletPort, "kubelet-port", 10250, "the --node node's kubelet API port (logs, exec, attach, port-forward; 0: any free port)")
	f.dns = &dnsFlags{}
	f.dns.add(cmd.Flags())
	return cmd
}

// NewAPIServerCommand returns `tinykube apiserver`: the API server alone.
func NewAPIServerCommand() *cobra.Command {
	f := &flags{cfg: server.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "apiserver",
		Short: "Run the API server alone (no controllers, scheduler or nodes)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return f.run(cmd.Context()) },
	}
	f.add(cmd.Flags())
	return cmd
}

func (f *flags) run(ctx context.Context) error {
	logger := slog.Default() // -v, --logging-format: pkg/logs, set up by the root command
	f.cfg.Logger = logger
	if f.etcdServers != "" {
		f.cfg.EtcdServers = strings.Split(f.etcdServers, ",")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.idleGCPercent > 0 && os.Getenv("GOGC") == "" {
		gc := idlegc.DefaultConfig()
		gc.IdlePercent, gc.Logger = f.idleGCPercent, logger
		if err := gc.Validate(); err != nil {
			return fmt.Errorf("--idle-gc-percent: %w", err)
		}
		go func() { _ = idlegc.Run(ctx, gc) }()
	}
	start := time.Now()
	logger.Info("starting tinykube", "dataDir", f.cfg.DataDir)
	// The DNS listener is bound first: the kube-dns Service and
	// EndpointSlice the API server writes carry its port.
	dnsL, err := f.dns.listen(&f.cfg, logger)
	if err != nil {
		return err
	}
	s, err := server.Start(ctx, f.cfg)
	if err != nil {
		dnsL.close()
		return err
	}
	defer func() {
		if err := s.Close(); err != nil {
			logger.Warn("shutting down", "err", err)
		}
		logger.Info("tinykube stopped")
	}()
	errs := make(chan error, 5)
	if dnsL != nil {
		dnsDone, err := f.dns.run(ctx, dnsL, s, f.cfg, logger, errs)
		if err != nil {
			return err
		}
		defer func() { <-dnsDone }() // before the API server closes
	}
	logger.Info("tinykube ready", "url", s.URL, "kubeconfig", s.KubeconfigPath, "startup", time.Since(start).Round(time.Millisecond))
	// components are the in-process clients that hold a leader Lease.
	var components sync.WaitGroup
	if f.controllers != nil {
		rc, err := clientcmd.BuildConfigFromFlags("", s.KubeconfigPath)
		if err != nil {
			return err
		}
		cm := controllermanager.DefaultConfig()
		cm.RESTConfig, cm.RootCA, cm.Logger = rc, rc.CAData, logger
		if err := f.controllers.Apply(&cm); err != nil {
			return err
		}
		if cm.ClusterSigningCA == nil {
			cm.ClusterSigningCA = s.PKI.CA()
		}
		done := inProcess(s, "controller-manager")
		components.Add(1)
		go func() {
			defer components.Done()
			err := controllermanager.Run(ctx, cm)
			done(err)
			if err != nil {
				err = fmt.Errorf("controller-manager: %w", err)
			}
			errs <- err
		}()
	}
	// --- scheduler (pkg/scheduler) ---
	if f.scheduler != nil && !f.disableScheduler {
		rc, err := clientcmd.BuildConfigFromFlags("", s.KubeconfigPath)
		if err != nil {
			return err
		}
		sc := scheduler.DefaultConfig()
		sc.RESTConfig, sc.Logger = rc, logger
		f.scheduler.Apply(&sc)
		done := inProcess(s, "scheduler")
		components.Add(1)
		go func() {
			defer components.Done()
			err := scheduler.Run(ctx, sc)
			done(err)
			if err != nil {
				errs <- fmt.Errorf("scheduler: %w", err)
			}
		}()
	}
	// --- end scheduler ---
	// --- simulated nodes (pkg/node) ---
	if f.simulatedNodes > 0 {
		rc, err := clientcmd.BuildConfigFromFlags("", s.KubeconfigPath)
		if err != nil {
			return err
		}
		nc := nodecmd.DefaultFlags().Config
		nc.Count, nc.Logger, nc.FailingImages = f.simulatedNodes, logger, f.failingImages
		nc.JobCompleteDelay, nc.JobCompleteJitter = f.jobDelay, f.jobJitter
		// Waited for on shutdown as the leaders are: their last
		// requests go to this process's API server, which must still
		// serve them (else "connection refused" on the way out).
		components.Add(1)
		go func() {
			defer components.Done()
			if err := nodecmd.Run(ctx, rc, nc); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("simulated nodes: %w", err)
			}
		}()
	}
	// --- end simulated nodes ---
	// --- real node (pkg/node, pkg/cmd/node/real.go) ---
	if f.node {
		rc, err := clientcmd.BuildConfigFromFlags("", s.KubeconfigPath)
		if err != nil {
			return err
		}
		nf := nodecmd.DefaultFlags()
		nf.Config.RESTConfig, nf.Config.Logger = rc, logger
		nf.Real.Runtime, nf.Real.NodeName = "containerd", f.nodeName
		nf.Real.DataDir = filepath.Join(f.cfg.DataDir, "node")
		// The kubelet API, with a serving certificate of the cluster CA;
		// on the node IP if one is given (the API server reaches it
		// there), else on every address, as upstream.
		nf.Real.NodeIP, nf.Real.KubeletPort = f.nodeIP, f.kubeletPort
		nf.Real.EvictionHard = f.evictionHard
		nf.Real.CNI, nf.Real.ClusterCIDR = f.nodeCNI, f.controllers.ClusterCIDR
		nf.Real.NetworkPolicy = f.nodeNetworkPolicy
		nf.Real.PodNetwork = f.podNetwork
		nf.Real.Proxy = f.nodeProxy
		nf.Real.ClusterDNS, nf.Real.ClusterDomain = f.dns.clusterDNS(f.cfg), f.dns.domain
		if f.nodeIP != "" {
			nf.Real.KubeletAddress = f.nodeIP
		}
		nf.Real.IssueServingCert = func(name string, ips []net.IP) (tls.Certificate, error) {
			certPEM, keyPEM, err := s.PKI.IssueServingCert(name, ips, []string{name})
			if err != nil {
				return tls.Certificate{}, err
			}
			return tls.X509KeyPair(certPEM, keyPEM)
		}
		nodeDone := make(chan struct{})
		defer func() { <-nodeDone }() // its containerd stops before we return
		go func() {
			defer close(nodeDone)
			if err := nodecmd.RunReal(ctx, nf.Config, nf.Real); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("node: %w", err)
			}
		}()
	}
	// --- end real node ---
	// The one line to paste into another shell; absolute, so that it
	// works from any directory. On stdout: the log (stderr) stays all
	// log lines, JSON ones with --logging-format json.
	kubeconfig, err := filepath.Abs(s.KubeconfigPath)
	if err != nil {
		kubeconfig = s.KubeconfigPath
	}
	fmt.Fprintf(os.Stdout, "tinykube is ready; in another shell:\nexport KUBECONFIG=%s\n", kubeconfig)
	err = nil
	select {
	case <-ctx.Done():
	case err = <-s.EtcdErr():
		err = fmt.Errorf("etcd: %w", err)
	case err = <-errs:
	}
	// Shutdown, clients first: /readyz fails at once; the in-process
	// components stop and give up their Leases through the API, which
	// still serves; the DNS and the real node stop (deferred above);
	// then Close (deferred first) waits out --shutdown-delay-duration,
	// stops accepting, ends watches, drains requests and closes etcd.
	s.BeginShutdown()
	stop() // a second signal kills the process at once
	waitReleased(&components, releaseTimeout, logger)
	return err
}

// releaseTimeout bounds how long shutting down waits for the in-process
// controller manager, scheduler and simulated nodes.
const releaseTimeout = 5 * time.Second

// waitReleased waits (at most timeout) for the in-process components to
// return. They give up their leader Leases on the way out
// (ReleaseOnCancel), through this process's API server, which must
// therefore still serve: otherwise the next start finds the Leases held
// by a process that is gone, and no controller or scheduler runs until
// they expire (15 s).
func waitReleased(components *sync.WaitGroup, timeout time.Duration, logger *slog.Logger) {
	done := make(chan struct{})
	go func() {
		components.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		logger.Warn("shutting down: controller manager, scheduler or simulated nodes still running", "waited", timeout)
	}
}

// inProcess reports component name, run by this process, as healthy in
// componentstatuses until the returned function records its end.
func inProcess(s *server.Server, name string) (done func(error)) {
	var ended atomic.Pointer[string]
	s.SetComponentProbe(name, func(context.Context) (string, error) {
		if why := ended.Load(); why != nil {
			return "", fmt.Errorf("%s in the tinykube process stopped: %s", name, *why)
		}
		return "ok", nil
	})
	return func(err error) {
		why := "returned"
		if err != nil {
			why = err.Error()
		}
		ended.Store(&why)
	}
}
