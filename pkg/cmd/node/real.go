package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/kubernetes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	proxycmd "github.com/tinykube/tinykube/pkg/cmd/proxy"
	"github.com/tinykube/tinykube/pkg/network/routes"
	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/containerd"
	"github.com/tinykube/tinykube/pkg/node/cri"
	"github.com/tinykube/tinykube/pkg/node/eviction"
	"github.com/tinykube/tinykube/pkg/node/images"
)

// RealFlags configure a real node: `tinykube node --runtime containerd`
// and `tinykube server --node`.
type RealFlags struct {
	// Runtime is "simulated" (the default) or "containerd".
	Runtime string
	// NodeName defaults to the host name.
	NodeName string
	// DataDir holds the node's containerd, CNI config and pod logs.
	DataDir string
	// Endpoint, when set ("unix:///run/containerd/containerd.sock"),
	// is an existing CRI runtime to use instead of a private containerd.
	Endpoint string
	// NodeIP is the InternalIP ("" = the default-route address).
	NodeIP         string
	SystemReserved map[string]string
	ClusterDNS     []string
	ClusterDomain  string
	// CNI is the pod network plugin: "tinykube" (tinykube-cni, this
	// binary; the default) or "reference" (Debian's bridge and
	// host-local). Not used with Endpoint.
	CNI string
	// ClusterCIDR is the cluster's pod network, which tinykube-cni does
	// not masquerade ("": the node's podCIDR).
	ClusterCIDR string
	// EvictionHard: the pressure conditions' thresholds, in the
	// kubelet's syntax (pkg/node/eviction; unnamed signals keep their
	// defaults).
	EvictionHard string
	// PodNetwork is how pods reach other nodes' pods: "host-gw" (the
	// default), "vxlan" or "none" (pkg/network/routes).
	PodNetwork string

	// The kubelet API (kubeletapi.go): where it listens (port 0: any
	// free port), its serving certificate (files; else
	// IssueServingCert, set by `tinykube server --node` to issue one
	// from the cluster CA; else self-signed), and the CA that verifies
	// the API server's client certificate (default: the kubeconfig's).
	KubeletAddress          string
	KubeletPort             int
	TLSCertFile, TLSKeyFile string
	ClientCAFile            string
	IssueServingCert        func(name string, ips []net.IP) (tls.Certificate, error)
	// RequestServingCert (a joined node without --tls-cert-file): start
	// self-signed, then ask the cluster for a serving certificate through
	// a kubelet-serving CSR (join.go).
	RequestServingCert bool
	// NetworkPolicy: enforce NetworkPolicies for the node's pods in
	// nftables (pkg/network/policy; netpol.go).
	NetworkPolicy bool

	// Proxy runs the service proxy (pkg/proxy, as `tinykube proxy`) in
	// the node's network namespace; ProxyFlags are its settings (its
	// cluster CIDR is ClusterCIDR).
	Proxy      bool
	ProxyFlags proxycmd.Flags
}

// DefaultRealFlags are the defaults of `tinykube node`.
func DefaultRealFlags() RealFlags {
	return RealFlags{Runtime: "simulated", DataDir: "/var/lib/tinykube/node", ClusterDomain: "cluster.local", CNI: containerd.CNITinykube,
		PodNetwork:     string(routes.ModeHostGW),
		KubeletAddress: "0.0.0.0", KubeletPort: 10250, NetworkPolicy: true, Proxy: true, ProxyFlags: proxycmd.DefaultFlags()}
}

