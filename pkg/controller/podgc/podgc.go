package podgc

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/pkg/controller"
)

// Config tunes the collector. DefaultConfig has upstream's values.
type Config struct {
	// TerminatedPodThreshold is how many terminated pods may exist
	// before the oldest are deleted; <= 0 disables that part.
	TerminatedPodThreshold int
	// Period between sweeps.
	Period time.Duration
	// Quarantine is how long a node must be missing before its pods are
	// deleted (it may be re-registering).
	Quarantine time.Duration
	// Now is the clock (time.Now by default).
	Now func() time.Time
}

// DefaultConfig: kube-controller-manager's --terminated-pod-gc-threshold
// and podgc's sweep period and quarantine.
func DefaultConfig() Config {
	return Config{TerminatedPodThreshold: 12500, Period: 20 * time.Second, Quarantine: 40 * time.Second, Now: time.Now}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.Period <= 0 || c.Quarantine < 0 || c.Now == nil {
		return errors.New("podgc: Period must be positive, Quarantine not negative, Now set")
	}
	return nil
}

// Controller is the pod garbage collector.
type Controller struct {
	cfg    Config
	client kubernetes.Interface
	pods   corelisters.PodLister
	nodes  corelisters.NodeLister
	synced []cache.InformerSynced
	logger *slog.Logger

	mu sync.Mutex
	// missingSince records when each missing node was first noticed.
	missingSince map[string]time.Time
}

var _ controller.Runner = (*Controller)(nil)

// New builds the collector with DefaultConfig.
func New(ctx context.Context, cc controller.Context) (controller.Runner, error) {
	cfg := DefaultConfig()
	cfg.Now = cc.ClockOrReal().Now
	return NewWithConfig(cc, cfg)
}

// NewWithConfig builds the collector with cfg.
func NewWithConfig(cc controller.Context, cfg Config) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := cc.Logger
	if logger == nil {
		logger = slog.Default()
	}
	podInf := cc.Informers.Core().V1().Pods()
	nodeInf := cc.Informers.Core().V1().Nodes()
	return &Controller{
		cfg: cfg, client: cc.Client, pods: podInf.Lister(), nodes: nodeInf.Lister(),
		synced:       []cache.InformerSynced{podInf.Informer().HasSynced, nodeInf.Informer().HasSynced},
		logger:       logger.With("controller", "podgc"),
		missingSince: map[string]time.Time{},
	}, nil
}

// Run waits for the caches, then sweeps every Period until ctx ends.
// workers is unused: one sweep at a time.
func (c *Controller) Run(ctx context.Context, _ int) {
	defer utilruntime.HandleCrash()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	wait.UntilWithContext(ctx, c.sweep, c.cfg.Period)
}

// sweep is one pass of all three collections.
func (c *Controller) sweep(ctx context.Context) {
	pods, err := c.pods.List(labels.Everything())
	if err != nil {
		return
	}
	c.gcTerminated(ctx, pods)
	c.gcOrphaned(ctx, pods)
	c.gcStuckTerminating(ctx, pods)
}

// gcTerminated deletes the oldest terminated pods over the threshold.
func (c *Controller) gcTerminated(ctx context.Context, pods []*corev1.Pod) {
	if c.cfg.TerminatedPodThreshold <= 0 {
		return
	}
	var done []*corev1.Pod
	for _, p := range pods {
		if (p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed) && p.DeletionTimestamp == nil {
			done = append(done, p)
		}
	}
	excess := len(done) - c.cfg.TerminatedPodThreshold
	if excess <= 0 {
		return
	}
	sort.Slice(done, func(i, j int) bool {
		if !done[i].CreationTimestamp.Equal(&done[j].CreationTimestamp) {
			return done[i].CreationTimestamp.Before(&done[j].CreationTimestamp)
		}
		return done[i].Name < done[j].Name
	})
	c.logger.Info("podgc: deleting terminated pods over threshold", "count", excess, "threshold", c.cfg.TerminatedPodThreshold)
	for _, p := range done[:excess] {
		c.forceDelete(ctx, p, "terminated pod over threshold")
	}
}

// gcOrphaned deletes pods bound to nodes missing for the quarantine.
func (c *Controller) gcOrphaned(ctx context.Context, pods []*corev1.Pod) {
	now := c.cfg.Now()
	missing := map[string]bool{}
	for _, p := range pods {
		if p.Spec.NodeName == "" || missing[p.Spec.NodeName] {
			continue
		}
		if _, err := c.nodes.Get(p.Spec.NodeName); apierrors.IsNotFound(err) {
			missing[p.Spec.NodeName] = true
		}
	}
	gone := map[string]bool{}
	c.mu.Lock()
	for name, since := range c.missingSince {
		if !missing[name] {
			delete(c.missingSince, name) // back, or no pods left on it
		} else if now.Sub(since) >= c.cfg.Quarantine {
			gone[name] = true
		}
	}
	for name := range missing {
		if _, ok := c.missingSince[name]; !ok {
			c.missingSince[name] = now
			if c.cfg.Quarantine == 0 {
				gone[name] = true
			}
		}
	}
	c.mu.Unlock()
	for name := range gone {
		// The cache may trail a node that just registered: ask.
		if _, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			gone[name] = false
		}
	}
	for _, p := range pods {
		if gone[p.Spec.NodeName] {
			c.forceDelete(ctx, p, "node "+p.Spec.NodeName+" no longer exists")
		}
	}
}

// gcStuckTerminating force-deletes terminating pods no kubelet will
// finish: never scheduled, or on a NotReady node taken out of service.
func (c *Controller) gcStuckTerminating(ctx context.Context, pods []*corev1.Pod) {
	for _, p := range pods {
		if p.DeletionTimestamp == nil {
			continue
		}
		if p.Spec.NodeName == "" {
			c.forceDelete(ctx, p, "terminating and unscheduled")
			continue
		}
		node, err := c.nodes.Get(p.Spec.NodeName)
		if err == nil && !nodeReady(node) && outOfService(node) {
			c.forceDelete(ctx, p, "terminating on out-of-service node "+node.Name)
		}
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func outOfService(n *corev1.Node) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == corev1.TaintNodeOutOfService {
			return true
		}
	}
	return false
}

// forceDelete deletes p at once (grace 0), guarded by its uid.
func (c *Controller) forceDelete(ctx context.Context, p *corev1.Pod, why string) {
	zero, uid := int64(0), p.UID
	err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		c.logger.Error("podgc: deleting pod", "namespace", p.Namespace, "name", p.Name, "reason", why, "err", err)
		return
	}
	c.logger.Info("podgc: deleted pod", "namespace", p.Namespace, "name", p.Name, "reason", why)
}
