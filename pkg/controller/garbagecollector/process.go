package garbagecollector

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/pkg/controller"
)

// errWaiting requeues a uid with backoff without logging: an owner in
// foreground deletion waiting for blocking dependents. Their deletion
// events requeue it too; the backoff is a safety net.
var errWaiting = fmt.Errorf("%w for dependents", controller.ErrWaiting)

// process decides what the object with uid needs:
//   - being deleted with the orphan finalizer: orphan its dependents;
//   - being deleted with the foregroundDeletion finalizer: delete its
//     dependents, finish when no blocking one is left;
//   - otherwise, if it has owners: delete it if none is left.
func (c *Controller) process(ctx context.Context, uid types.UID) error {
	n := c.graph.get(uid)
	if n == nil {
		// Gone, never seen, or an owner found by lookup only.
		return c.recheckVirtual(ctx, uid)
	}
	if n.deleting {
		switch {
		case n.hasFinalizer(metav1.FinalizerOrphanDependents):
			return c.orphanDependents(ctx, n)
		case n.hasFinalizer(metav1.FinalizerDeleteDependents):
			return c.deleteDependentsFirst(ctx, n)
		}
		return nil
	}
	if len(n.owners) == 0 {
		return nil
	}
	return c.collect(ctx, n)
}

// Virtual owners are looked up again after virtualRecheckMin, doubling up
// to virtualRecheckMax while they stay unobserved.
const (
	virtualRecheckMin = 250 * time.Millisecond
	virtualRecheckMax = 10 * time.Second
)

// addVirtual makes the unobserved owner uid virtual and schedules its
// first recheck (if it is not virtual or observed already). An owner of a
// resource not watched yet (a new CRD) makes the collector rediscover
// now, not at the next period.
func (c *Controller) addVirtual(uid types.UID, v *virtualOwner) {
	if !c.graph.addVirtual(uid, v) {
		return
	}
	if !c.monitored(v.gvr) {
		c.requestRediscovery()
	}
	c.queue.AddAfter(uid, virtualRecheckMin)
}

// recheckVirtual looks the virtual owner uid up again, as upstream's
// collector keeps requeueing a virtual node until it is observed. Found
// gone (or replaced under its name), its dependents are judged again —
// the deletion event the informers never delivered; found deleting, too
// (a foreground deletion). Still there and unobserved: checked again
// later, with backoff.
func (c *Controller) recheckVirtual(ctx context.Context, uid types.UID) error {
	v := c.graph.getVirtual(uid)
	if v == nil {
		return nil // not virtual, or observed since
	}
	if !c.graph.hasDependents(uid) {
		c.graph.dropVirtual(uid)
		return nil
	}
	live, err := c.metadata.Resource(v.gvr).Namespace(v.namespace).Get(ctx, v.name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("rechecking unobserved owner %s %s/%s: %w", v.gvr.Resource, v.namespace, v.name, err)
	}
	if err != nil || live.UID != uid {
		c.logger.Debug("garbage collector: unobserved owner gone",
			"resource", v.gvr.Resource, "namespace", v.namespace, "name", v.name, "uid", uid)
		c.graph.dropVirtual(uid)
		c.enqueueDependents(uid)
		return nil
	}
	if c.graph.getVirtual(uid) == nil {
		return nil // observed meanwhile: its events take over
	}
	if live.DeletionTimestamp != nil {
		c.enqueueDependents(uid)
	}
	if !c.monitored(v.gvr) {
		c.requestRediscovery()
	}
	v.checks++
	c.queue.AddAfter(uid, min(virtualRecheckMin<<min(v.checks, 16), virtualRecheckMax))
	return nil
}

func (c *Controller) enqueueDependents(owner types.UID) {
	for _, d := range c.graph.dependentsOf(owner) {
		c.queue.Add(d.uid)
	}
}

// collect deletes n if all its owners are gone or deleting in foreground,
// and drops references to such owners if some owner remains.
func (c *Controller) collect(ctx context.Context, n *node) error {
	states, err := c.classify(ctx, n)
	if err != nil {
		return err
	}
	var keep, drop int
	var waitingOwners int
	for _, st := range states {
		switch st {
		case solid, invalid:
			keep++
		case absent:
			drop++
		case waiting:
			drop++
			waitingOwners++
		}
	}
	if keep > 0 {
		if drop == 0 {
			return nil
		}
		// Still owned: forget only the owners that are gone or going.
		return c.removeOwnerRefs(ctx, n, func(r metav1.OwnerReference) bool {
			for i, o := range n.owners {
				if o.UID == r.UID {
					return states[i] == absent || states[i] == waiting
				}
			}
			return false
		})
	}
	// No owner left. An owner deleting in foreground waits for n, so n
	// deletes its own dependents first too (the chain goes bottom up).
	policy := metav1.DeletePropagationBackground
	if waitingOwners > 0 && c.graph.hasDependents(n.uid) {
		policy = metav1.DeletePropagationForeground
		// A dependent already deleting its own dependents first may be
		// waiting, through a chain, for n's owner: a cycle of blocking
		// references would deadlock in foreground. As upstream, n stops
		// blocking its owners before it joins the chain.
		if c.dependentDeletingInForeground(n) {
			if err := c.unblockOwners(ctx, n); err != nil {
				return err
			}
		}
	}
	// The graph may lag behind the object: an owner being orphaned has
	// just removed its reference, and the update is not seen yet. As
	// upstream reads the latest object before deleting it, n goes only
	// if its live owners are still those the graph knows; otherwise the
	// update's event brings n back with its new owners.
	if changed, err := c.ownersChanged(ctx, n); err != nil || changed {
		return err
	}
	c.logger.Info("garbage collector: deleting object whose owners are gone",
		"resource", n.gvr.Resource, "namespace", n.namespace, "name", n.name, "propagation", policy)
	uid := n.uid
	err = c.metadata.Resource(n.gvr).Namespace(n.namespace).Delete(ctx, n.name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &policy})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // already gone, or replaced by a new object of that name
	}
	return err
}