func (f *RealFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.Runtime, "runtime", f.Runtime, `"simulated" (--simulated N nodes that run nothing) or "containerd" (one real node running pods as containers; needs root)`)
	fs.StringVar(&f.NodeName, "node-name", f.NodeName, "name of the real node (default: the host name)")
	fs.StringVar(&f.DataDir, "data-dir", f.DataDir, "real node: directory for its containerd (root, state, socket, config), CNI config and pod logs")
	fs.StringVar(&f.Endpoint, "container-runtime-endpoint", f.Endpoint, "real node: use this CRI endpoint (unix://…) instead of starting a private containerd; it must have the pause image "+images.PauseImage+" and its own CNI config")
	fs.StringVar(&f.CNI, "cni", f.CNI, `real node: the pod network plugin of its private containerd: "tinykube" (tinykube-cni, built into this binary: bridge, IPAM and masquerading; Debian's portmap and loopback beside it) or "reference" (Debian's bridge and host-local plugins)`)
	fs.StringVar(&f.ClusterCIDR, "cluster-cidr", f.ClusterCIDR, "real node with --cni tinykube: the cluster's pod network, whose traffic is not masqueraded (default: the node's podCIDR)")
	fs.StringVar(&f.PodNetwork, "pod-network", f.PodNetwork, `real node: how pods reach other nodes' pods: "host-gw" (a route to every other node's podCIDR via its InternalIP; nodes on one L2 segment), "vxlan" (flannel's vxlan backend: a VXLAN device, VNI 1, UDP 8472; pods' MTU 50 less) or "none" (routing is someone else's)`)
	fs.StringVar(&f.NodeIP, "node-ip", f.NodeIP, "real node: its InternalIP (default: the address of the default-route interface)")
	fs.StringToStringVar(&f.SystemReserved, "system-reserved", f.SystemReserved, "real node: resources kept from pods, e.g. cpu=500m,memory=1Gi (allocatable = capacity - these)")
	fs.StringSliceVar(&f.ClusterDNS, "cluster-dns", f.ClusterDNS, "real node: DNS server IPs for pods with dnsPolicy ClusterFirst (default: the ClusterIP of kube-system/kube-dns, followed as it appears, changes or goes; while there is none, pods use the host's resolv.conf)")
	fs.StringVar(&f.EvictionHard, "eviction-hard", f.EvictionHard, "real node: thresholds of its MemoryPressure/DiskPressure/PIDPressure conditions, e.g. memory.available<100Mi,nodefs.available<10% (signals not named keep the kubelet's defaults: "+eviction.DefaultHard+"; no pod is evicted)")
	fs.StringVar(&f.ClusterDomain, "cluster-domain", f.ClusterDomain, "real node: the cluster's DNS domain")
	fs.StringVar(&f.KubeletAddress, "address", f.KubeletAddress, "real node: the IP the kubelet API (logs, exec, attach, port-forward) listens on")
	fs.IntVar(&f.KubeletPort, "port", f.KubeletPort, "real node: the kubelet API's port (0: any free port)")
	fs.StringVar(&f.TLSCertFile, "tls-cert-file", f.TLSCertFile, "real node: the kubelet API's serving certificate (default: self-signed)")
	fs.StringVar(&f.TLSKeyFile, "tls-private-key-file", f.TLSKeyFile, "real node: the key of --tls-cert-file")
	fs.BoolVar(&f.NetworkPolicy, "network-policy", f.NetworkPolicy, "real node: enforce NetworkPolicies for its pods in nftables (table inet tinykube, objects policy-*; needs the nft binary); false removes the rules an earlier run left")
	fs.BoolVar(&f.Proxy, "proxy", f.Proxy, "real node: run the service proxy (as `tinykube proxy`: nftables table inet tinykube) in the node's network namespace")
	f.ProxyFlags.Add(fs, "proxy-")
	fs.StringVar(&f.ClientCAFile, "client-ca-file", f.ClientCAFile, "real node: CA that signs the API server's client certificate for the kubelet API (default: the kubeconfig's CA)")
}

// RealRuntime is a real node's container runtime: a private containerd
// (nil with --container-runtime-endpoint) and the CRI client to it.
type RealRuntime struct {
	Containerd *containerd.Containerd
	CRI        *cri.Client
	// cgroupRoot is the node's pod cgroups' parent, set by RealConfig.
	cgroupRoot string
}

