package nodelifecycle

import (
	"context"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/controller"
)

// Config tunes the controller; DefaultConfig has upstream's values.
type Config struct {
	// GracePeriod without a Lease renewal before a node is Unknown.
	GracePeriod time.Duration
	Clock       clock.WithTicker
}

// DefaultConfig returns upstream's node-monitor-grace-period of 40 s.
func DefaultConfig() Config {
	return Config{GracePeriod: 40 * time.Second, Clock: clock.RealClock{}}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.GracePeriod <= 0 || c.Clock == nil {
		return fmt.Errorf("nodelifecycle: need a positive grace period and a clock")
	}
	return nil
}

const podsByNode = "nodelifecycle:spec.nodeName"

// Controller watches Leases, Nodes and Pods.
type Controller struct {
	cfg    Config
	client kubernetes.Interface
	nodes  corelisters.NodeLister
	pods   corelisters.PodLister
	byNode cache.Indexer
	synced []cache.InformerSynced

	nodeQueue workqueue.TypedRateLimitingInterface[string]
	podQueue  workqueue.TypedRateLimitingInterface[cache.ObjectName]

	mu sync.Mutex
	// probes: per node, the last renewTime seen and when it was seen.
	probes map[string]probe
}

type probe struct {
	renewTime string
	observed  time.Time
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller with DefaultConfig and cc's grace period.
func New(ctx context.Context, cc controller.Context) (controller.Runner, error) {
	cfg := DefaultConfig()
	cfg.Clock = cc.ClockOrReal()
	if cc.NodeMonitorGracePeriod > 0 {
		cfg.GracePeriod = cc.NodeMonitorGracePeriod
	}
	return NewController(ctx, cc, cfg)
}

// NewController builds the controller on cc's shared informers.
func NewController(_ context.Context, cc controller.Context, cfg Config) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nodeInf := cc.Informers.Core().V1().Nodes()
	podInf := cc.Informers.Core().V1().Pods()
	leaseInf := cc.Informers.Coordination().V1().Leases()
	c := &Controller{
		cfg: cfg, client: cc.Client, nodes: nodeInf.Lister(), pods: podInf.Lister(), byNode: podInf.Informer().GetIndexer(),
		synced:    []cache.InformerSynced{nodeInf.Informer().HasSynced, podInf.Informer().HasSynced, leaseInf.Informer().HasSynced},
		nodeQueue: controller.NewClockedQueue[string]("nodelifecycle-nodes", cfg.Clock),
		podQueue:  controller.NewClockedQueue[cache.ObjectName]("nodelifecycle-pods", cfg.Clock),
		probes:    map[string]probe{},
	}
	if err := podInf.Informer().AddIndexers(cache.Indexers{podsByNode: func(obj any) ([]string, error) {
		if p, ok := obj.(*corev1.Pod); ok && p.Spec.NodeName != "" {
			return []string{p.Spec.NodeName}, nil
		}
		return nil, nil
	}}); err != nil {
		return nil, err
	}
	if _, err := leaseInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.leaseChanged,
		UpdateFunc: func(_, obj any) { c.leaseChanged(obj) },
	}); err != nil {
		return nil, err
	}
	if _, err := nodeInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueNode,
		UpdateFunc: func(_, obj any) { c.enqueueNode(obj) },
		DeleteFunc: func(obj any) {
			if n, ok := controller.Unwrap[*corev1.Node](obj); ok {
				c.mu.Lock()
				delete(c.probes, n.Name)
				c.mu.Unlock()
			}
		},
	}); err != nil {
		return nil, err
	}
	_, err := podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.podChanged,
		UpdateFunc: func(_, obj any) { c.podChanged(obj) },
	})
	return c, err
}

// leaseChanged notes when a node's Lease was renewed.
func (c *Controller) leaseChanged(obj any) {
	l, ok := obj.(*coordinationv1.Lease)
	if !ok || l.Namespace != corev1.NamespaceNodeLease || l.Spec.RenewTime == nil {
		return
	}
	renew := l.Spec.RenewTime.String()
	c.mu.Lock()
	if p, ok := c.probes[l.Name]; !ok || p.renewTime != renew {
		c.probes[l.Name] = probe{renewTime: renew, observed: c.cfg.Clock.Now()}
	}
	c.mu.Unlock()
	c.nodeQueue.Add(l.Name)
}

func (c *Controller) enqueueNode(obj any) {
	if n, ok := obj.(*corev1.Node); ok {
		c.nodeQueue.Add(n.Name)
	}
}

// podChanged queues a pod only if its node is unhealthy or tainted:
// healthy nodes' pods need nothing from this controller.
func (c *Controller) podChanged(obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok || p.Spec.NodeName == "" || p.DeletionTimestamp != nil {
		return
	}
	n, err := c.nodes.Get(p.Spec.NodeName)
	if err != nil {
		return
	}
	if readyStatus(n) != corev1.ConditionTrue || len(noExecuteTaints(n)) > 0 {
		c.podQueue.Add(cache.MetaObjectToName(p))
	}
}

// lastProbe returns when the node was last seen heartbeating; a node
// never seen gets the grace period from now.
func (c *Controller) lastProbe(name string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.probes[name]
	if !ok {
		p = probe{observed: c.cfg.Clock.Now()}
		c.probes[name] = p
	}
	return p.observed
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.nodeQueue.ShutDown()
	defer c.podQueue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	controller.StartWorkers(ctx, "nodelifecycle-nodes", c.nodeQueue, workers, lookAgain(c.nodeQueue, c.syncNode))
	controller.StartWorkers(ctx, "nodelifecycle-pods", c.podQueue, workers, lookAgain(c.podQueue, c.syncPod))
	<-ctx.Done()
}

// lookAgain turns sync, which returns a delay to look at the key again
// after (0: no need) or an error to retry with backoff, into a worker's
// sync.
func lookAgain[K comparable](q workqueue.TypedDelayingInterface[K], sync func(context.Context, K) (time.Duration, error)) func(context.Context, K) error {
	return func(ctx context.Context, key K) error {
		after, err := sync(ctx, key)
		if err == nil && after > 0 {
			q.AddAfter(key, after)
		}
		return err
	}
}
