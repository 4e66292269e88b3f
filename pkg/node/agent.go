package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/netip"
	"regexp"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/node/envvars"
)

// Agent runs a set of nodes. Build it with New, then Run it.
type Agent struct {
	cfg    Config
	client kubernetes.Interface
	log    *slog.Logger

	// nodes is fixed after New: the agent's nodes by name.
	nodes map[string]*nodeState

	podFactory, nodeFactory informers.SharedInformerFactory
	pods                    corelisters.PodLister
	nodeLister              corelisters.NodeLister
	// services is set for a real node: containers' service variables.
	services corelisters.ServiceLister
	// objects reads the ConfigMaps and Secrets of a real node's volumes
	// and env, each at most once per volume refresh.
	objects *envvars.CachingGetter
	synced  []cache.InformerSynced

	podQueue  workqueue.TypedRateLimitingInterface[cache.ObjectName]
	nodeQueue workqueue.TypedRateLimitingInterface[string]
	status    *statusManager

	// runCtx is Run's context (for the simulated nodes' event
	// broadcaster, made on first use); simEvents is that broadcaster
	// and failingImages the compiled Config.FailingImages
	// (simchecks.go).
	runCtx        context.Context
	simEvents     simEventsState
	failingImages *regexp.Regexp

	mu sync.Mutex
	// records holds the runtime state of the pods this agent runs.
	records map[cache.ObjectName]*podRecord
}

// New builds an agent for cfg's nodes; nothing talks to the API server
// until Run.
func New(cfg Config) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	rc := rest.CopyConfig(cfg.RESTConfig)
	rc.QPS, rc.Burst, rc.UserAgent = cfg.QPS, cfg.Burst, "tinykube-node"
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	a := &Agent{
		cfg: cfg, client: client, log: cfg.Logger, nodes: map[string]*nodeState{},
		records: map[cache.ObjectName]*podRecord{},
		podQueue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[cache.ObjectName](),
			workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "node-agent-pods", Clock: cfg.Clock}),
		nodeQueue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "node-agent-nodes", Clock: cfg.Clock}),
	}
	var only string
	// A real node's volumes and env, a simulated node's checks of them
	// (simchecks.go), read ConfigMaps and Secrets through this cache.
	a.objects = &envvars.CachingGetter{Getter: envvars.ClientGetter{Client: client}, TTL: volumeResync, Clock: cfg.Clock}
	if a.failingImages, err = compileImagePatterns(cfg.FailingImages); err != nil {
		return nil, fmt.Errorf("node: failing images: %w", err)
	}
	if cfg.Real != nil {
		ns, err := newRealNode(cfg)
		if err != nil {
			return nil, err
		}
		if ns.volumes, err = newVolumeManager(cfg, ns, a); err != nil {
			return nil, err
		}
		a.nodes[ns.name], only = ns, ns.name
		cfg.Count = 1 // the pod informer below watches only this node
	}
	for i := cfg.FirstIndex; cfg.Real == nil && i < cfg.FirstIndex+cfg.Count; i++ {
		name := fmt.Sprintf("%s%d", cfg.NamePrefix, i)
		ip, err := nthAddr(cfg.NodeIPRange, uint64(i)+2)
		if err != nil {
			return nil, err
		}
		fallback, err := nthSubnet(cfg.FallbackPodCIDRs, cfg.FallbackPodCIDRMask, uint64(i))
		if err != nil {
			return nil, fmt.Errorf("node %s: fallback pod CIDR: %w", name, err)
		}
		a.nodes[name] = &nodeState{name: name, ip: ip, fallbackCIDR: fallback, runtime: cfg.NewRuntime(name)}
		only = name
	}

	// Pods: only bound ones, and only ours when there is one node.
	selector := fields.OneTermNotEqualSelector("spec.nodeName", "").String()
	if cfg.Count == 1 {
		selector = fields.OneTermEqualSelector("spec.nodeName", only).String()
	}
	a.podFactory = informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = selector }))
	a.nodeFactory = informers.NewSharedInformerFactory(client, 0)
	podInformer := a.podFactory.Core().V1().Pods()
	nodeInformer := a.nodeFactory.Core().V1().Nodes()
	a.pods, a.nodeLister = podInformer.Lister(), nodeInformer.Lister()
	a.status = newStatusManager(client, a.pods, cfg.Clock)
	a.synced = []cache.InformerSynced{podInformer.Informer().HasSynced, nodeInformer.Informer().HasSynced}
	if cfg.Real != nil {
		svcInformer := a.nodeFactory.Core().V1().Services()
		a.services = svcInformer.Lister()
		a.synced = append(a.synced, svcInformer.Informer().HasSynced)
	}
	for _, inf := range []cache.SharedIndexInformer{podInformer.Informer(), nodeInformer.Informer()} {
		if err := inf.SetTransform(stripManagedFields); err != nil {
			return nil, err
		}
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    a.enqueuePod,
		UpdateFunc: func(_, obj any) { a.enqueuePod(obj) },
		DeleteFunc: a.enqueuePod,
	}); err != nil {
		return nil, err
	}
	if _, err := nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    a.enqueueNode,
		UpdateFunc: func(_, obj any) { a.enqueueNode(obj) },
	}); err != nil {
		return nil, err
	}
	return a, nil
}

// stripManagedFields keeps the informer caches small: the agent never
// reads managedFields, and at 30,000 pods they are most of the bytes.
func stripManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

func (a *Agent) enqueuePod(obj any) {
	p, ok := controller.Unwrap[*corev1.Pod](obj)
	if !ok || a.nodes[p.Spec.NodeName] == nil {
		return
	}
	a.podQueue.Add(cache.MetaObjectToName(p))
}

