package resourcequota

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/pkg/controller"
)

// monitors are the metadata-only informers of the resources a quota
// counts that the shared informers do not hold (secrets,
// count/deployments.apps…). One starts the first time a quota names its
// resource and runs until the controller stops; its deletes replenish.
type monitors struct {
	factory   metadatainformer.SharedInformerFactory // nil without a metadata client
	mapper    *restmapper.DeferredDiscoveryRESTMapper
	replenish func(gr schema.GroupResource, ns string, delay time.Duration)

	mu        sync.Mutex
	ctx       context.Context // the controller's, once Run starts
	informers map[schema.GroupResource]informers.GenericInformer
	lastReset time.Time
}

func newMonitors(cc controller.Context, replenish func(schema.GroupResource, string, time.Duration)) *monitors {
	m := &monitors{replenish: replenish, informers: map[schema.GroupResource]informers.GenericInformer{}}
	if cc.Metadata != nil && cc.Client != nil {
		m.factory = metadatainformer.NewSharedInformerFactory(cc.Metadata, 0)
		m.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cc.Client.Discovery()))
	}
	return m
}

// start records the controller's context; informers start from then on.
func (m *monitors) start(ctx context.Context) {
	m.mu.Lock()
	m.ctx = ctx
	m.mu.Unlock()
	go func() {
		<-ctx.Done()
		if m.factory != nil {
			m.factory.Shutdown()
		}
	}()
}

// lister returns the lister of gr's objects by namespace, starting its
// informer if needed. It fails with controller.ErrWaiting until the
// informer has synced.
func (m *monitors) lister(gr schema.GroupResource) (func(ns string) ([]runtime.Object, error), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.factory == nil || m.ctx == nil {
		return nil, fmt.Errorf("no metadata informers: %w", controller.ErrWaiting)
	}
	inf, ok := m.informers[gr]
	if !ok {
		gvr, err := m.resolve(gr)
		if err != nil {
			return nil, err
		}
		inf = m.factory.ForResource(gvr)
		_, err = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: func(obj any) {
			if o, ok := controller.Unwrap[runtime.Object](obj); ok {
				m.replenish(gr, namespaceOf(o), 0)
			}
		}})
		if err != nil {
			return nil, err
		}
		m.informers[gr] = inf
		m.factory.Start(m.ctx.Done())
	}
	if !inf.Informer().HasSynced() {
		return nil, fmt.Errorf("%s informer not synced: %w", gr, controller.ErrWaiting)
	}
	return func(ns string) ([]runtime.Object, error) {
		return inf.Lister().ByNamespace(ns).List(labels.Everything())
	}, nil
}

// gvr returns gr's served version.
func (m *monitors) gvr(gr schema.GroupResource) (schema.GroupVersionResource, error) {
	if gr.Group == "" && coreResources[gr.Resource] {
		return gr.WithVersion("v1"), nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mapper == nil {
		return schema.GroupVersionResource{}, fmt.Errorf("no discovery: %w", controller.ErrWaiting)
	}
	return m.resolve(gr)
}

// coreResources are the core/v1 resources quota counts by default.
var coreResources = map[string]bool{"configmaps": true, "secrets": true, "replicationcontrollers": true, "resourcequotas": true}

// errNotServed: a quota counts a resource the server does not serve
// (yet); its usage is left as it was until a later recount finds it.
var errNotServed = errors.New("resource not served")

// resolve finds gr's served version by discovery, refreshing discovery
// (at most every 30s) for a resource it does not know yet.
func (m *monitors) resolve(gr schema.GroupResource) (schema.GroupVersionResource, error) {
	gvr, err := m.mapper.ResourceFor(gr.WithVersion(""))
	if err != nil && time.Since(m.lastReset) > 30*time.Second {
		m.lastReset = time.Now()
		m.mapper.Reset()
		gvr, err = m.mapper.ResourceFor(gr.WithVersion(""))
	}
	if err != nil {
		return gvr, fmt.Errorf("%w: %s: %w", errNotServed, gr, err)
	}
	return gvr, nil
}
