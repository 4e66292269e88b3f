package garbagecollector

import (
	"context"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/pkg/controller"
)

// ignored are resources never watched: events are many, churn fast and
// are never owners or owned in practice (as upstream).
var ignored = map[schema.GroupResource]bool{
	{Group: "", Resource: "events"}:              true,
	{Group: "events.k8s.io", Resource: "events"}: true,
}

// deletableResources lists, through discovery, every resource the
// collector can watch and delete (preferred version per group), with its
// kind.
func (c *Controller) deletableResources() (map[schema.GroupVersionResource]string, error) {
	lists, err := c.discovery.ServerPreferredResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, err
	}
	// With some groups failing, watch what was found; the next
	// rediscovery picks up the rest.
	lists = discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"delete", "list", "watch"}}, lists)
	out := map[schema.GroupVersionResource]string{}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, r := range l.APIResources {
			gvr := gv.WithResource(r.Name)
			if strings.Contains(gvr.Resource, "/") || ignored[gvr.GroupResource()] {
				continue
			}
			out[gvr] = r.Kind
		}
	}
	return out, nil
}

// startedTypes are the object types of the shared typed informers the
// controllers have started (nil before the factory is started).
func (c *Controller) startedTypes() map[reflect.Type]bool {
	if c.typed == nil {
		return nil
	}
	closed := make(chan struct{})
	close(closed)
	// With a closed channel this does not wait: it lists the started
	// informers' types.
	started := map[reflect.Type]bool{}
	for t := range c.typed.WaitForCacheSync(closed) {
		started[t] = true
	}
	return started
}

// sharedInformer returns the controllers' typed informer for gvr when
// one of them already runs it: watching it a second time, metadata only,
// would cost the API server and this process one more watch (as
// upstream's collector, which shares the typed informers too).
func (c *Controller) sharedInformer(gvr schema.GroupVersionResource, kind string, started map[reflect.Type]bool) cache.SharedIndexInformer {
	if len(started) == 0 || kind == "" {
		return nil
	}
	obj, err := scheme.Scheme.New(gvr.GroupVersion().WithKind(kind))
	if err != nil || !started[reflect.TypeOf(obj)] {
		return nil
	}
	inf, err := c.typed.ForResource(gvr)
	if err != nil {
		return nil
	}
	return inf.Informer()
}

// syncMonitors watches every deletable resource not yet watched — through
// the controllers' typed informer if one runs for it, else a metadata
// informer of its own — and returns the HasSynced functions of the new
// handlers. Resources that disappear (a deleted CRD) keep their informer
// until restart: it lists nothing and costs little.
func (c *Controller) syncMonitors(ctx context.Context) ([]cache.InformerSynced, error) {
	gvrs, err := c.deletableResources()
	if err != nil {
		return nil, err
	}
	started := c.startedTypes()
	c.monitorsMu.Lock()
	defer c.monitorsMu.Unlock()
	var synced []cache.InformerSynced
	for gvr, kind := range gvrs {
		if _, ok := c.monitors[gvr]; ok {
			continue
		}
		inf, shared := c.sharedInformer(gvr, kind, started), true
		if inf == nil {
			inf, shared = c.informers.ForResource(gvr).Informer(), false
		}
		reg, err := inf.AddEventHandler(c.handlerFor(gvr))
		if err != nil {
			return nil, err
		}
		c.monitors[gvr] = shared
		synced = append(synced, reg.HasSynced)
	}
	c.informers.Start(ctx.Done())
	return synced, nil
}

// monitored reports whether the collector watches gvr's resource (in
// any version).
func (c *Controller) monitored(gvr schema.GroupVersionResource) bool {
	c.monitorsMu.Lock()
	defer c.monitorsMu.Unlock()
	for m := range c.monitors {
		if m.GroupResource() == gvr.GroupResource() {
			return true
		}
	}
	return false
}

// requestRediscovery asks Run's loop to rediscover now: an owner of a
// resource not watched yet was found (a CRD newer than the last
// discovery). Requests made while one is pending are one.
func (c *Controller) requestRediscovery() {
	select {
	case c.rediscover <- struct{}{}:
	default:
	}
}

// handlerFor feeds one resource's events into the graph and enqueues the
// uids that may need action.
func (c *Controller) handlerFor(gvr schema.GroupVersionResource) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.observe(gvr, obj) },
		UpdateFunc: func(_, obj any) { c.observe(gvr, obj) },
		DeleteFunc: func(obj any) {
			if o, ok := controller.Unwrap[any](obj); ok {
				if m, ok := asMetadata(o); ok {
					c.forget(m)
				}
			}
		},
	}
}

// observe records an added or updated object and enqueues what its
// change may unblock.
func (c *Controller) observe(gvr schema.GroupVersionResource, obj any) {
	m, ok := asMetadata(obj)
	if !ok {
		return
	}
	n := newNode(gvr, m)
	old := c.graph.upsert(n)
	// Its own work: a propagation finalizer to honour, or owners to check.
	if n.deleting && (n.hasFinalizer(metav1.FinalizerOrphanDependents) || n.hasFinalizer(metav1.FinalizerDeleteDependents)) {
		c.queue.Add(n.uid)
	} else if len(n.owners) > 0 && (old == nil || !equality.Semantic.DeepEqual(old.owners, n.owners)) {
		c.queue.Add(n.uid)
	}
	if old == nil {
		return
	}
	// Entering foreground deletion: its dependents must go first.
	if n.deleting && !old.deleting {
		for _, d := range c.graph.dependentsOf(n.uid) {
			c.queue.Add(d.uid)
		}
	}
	// An owner waiting for this dependent may be done once the reference
	// is gone.
	for _, r := range old.owners {
		if _, still := n.ownerRef(r.UID); !still {
			c.queue.Add(r.UID)
		}
	}
}

// forget removes a deleted object: its dependents may now be orphans,
// and owners waiting on it in foreground may finish.
func (c *Controller) forget(m *metav1.PartialObjectMetadata) {
	n := c.graph.remove(m.UID)
	c.enqueueDependents(m.UID)
	if n != nil {
		for _, r := range n.owners {
			c.queue.Add(r.UID)
		}
	}
}

// asMetadata is obj's metadata: obj itself from a metadata informer; from
// a shared typed informer, a PartialObjectMetadata over the object's
// ObjectMeta (not a deep copy: the graph only reads it, as the informer's
// other handlers do).
func asMetadata(obj any) (*metav1.PartialObjectMetadata, bool) {
	switch o := obj.(type) {
	case *metav1.PartialObjectMetadata:
		return o, true
	case metav1.ObjectMetaAccessor:
		if m, ok := o.GetObjectMeta().(*metav1.ObjectMeta); ok {
			return &metav1.PartialObjectMetadata{ObjectMeta: *m}, true
		}
	}
	return nil, false
}