// enqueueNode reacts to changes to our Node objects: a new podCIDR, or a
// status someone else (node lifecycle) rewrote.
func (a *Agent) enqueueNode(obj any) {
	n, ok := obj.(*corev1.Node)
	if !ok || a.nodes[n.Name] == nil {
		return
	}
	a.nodeQueue.Add(n.Name)
}

// Run registers the nodes and runs them until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	defer utilruntime.HandleCrash()
	defer a.podQueue.ShutDown()
	defer a.nodeQueue.ShutDown()
	defer a.status.queue.ShutDown()
	a.podFactory.Start(ctx.Done())
	a.nodeFactory.Start(ctx.Done())
	defer a.podFactory.Shutdown()
	defer a.nodeFactory.Shutdown()
	defer a.startProbers(ctx)()
	a.runCtx = ctx
	defer a.stopSimEvents()

	events := make(chan *runtimeapi.ContainerEventResponse, 1024)
	var wg sync.WaitGroup
	for _, ns := range a.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := ns.runtime.GetContainerEvents(ctx, events, nil)
			if err != nil && ctx.Err() == nil && a.cfg.Real != nil {
				// A real node must notice exits: when the runtime
				// cannot stream them (containerd 1.6) or the stream
				// broke, it polls.
				if !errors.Is(err, ErrNoContainerEvents) {
					a.log.Warn("node: container events stream ended", "node", ns.name, "err", err)
				}
				a.log.Info("node: polling the runtime's containers for exits", "node", ns.name, "every", a.cfg.Real.PollInterval)
				a.pollContainers(ctx, ns)
				return
			}
			if err != nil && ctx.Err() == nil {
				a.log.Error("node: container events", "node", ns.name, "err", err)
			}
		}()
	}
	defer wg.Wait()
	go a.consumeEvents(ctx, events)

	if !cache.WaitForCacheSync(ctx.Done(), a.synced...) {
		return ctx.Err()
	}
	a.cleanupOrphanVolumes()
	for name, ns := range a.nodes {
		if ns.machine != nil {
			a.removeOrphans(ctx, ns)
		}
		a.nodeQueue.Add(name)
	}
	for i := 0; i < a.cfg.NodeWorkers; i++ {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for processNext(ctx, a.nodeQueue, a.syncNode, a.log, "node") {
			}
		}, time.Second)
	}
	for i := 0; i < a.cfg.PodWorkers; i++ {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for processNext(ctx, a.podQueue, a.syncPod, a.log, "pod") {
			}
		}, time.Second)
	}
	writers := len(a.nodes)
	if a.cfg.StatusWorkers > 0 {
		writers = min(writers, a.cfg.StatusWorkers)
	}
	for i := 0; i < max(1, writers); i++ {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for processNext(ctx, a.status.queue, a.status.sync, a.log, "pod status") {
			}
		}, time.Second)
	}
	a.log.Info("node agent: running", "nodes", len(a.nodes))
	<-ctx.Done()
	return nil
}

// consumeEvents turns runtime events into pod syncs.
func (a *Agent) consumeEvents(ctx context.Context, events <-chan *runtimeapi.ContainerEventResponse) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			if md := ev.GetPodSandboxStatus().GetMetadata(); md != nil {
				a.podQueue.Add(cache.ObjectName{Namespace: md.Namespace, Name: md.Name})
			}
		}
	}
}

// processNext runs sync for one key. sync returns how long until the key
// wants another look (0: not needed) or an error to retry with backoff.
func processNext[K comparable](ctx context.Context, q workqueue.TypedRateLimitingInterface[K],
	sync func(context.Context, K) (time.Duration, error), log *slog.Logger, what string) bool {
	key, quit := q.Get()
	if quit {
		return false
	}
	defer q.Done(key)
	after, err := sync(ctx, key)
	if err != nil {
		if ctx.Err() == nil {
			log.Debug("node agent: sync failed, retrying", what, key, "err", err)
		}
		q.AddRateLimited(key)
		return true
	}
	q.Forget(key)
	if after > 0 {
		q.AddAfter(key, after)
	}
	return true
}

// nthAddr returns the n-th address of p.
func nthAddr(p netip.Prefix, n uint64) (netip.Addr, error) {
	base := new(big.Int).SetBytes(p.Masked().Addr().AsSlice())
	base.Add(base, new(big.Int).SetUint64(n))
	if base.BitLen() > p.Addr().BitLen() {
		return netip.Addr{}, fmt.Errorf("address %d is outside %s", n, p)
	}
	b := base.FillBytes(make([]byte, p.Addr().BitLen()/8))
	ip, _ := netip.AddrFromSlice(b)
	if !p.Contains(ip) {
		return netip.Addr{}, fmt.Errorf("address %d is outside %s", n, p)
	}
	return ip.Unmap(), nil
}

// nthSubnet returns the n-th /mask subnet of p.
func nthSubnet(p netip.Prefix, mask int, n uint64) (netip.Prefix, error) {
	shift := p.Addr().BitLen() - mask
	base := new(big.Int).SetBytes(p.Masked().Addr().AsSlice())
	base.Add(base, new(big.Int).Lsh(new(big.Int).SetUint64(n), uint(shift)))
	if base.BitLen() > p.Addr().BitLen() {
		return netip.Prefix{}, fmt.Errorf("subnet %d of /%d is outside %s", n, mask, p)
	}
	b := base.FillBytes(make([]byte, p.Addr().BitLen()/8))
	ip, _ := netip.AddrFromSlice(b)
	if !p.Contains(ip) {
		return netip.Prefix{}, fmt.Errorf("subnet %d of /%d is outside %s", n, mask, p)
	}
	return netip.PrefixFrom(ip, mask), nil
}