// ownersChanged reports whether the live object differs from n in its
// owner references (or is gone, or replaced under the same name).
func (c *Controller) ownersChanged(ctx context.Context, n *node) (bool, error) {
	m, err := c.metadata.Resource(n.gvr).Namespace(n.namespace).Get(ctx, n.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if m.UID != n.uid || len(m.OwnerReferences) != len(n.owners) {
		return true, nil
	}
	for i, r := range m.OwnerReferences {
		if r.UID != n.owners[i].UID {
			return true, nil
		}
	}
	return false, nil
}

// dependentDeletingInForeground reports whether one of n's dependents is
// itself being deleted with the foregroundDeletion finalizer.
func (c *Controller) dependentDeletingInForeground(n *node) bool {
	for _, d := range c.graph.dependentsOf(n.uid) {
		if d.deleting && d.hasFinalizer(metav1.FinalizerDeleteDependents) {
			return true
		}
	}
	return false
}

// unblockOwners sets blockOwnerDeletion=false on n's owner references.
func (c *Controller) unblockOwners(ctx context.Context, n *node) error {
	return c.patchMeta(ctx, n, func(m *metav1.PartialObjectMetadata) (any, bool) {
		refs := slices.Clone(m.OwnerReferences)
		changed := false
		for i := range refs {
			if refs[i].BlockOwnerDeletion != nil && *refs[i].BlockOwnerDeletion {
				refs[i].BlockOwnerDeletion = ptr.To(false)
				changed = true
			}
		}
		return map[string]any{"ownerReferences": refs}, changed
	})
}

// deleteDependentsFirst is foreground deletion of owner n: its
// dependents are queued (collect deletes them, seeing n as waiting); n's
// finalizer goes once no dependent blocks it.
func (c *Controller) deleteDependentsFirst(ctx context.Context, n *node) error {
	blocking := 0
	for _, d := range c.graph.dependentsOf(n.uid) {
		if !d.deleting {
			c.queue.Add(d.uid)
		}
		if r, ok := d.ownerRef(n.uid); ok && r.BlockOwnerDeletion != nil && *r.BlockOwnerDeletion {
			blocking++
		}
	}
	if blocking > 0 {
		return fmt.Errorf("%w: %d blocking dependents of %s %s/%s", errWaiting, blocking, n.gvr.Resource, n.namespace, n.name)
	}
	return c.removeFinalizer(ctx, n, metav1.FinalizerDeleteDependents)
}

// orphanDependents is orphan deletion of owner n: every dependent loses
// its reference to n, then n's finalizer goes and with it n.
func (c *Controller) orphanDependents(ctx context.Context, n *node) error {
	for _, d := range c.graph.dependentsOf(n.uid) {
		err := c.removeOwnerRefs(ctx, d, func(r metav1.OwnerReference) bool { return r.UID == n.uid })
		if err != nil {
			return fmt.Errorf("orphaning %s %s/%s: %w", d.gvr.Resource, d.namespace, d.name, err)
		}
	}
	return c.removeFinalizer(ctx, n, metav1.FinalizerOrphanDependents)
}

// removeOwnerRefs drops the references drop selects from n, reading the
// object fresh and writing with its resourceVersion (retried on
// conflict).
func (c *Controller) removeOwnerRefs(ctx context.Context, n *node, drop func(metav1.OwnerReference) bool) error {
	return c.patchMeta(ctx, n, func(m *metav1.PartialObjectMetadata) (any, bool) {
		var refs []metav1.OwnerReference
		for _, r := range m.OwnerReferences {
			if !drop(r) {
				refs = append(refs, r)
			}
		}
		if len(refs) == len(m.OwnerReferences) {
			return nil, false
		}
		if refs == nil {
			return map[string]any{"ownerReferences": nil}, true
		}
		return map[string]any{"ownerReferences": refs}, true
	})
}

// removeFinalizer removes finalizer f from n; with none left the API
// server completes the deletion.
func (c *Controller) removeFinalizer(ctx context.Context, n *node, f string) error {
	return c.patchMeta(ctx, n, func(m *metav1.PartialObjectMetadata) (any, bool) {
		var fins []string
		for _, x := range m.Finalizers {
			if x != f {
				fins = append(fins, x)
			}
		}
		if len(fins) == len(m.Finalizers) {
			return nil, false
		}
		if fins == nil {
			return map[string]any{"finalizers": nil}, true
		}
		return map[string]any{"finalizers": fins}, true
	})
}

// patchMeta reads n's metadata, lets change compute new metadata fields
// (ok=false: nothing to do) and writes them as a merge patch guarded by
// uid and resourceVersion.
func (c *Controller) patchMeta(ctx context.Context, n *node, change func(*metav1.PartialObjectMetadata) (fields any, ok bool)) error {
	client := c.metadata.Resource(n.gvr).Namespace(n.namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		m, err := client.Get(ctx, n.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if m.UID != n.uid {
			return nil // replaced by a new object of that name
		}
		fields, ok := change(m)
		if !ok {
			return nil
		}
		md := fields.(map[string]any)
		md["uid"], md["resourceVersion"] = m.UID, m.ResourceVersion
		body, err := json.Marshal(map[string]any{"metadata": md})
		if err != nil {
			return err
		}
		_, err = client.Patch(ctx, n.name, types.MergePatchType, body, metav1.PatchOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
