package garbagecollector

import (
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// node is what the collector knows about one object.
type node struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
	uid       types.UID
	owners    []metav1.OwnerReference
	// deleting: deletionTimestamp is set.
	deleting   bool
	finalizers []string
}

func (n *node) hasFinalizer(f string) bool { return slices.Contains(n.finalizers, f) }

// ownerRef returns n's reference to owner, if any.
func (n *node) ownerRef(owner types.UID) (metav1.OwnerReference, bool) {
	for _, r := range n.owners {
		if r.UID == owner {
			return r, true
		}
	}
	return metav1.OwnerReference{}, false
}

func newNode(gvr schema.GroupVersionResource, m *metav1.PartialObjectMetadata) *node {
	return &node{
		gvr: gvr, namespace: m.Namespace, name: m.Name, uid: m.UID,
		owners: m.OwnerReferences, deleting: m.DeletionTimestamp != nil, finalizers: m.Finalizers,
	}
}

// virtualOwner is an owner that dependents name and a lookup found, but
// that no informer has observed yet (upstream's "virtual" node): its
// resource may be a CRD the collector watches late, or whose informer
// relists late after the CRD was re-created, so that a deletion may
// never reach the collector as an event. It is looked up again, with
// backoff, until an informer observes it or it is found gone.
type virtualOwner struct {
	gvr             schema.GroupVersionResource
	namespace, name string
	// checks counts the rechecks so far (the backoff); only the worker
	// holding the owner's uid touches it.
	checks int
}

// graph indexes every observed object by uid and every owner uid by its
// dependents. Owners need not be observed: the index is keyed by the uid
// the dependents name; owners found by lookup only are virtual until
// observed. Safe for concurrent use.
type graph struct {
	mu         sync.RWMutex
	nodes      map[types.UID]*node
	dependents map[types.UID]map[types.UID]struct{}
	virtual    map[types.UID]*virtualOwner
}

func newGraph() *graph {
	return &graph{nodes: map[types.UID]*node{}, dependents: map[types.UID]map[types.UID]struct{}{},
		virtual: map[types.UID]*virtualOwner{}}
}

// addVirtual records uid as a virtual owner unless it is observed or
// already virtual; it reports whether it did.
func (g *graph) addVirtual(uid types.UID, v *virtualOwner) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.nodes[uid] != nil || g.virtual[uid] != nil {
		return false
	}
	g.virtual[uid] = v
	return true
}

// getVirtual returns the virtual owner uid (nil if none).
func (g *graph) getVirtual(uid types.UID) *virtualOwner {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.virtual[uid]
}

// dropVirtual forgets the virtual owner uid.
func (g *graph) dropVirtual(uid types.UID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.virtual, uid)
}

// upsert stores n and returns the node it replaced (nil if new).
func (g *graph) upsert(n *node) *node {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.nodes[n.uid]
	if old != nil {
		g.unindexLocked(old)
	}
	g.nodes[n.uid] = n
	delete(g.virtual, n.uid) // observed at last
	for _, r := range n.owners {
		deps := g.dependents[r.UID]
		if deps == nil {
			deps = map[types.UID]struct{}{}
			g.dependents[r.UID] = deps
		}
		deps[n.uid] = struct{}{}
	}
	return old
}

// remove forgets uid and returns the node removed (nil if unknown).
func (g *graph) remove(uid types.UID) *node {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.virtual, uid)
	n := g.nodes[uid]
	if n != nil {
		g.unindexLocked(n)
		delete(g.nodes, uid)
	}
	return n
}

func (g *graph) unindexLocked(n *node) {
	for _, r := range n.owners {
		if deps := g.dependents[r.UID]; deps != nil {
			delete(deps, n.uid)
			if len(deps) == 0 {
				delete(g.dependents, r.UID)
			}
		}
	}
}

// get returns the node for uid; callers must not modify it (nodes are
// replaced, never mutated, so reading one without the lock is safe).
func (g *graph) get(uid types.UID) *node {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.nodes[uid]
}

// dependentsOf returns the observed objects that name owner.
func (g *graph) dependentsOf(owner types.UID) []*node {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]*node, 0, len(g.dependents[owner]))
	for uid := range g.dependents[owner] {
		if n := g.nodes[uid]; n != nil {
			out = append(out, n)
		}
	}
	return out
}

// hasDependents reports whether any observed object names owner.
func (g *graph) hasDependents(owner types.UID) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.dependents[owner]) > 0
}
