package garbagecollector

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ownerState is what one ownerReference points at.
type ownerState int

const (
	// solid: the owner exists (and is not deleting its dependents first).
	solid ownerState = iota
	// absent: nothing with that uid exists where the reference can point
	// (a namespaced owner must be in the dependent's namespace).
	absent
	// waiting: the owner is in foreground deletion, waiting for its
	// dependents to go.
	waiting
	// invalid: a cluster-scoped dependent naming a namespaced kind.
	// Upstream never resolves such a reference, so the dependent is
	// never collected; we do the same.
	invalid
)

// classify finds the state of each of n's owners. Owners seen by the
// informers are judged from the graph; others are looked up by name on
// the server and compared by uid, since an unseen owner may be new, or
// of a resource the collector does not watch (yet). One found live
// becomes a virtual owner, rechecked until observed: its deletion may
// never come as an event (the informer of a new or re-created CRD's
// resource starting, or relisting, after it).
func (c *Controller) classify(ctx context.Context, n *node) ([]ownerState, error) {
	states := make([]ownerState, len(n.owners))
	for i, ref := range n.owners {
		st, err := c.ownerState(ctx, n, ref)
		if err != nil {
			return nil, err
		}
		states[i] = st
	}
	return states, nil
}

func (c *Controller) ownerState(ctx context.Context, n *node, ref metav1.OwnerReference) (ownerState, error) {
	if o := c.graph.get(ref.UID); o != nil {
		switch {
		case o.namespace != "" && n.namespace == "":
			return invalid, nil
		case o.namespace != "" && o.namespace != n.namespace:
			return absent, nil
		case o.deleting && o.hasFinalizer(metav1.FinalizerDeleteDependents):
			return waiting, nil
		}
		return solid, nil
	}
	gvr, namespaced, err := c.resolve(ref)
	if err != nil {
		return solid, err
	}
	ns := ""
	if namespaced {
		if n.namespace == "" {
			return invalid, nil
		}
		ns = n.namespace
	}
	live, err := c.metadata.Resource(gvr).Namespace(ns).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return absent, nil
	}
	if err != nil {
		return solid, fmt.Errorf("looking up owner %s %s/%s: %w", ref.Kind, ns, ref.Name, err)
	}
	if live.UID != ref.UID {
		return absent, nil // same name, a different object: the owner is gone
	}
	// Found but not observed: judged live now, and rechecked until an
	// informer observes it or it is gone (process.go's recheckVirtual).
	c.addVirtual(ref.UID, &virtualOwner{gvr: gvr, namespace: ns, name: ref.Name})
	if live.DeletionTimestamp != nil && hasString(live.Finalizers, metav1.FinalizerDeleteDependents) {
		return waiting, nil
	}
	return solid, nil
}

// resolve maps an ownerReference's apiVersion and kind to a resource.
// An unknown kind is an error (retried): it may be a CRD not yet
// discovered, and deleting dependents of an owner we cannot look up
// would be wrong.
func (c *Controller) resolve(ref metav1.OwnerReference) (schema.GroupVersionResource, bool, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return schema.GroupVersionResource{}, false, fmt.Errorf("owner reference %s: %w", ref.APIVersion, err)
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: ref.Kind}
	mapping, err := c.mapper.RESTMapping(gk, gv.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset()
		mapping, err = c.mapper.RESTMapping(gk, gv.Version)
	}
	if err != nil {
		return schema.GroupVersionResource{}, false, fmt.Errorf("owner kind %s: %w", gk, err)
	}
	return mapping.Resource, mapping.Scope.Name() == meta.RESTScopeNameNamespace, nil
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
