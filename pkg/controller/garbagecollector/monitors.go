package garbagecollector

import (
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
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
// collector can watch and delete (preferred version per group).
func (c *Controller) deletableResources() ([]schema.GroupVersionResource, error) {
	lists, err := c.discovery.ServerPreferredResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, err
	}
	// With some groups failing, watch what was found; the next
	// rediscovery picks up the rest.
	lists = discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"delete", "list", "watch"}}, lists)
	set, err := discovery.GroupVersionResources(lists)
	if err != nil {
		return nil, err
	}
	var out []schema.GroupVersionResource
	for gvr := range set {
		if strings.Contains(gvr.Resource, "/") || ignored[gvr.GroupResource()] {
			continue
		}
		out = append(out, gvr)
	}
	return out, nil
}

// syncMonitors starts a metadata informer for every deletable resource
// not yet watched, and returns their HasSynced functions. Resources that
// disappear (a deleted CRD) keep their informer until restart: it lists
// nothing and costs little.
func (c *Controller) syncMonitors(ctx context.Context) ([]cache.InformerSynced, error) {
	gvrs, err := c.deletableResources()
	if err != nil {
		return nil, err
	}
	c.monitorsMu.Lock()
	defer c.monitorsMu.Unlock()
	var synced []cache.InformerSynced
	for _, gvr := range gvrs {
		if c.monitors[gvr] {
			continue
		}
		inf := c.informers.ForResource(gvr).Informer()
		if _, err := inf.AddEventHandler(c.handlerFor(gvr)); err != nil {
			return nil, err
		}
		c.monitors[gvr] = true
		synced = append(synced, inf.HasSynced)
	}
	c.informers.Start(ctx.Done())
	return synced, nil
}

// handlerFor feeds one resource's events into the graph and enqueues the
// uids that may need action.
func (c *Controller) handlerFor(gvr schema.GroupVersionResource) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.observe(gvr, obj) },
		UpdateFunc: func(_, obj any) { c.observe(gvr, obj) },
		DeleteFunc: func(obj any) {
			if m, ok := controller.Unwrap[*metav1.PartialObjectMetadata](obj); ok {
				c.forget(m)
			}
		},
	}
}

// observe records an added or updated object and enqueues what its
// change may unblock.
func (c *Controller) observe(gvr schema.GroupVersionResource, obj any) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
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
	for _, d := range c.graph.dependentsOf(m.UID) {
		c.queue.Add(d.uid)
	}
	if n != nil {
		for _, r := range n.owners {
			c.queue.Add(r.UID)
		}
	}
}
