package garbagecollector

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
)

// RediscoveryPeriod is how often new resources (CRDs) are looked for.
const RediscoveryPeriod = 30 * time.Second

// Controller is the garbage collector.
type Controller struct {
	metadata  metadata.Interface
	discovery discovery.DiscoveryInterface
	mapper    *restmapper.DeferredDiscoveryRESTMapper
	informers metadatainformer.SharedInformerFactory
	// typed are the controllers' shared informers, reused for the
	// resources they already watch (monitors.go).
	typed  informers.SharedInformerFactory
	logger *slog.Logger

	graph *graph
	// queue holds uids of objects to look at: dependents whose owners
	// may be gone, and owners with a propagation finalizer to honour.
	queue workqueue.TypedRateLimitingInterface[types.UID]

	monitorsMu sync.Mutex
	// monitors are the watched resources: true through a shared typed
	// informer, false through one of the collector's metadata informers.
	monitors map[schema.GroupVersionResource]bool
	// rediscover asks for a rediscovery before the period ends
	// (requestRediscovery).
	rediscover chan struct{}
}

var _ controller.Runner = (*Controller)(nil)

// New builds the collector. It watches every deletable resource: through
// the controllers' shared typed informer when one runs for it (started
// before Run), else through a metadata informer of its own.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	disc, err := discovery.NewDiscoveryClientForConfig(cc.RESTConfig)
	if err != nil {
		return nil, err
	}
	logger := cc.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &Controller{
		metadata:   cc.Metadata,
		discovery:  disc,
		mapper:     restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)),
		informers:  metadatainformer.NewSharedInformerFactory(cc.Metadata, 0),
		typed:      cc.Informers,
		logger:     logger.With("controller", "garbagecollector"),
		graph:      newGraph(),
		queue:      controller.NewQueue[types.UID]("garbagecollector"),
		monitors:   map[schema.GroupVersionResource]bool{},
		rediscover: make(chan struct{}, 1),
	}, nil
}

// Run discovers resources, waits until all their informers have synced
// (acting on a partial graph could take a live owner for a gone one —
// though owners.go double-checks with the server), then runs workers and
// rediscovers periodically.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	defer c.informers.Shutdown()
	var synced []cache.InformerSynced
	err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		s, err := c.syncMonitors(ctx)
		if err != nil {
			c.logger.Error("garbage collector: discovering resources", "err", err)
			return false, nil
		}
		synced = s
		return true, nil
	})
	if err != nil {
		return
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return
	}
	controller.StartWorkers(ctx, "garbagecollector", c.queue, workers, c.process)
	// Rediscover every period, and sooner when an owner of a resource
	// not watched yet turns up (at most once a second). Informers added
	// then are not waited for: owners they have not observed yet are
	// virtual, rechecked until observed or gone.
	ticker := time.NewTicker(RediscoveryPeriod)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-c.rediscover:
		}
		if _, err := c.syncMonitors(ctx); err != nil {
			c.logger.Error("garbage collector: rediscovering resources", "err", err)
		}
		c.mapper.Reset()
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}
