package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/node/eviction"
)

// Config configures an Agent. DefaultConfig fills every field except
// RESTConfig and NewRuntime.
type Config struct {
	// RESTConfig reaches the API server; all nodes share one client.
	RESTConfig *rest.Config
	// QPS and Burst of that client.
	QPS   float32
	Burst int

	// Count nodes are run, named NamePrefix<i> for i in
	// [FirstIndex, FirstIndex+Count).
	Count      int
	NamePrefix string
	FirstIndex int

	// NewRuntime returns the runtime for one node.
	NewRuntime func(nodeName string) Runtime

	// Real, when set, makes the agent run one real node — its Runtime
	// runs processes (CRI, containerd) — instead of Count simulated
	// ones: the node's capacity and info come from the machine, pods
	// get log directories, DNS, port mappings and security contexts,
	// images are pulled, containers are stopped with the pod's grace
	// period (ShutdownDelay does not apply) and the simulated-runtime
	// annotations are never set. Count, NamePrefix, FirstIndex, CPU,
	// Memory, EphemeralStorage and NodeIPRange are ignored.
	Real *RealNode

	// Capacity of every node (allocatable is the same).
	CPU, Memory, EphemeralStorage resource.Quantity
	MaxPods                       int64
	// Labels added to every node besides kubernetes.io/hostname, os, arch.
	Labels map[string]string

	// NodeIPRange: node i's InternalIP is the (i+2)th address in it.
	NodeIPRange netip.Prefix
	// FallbackPodCIDRs: when a node has had no spec.podCIDR (from node
	// IPAM) for PodCIDRWait, it uses the i-th /FallbackPodCIDRMask of
	// this range.
	FallbackPodCIDRs    netip.Prefix
	FallbackPodCIDRMask int
	PodCIDRWait         time.Duration

	// LeaseDuration is written to each Lease; it is renewed every
	// LeaseRenewInterval. Node status is re-reported every
	// StatusReportInterval (and whenever it differs from what the agent
	// would report).
	LeaseDuration        time.Duration
	LeaseRenewInterval   time.Duration
	StatusReportInterval time.Duration

	// ShutdownDelay caps the simulated container shutdown on graceful
	// deletion (the pod's grace period, if shorter, wins).
	ShutdownDelay time.Duration
	// RestartBackoff is the first delay before restarting an exited
	// container, doubling per restart up to MaxRestartBackoff.
	RestartBackoff, MaxRestartBackoff time.Duration

	// JobCompleteDelay plus up to JobCompleteJitter (chosen from the
	// pod's UID) is how long a simulated container of a pod owned by a
	// Job runs before it completes (simstages.go; 1s and 4s by default,
	// as kwok's pod-complete stage).
	JobCompleteDelay, JobCompleteJitter time.Duration

	// FailingImages are glob patterns ('*' matches any characters, '/'
	// included) of the images a simulated node fails to pull
	// (ErrImagePull, then ImagePullBackOff), matched against the image
	// as written and fully qualified (docker.io/library/x:latest). The
	// default fails images of the reserved .invalid domain. Real nodes
	// ignore it.
	FailingImages []string

	// Workers for the pod and node queues.
	PodWorkers, NodeWorkers int
	// StatusWorkers caps the pod status writes in flight (0: no cap).
	// There is one writer per node, as each kubelet's status manager
	// writes one status at a time, so that the nodes report as fast as
	// that many kubelets would; up to this many if set.
	StatusWorkers int

	Clock  clock.WithTicker
	Logger *slog.Logger
}

