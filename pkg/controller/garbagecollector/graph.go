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

// graph indexes every observed object by uid and every owner uid by its
// dependents. Owners need not be observed: the index is keyed by the uid
// the dependents name. Safe for concurrent use.
type graph struct {
	mu         sync.RWMutex
	nodes      map[types.UID]*node
	dependents map[types.UID]map[types.UID]struct{}
}

func newGraph() *graph {
	return &graph{nodes: map[types.UID]*node{}, dependents: map[types.UID]map[types.UID]struct{}{}}
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