// StartRuntime starts the node's private containerd under
// DataDir/containerd (or connects to f.Endpoint) and dials it. A missing
// containerd is one clear error (containerd.ErrNotInstalled).
func StartRuntime(ctx context.Context, f RealFlags, logger *slog.Logger) (*RealRuntime, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if f.Endpoint != "" {
		c, err := cri.Dial(ctx, f.Endpoint, 10*time.Second)
		if err != nil {
			return nil, err
		}
		// Best effort: an endpoint that is a containerd gets our pause
		// image; others must have one.
		if err := importPause(ctx, f.Endpoint, f.DataDir); err != nil {
			logger.Warn("node: could not import the pause image into the CRI endpoint; it must have it", "image", images.PauseImage, "err", err)
		}
		return &RealRuntime{CRI: c}, nil
	}
	if err := os.MkdirAll(f.DataDir, 0o700); err != nil {
		return nil, err
	}
	cc := containerd.DefaultConfig(filepath.Join(f.DataDir, "containerd"))
	cc.Logger, cc.CNI, cc.ClusterCIDR = logger, f.CNI, f.ClusterCIDR
	mtu, err := podMTU(f)
	if err != nil {
		return nil, err
	}
	cc.PodMTU = mtu
	ctrd, err := containerd.Start(ctx, cc)
	if err != nil {
		return nil, err
	}
	c, err := cri.Dial(ctx, ctrd.Endpoint(), 10*time.Second)
	if err != nil {
		ctrd.Stop()
		return nil, err
	}
	c.OnRuntimeConfig = func(cfg *runtimeapi.RuntimeConfig) error {
		return ctrd.WriteCNIConfig(cfg.GetNetworkConfig().GetPodCidr())
	}
	return &RealRuntime{Containerd: ctrd, CRI: c}, nil
}

func importPause(ctx context.Context, endpoint, dir string) error {
	img, err := images.Pause("")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	p := filepath.Join(dir, "pause.tar")
	if err := images.WriteOCIArchiveFile(p, img); err != nil {
		return err
	}
	return containerd.Import(ctx, "", endpoint, p)
}

// Close closes the CRI connection and stops a private containerd. With
// removePods (tests), every pod sandbox is removed first and the node's
// CNI bridge deleted after; otherwise pods keep running, as they do
// when a kubelet stops.
func (r *RealRuntime) Close(removePods bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var errs []error
	if removePods {
		errs = append(errs, r.CRI.RemoveAllPodSandboxes(ctx))
		node.RemoveCgroups(r.cgroupRoot)
	}
	errs = append(errs, r.CRI.Close(ctx))
	if r.Containerd != nil {
		errs = append(errs, r.Containerd.Stop())
		if removePods {
			errs = append(errs, r.Containerd.Paths().DeleteBridge(), r.Containerd.Paths().UnmountAll())
		}
	}
	return errors.Join(errs...)
}

// RealConfig turns base (the agent's defaults and common flags) into the
// config of one real node on rt.
func RealConfig(base node.Config, f RealFlags, rt *RealRuntime) (node.Config, error) {
	cfg := base
	name, err := nodeName(f)
	if err != nil {
		return cfg, err
	}
	rn := &node.RealNode{Name: name, DataDir: f.DataDir, ClusterDNS: f.ClusterDNS, ClusterDomain: f.ClusterDomain,
		PollInterval: time.Second, SystemReserved: corev1.ResourceList{},
		// Per node, so that two nodes on one machine (tests) never share
		// a cgroup.
		CgroupRoot: "/tinykube/" + name}
	rt.cgroupRoot = rn.CgroupRoot
	if f.NodeIP != "" {
		ip, err := netip.ParseAddr(f.NodeIP)
		if err != nil {
			return cfg, fmt.Errorf("--node-ip: %w", err)
		}
		rn.IP = ip
	}
	if rn.EvictionHard, err = eviction.Hard(f.EvictionHard); err != nil {
		return cfg, err
	}
	if rt.Containerd != nil {
		rn.ImageFsDir = rt.Containerd.Paths().Root
	}
	for k, v := range f.SystemReserved {
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return cfg, fmt.Errorf("--system-reserved %s=%s: %w", k, v, err)
		}
		rn.SystemReserved[corev1.ResourceName(k)] = q
	}
	cfg.Real = rn
	cfg.NewRuntime = func(string) node.Runtime { return rt.CRI }
	return cfg, nil
}