// RealNode configures the one real node of an agent (Config.Real).
type RealNode struct {
	// Name of the node (tinykube node --node-name; default the host name).
	Name string
	// IP is the node's InternalIP (zero: the host's default-route
	// address).
	IP netip.Addr
	// DataDir is the node's data dir: pod logs go under DataDir/pods
	// (<namespace>_<pod>_<uid>/<container>/<attempt>.log) and its
	// file system is the node's ephemeral-storage capacity.
	DataDir string
	// SystemReserved is taken off the capacity to give allocatable.
	SystemReserved corev1.ResourceList
	// KubeletPort is reported as daemonEndpoints.kubeletEndpoint.Port
	// (the node's kubelet API; 0: 10250).
	KubeletPort int32
	// ClusterDNS and ClusterDomain configure pods' DNS (dnsPolicy
	// ClusterFirst); with no ClusterDNS pods use the host's resolv.conf.
	ClusterDNS    []string
	ClusterDomain string
	// FollowClusterDNS, if set and ClusterDNS is empty, gives the
	// cluster DNS at each pod sandbox's creation (a node following the
	// kube-system/kube-dns Service); it must be safe for concurrent use.
	FollowClusterDNS func() []string
	// ResolvConf is the host's resolver config (default /etc/resolv.conf).
	ResolvConf string
	// CgroupRoot is the cgroup under which pod cgroups are made
	// (cgroupfs): <CgroupRoot>/pod<uid>. Default "/tinykube".
	CgroupRoot string
	// PollInterval is how often the runtime's containers are listed to
	// notice exits when it cannot stream events (containerd 1.6).
	PollInterval time.Duration
	// EvictionHard are the thresholds of the node's MemoryPressure,
	// DiskPressure and PIDPressure conditions (pkg/node/eviction; nil:
	// eviction.DefaultHard), held for EvictionPressureTransitionPeriod
	// (0: eviction.DefaultTransitionPeriod). ImageFsDir is a directory
	// on the runtime's image file system (its root; "": DataDir's).
	EvictionHard                     []eviction.Threshold
	EvictionPressureTransitionPeriod time.Duration
	ImageFsDir                       string
}

// DefaultConfig returns the defaults of `tinykube node`: nodes shaped like
// an 8-CPU, 32 GiB machine, upstream kubelet timings.
func DefaultConfig() Config {
	return Config{
		QPS: 500, Burst: 1000,
		Count: 1, NamePrefix: "tinykube-node-",
		CPU: resource.MustParse("8"), Memory: resource.MustParse("32Gi"), EphemeralStorage: resource.MustParse("100Gi"),
		MaxPods:     110,
		NodeIPRange: netip.MustParsePrefix("172.18.0.0/16"), FallbackPodCIDRs: netip.MustParsePrefix("100.64.0.0/10"),
		FallbackPodCIDRMask: 24, PodCIDRWait: 5 * time.Second,
		LeaseDuration: 40 * time.Second, LeaseRenewInterval: 10 * time.Second, StatusReportInterval: 5 * time.Minute,
		ShutdownDelay: time.Second, RestartBackoff: 10 * time.Second, MaxRestartBackoff: 5 * time.Minute,
		PodWorkers: 16, NodeWorkers: 4, FailingImages: []string{"*.invalid/*"},
		JobCompleteDelay: time.Second, JobCompleteJitter: 4 * time.Second,
		Clock: clock.RealClock{},
	}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	switch {
	case c.RESTConfig == nil:
		return errors.New("node: RESTConfig is required")
	case c.NewRuntime == nil:
		return errors.New("node: NewRuntime is required")
	case c.Count < 0 || c.FirstIndex < 0:
		return errors.New("node: Count and FirstIndex must not be negative")
	case c.LeaseRenewInterval <= 0 || c.LeaseDuration < c.LeaseRenewInterval:
		return fmt.Errorf("node: lease renew interval %v must be positive and within the lease duration %v", c.LeaseRenewInterval, c.LeaseDuration)
	case c.StatusReportInterval <= 0:
		return errors.New("node: StatusReportInterval must be positive")
	case c.PodWorkers <= 0 || c.NodeWorkers <= 0 || c.StatusWorkers < 0:
		return errors.New("node: workers must be positive (StatusWorkers: 0 for one per node)")
	case c.Clock == nil:
		return errors.New("node: Clock is required")
	case c.JobCompleteDelay < 0 || c.JobCompleteJitter < 0:
		return errors.New("node: JobCompleteDelay and JobCompleteJitter must not be negative")
	case c.Real != nil && c.Real.Name == "":
		return errors.New("node: a real node needs a name")
	case c.Real != nil && c.Real.DataDir == "":
		return errors.New("node: a real node needs a data dir")
	case c.Real != nil && c.Real.PollInterval <= 0:
		return errors.New("node: a real node needs a positive PollInterval")
	}
	if c.Real != nil {
		return nil
	}
	last := c.FirstIndex + c.Count + 1
	if hostBits := c.NodeIPRange.Addr().BitLen() - c.NodeIPRange.Bits(); hostBits < 63 && last >= 1<<hostBits {
		return fmt.Errorf("node: %d nodes do not fit in node IP range %s", last, c.NodeIPRange)
	}
	if c.FallbackPodCIDRMask <= c.FallbackPodCIDRs.Bits() || c.FallbackPodCIDRMask > c.FallbackPodCIDRs.Addr().BitLen() {
		return fmt.Errorf("node: fallback pod CIDR mask /%d does not fit in %s", c.FallbackPodCIDRMask, c.FallbackPodCIDRs)
	}
	return nil
}