// RunReal runs one real node until ctx ends; its containerd is stopped
// on the way out (the pods' containers keep running).
func RunReal(ctx context.Context, cfg node.Config, f RealFlags) error {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	rt, err := StartRuntime(ctx, f, logger)
	if err != nil {
		return err
	}
	defer rt.Close(false)
	var dns *clusterDNS
	if len(f.ClusterDNS) == 0 {
		if dns, err = followClusterDNS(ctx, cfg.RESTConfig, 10*time.Second, logger); err != nil {
			return err
		}
	}
	cfg, err = RealConfig(cfg, f, rt)
	if err != nil {
		return err
	}
	if dns != nil {
		cfg.Real.FollowClusterDNS = dns.Servers
	}
	api, err := ListenKubeletAPI(f, &cfg, rt)
	if err != nil {
		return err
	}
	agent, err := node.New(cfg)
	if err != nil {
		api.Close()
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	apiDone := make(chan error, 1)
	go func() { apiDone <- api.Serve(ctx, agent) }()
	if err := startRoutes(ctx, cfg, f, logger); err != nil {
		cancel()
		<-apiDone
		return err
	}
	defer startNetworkPolicy(ctx, f, cfg, logger)() // starts it now, waits for it on the way out
	if f.RequestServingCert {
		go requestServingCert(ctx, cfg.RESTConfig, cfg.Real.Name, f.DataDir, api, 2*time.Minute, logger)
	}
	if f.Proxy {
		go runProxy(ctx, cfg, f, logger)
	}
	err = agent.Run(ctx)
	cancel()
	if apiErr := <-apiDone; err == nil && apiErr != nil {
		err = fmt.Errorf("kubelet API: %w", apiErr)
	}
	return err
}

// podMTU is the pods' MTU for f.PodNetwork (0: the plugin's default).
func podMTU(f RealFlags) (int, error) {
	mode, err := routes.ParseMode(f.PodNetwork)
	if err != nil {
		return 0, fmt.Errorf("--pod-network: %w", err)
	}
	var ip netip.Addr
	if f.NodeIP != "" {
		if ip, err = netip.ParseAddr(f.NodeIP); err != nil {
			return 0, fmt.Errorf("--node-ip: %w", err)
		}
	}
	return routes.PodMTU(mode, ip)
}

// startRoutes runs the node's pod routing to other nodes
// (pkg/network/routes) until ctx ends; a failure is logged, the node
// keeps running.
func startRoutes(ctx context.Context, cfg node.Config, f RealFlags, logger *slog.Logger) error {
	mode, err := routes.ParseMode(f.PodNetwork)
	if err != nil {
		return fmt.Errorf("--pod-network: %w", err)
	}
	if mode != routes.ModeNone && f.CNI == containerd.CNITinykube && f.ClusterCIDR == "" && f.Endpoint == "" {
		logger.Warn("node: no --cluster-cidr: tinykube-cni masquerades pod traffic to other nodes' pods (pods see the node's address); give the cluster's pod network")
	}
	client, err := kubernetes.NewForConfig(cfg.RESTConfig)
	if err != nil {
		return err
	}
	ra, err := routes.New(routes.Config{NodeName: cfg.Real.Name, Client: client, Mode: mode, Logger: logger})
	if err != nil {
		return err
	}
	go func() {
		if err := ra.Run(ctx); err != nil && ctx.Err() == nil {
			logger.Error("node: pod routing stopped", "err", err)
		}
	}()
	return nil
}

// runProxy runs the node's service proxy until ctx ends, restarting it
// after a failure; its rules stay when the node stops (a restarted
// node's proxy takes them over).
func runProxy(ctx context.Context, cfg node.Config, f RealFlags, logger *slog.Logger) {
	pf := f.ProxyFlags
	pf.ClusterCIDR = f.ClusterCIDR
	pc, err := pf.Config(cfg.RESTConfig, cfg.Real.Name, logger)
	if err != nil {
		logger.Error("node: service proxy", "err", err)
		return
	}
	for ctx.Err() == nil {
		if err := proxycmd.Run(ctx, pc); err != nil && ctx.Err() == nil {
			logger.Error("node: service proxy failed; restarting it", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
			}
		}
	}
}
