package controller

import (
	"context"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/registry/apiextensions/customresourcedefinition"
)

// retryWatch is how soon a failed watch of a deleting CRD's remaining
// objects is retried.
const retryWatch = time.Second

// finalize is upstream's finalizing controller for a CRD being deleted
// (next is crd with the names and conditions sync computed): refuse new
// objects, delete every custom resource, and once none is left remove
// the cleanup finalizer, which lets the CRD go.
func (c *Controller) finalize(ctx context.Context, crd, next *apiextensionsv1.CustomResourceDefinition) error {
	if !hasFinalizer(crd) {
		return c.writeStatus(ctx, crd, next)
	}
	c.mu.Lock()
	s := c.served[crd.Name]
	c.mu.Unlock()
	if s == nil {
		// Never served: nothing can have been stored.
		setCondition(next, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating,
			Status: apiextensionsv1.ConditionFalse, Reason: "NeverEstablished", Message: "resource was never established"})
		removeFinalizer(next)
		return c.writeStatus(ctx, crd, next)
	}
	s.terminating.Store(true)
	if c, ok := customresourcedefinition.Condition(next, apiextensionsv1.Terminating); !ok || c.Reason == "InstanceDeletionPending" {
		setCondition(next, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating,
			Status: apiextensionsv1.ConditionTrue, Reason: "InstanceDeletionInProgress", Message: "CustomResource deletion is in progress"})
	}

	remaining, rv, err := c.deleteInstances(ctx, s)
	if err != nil {
		setCondition(next, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating,
			Status: apiextensionsv1.ConditionTrue, Reason: "InstanceDeletionFailed", Message: fmt.Sprintf("could not issue all deletes: %v", err)})
		if werr := c.writeStatus(ctx, crd, next); werr != nil {
			return werr
		}
		return err
	}
	if remaining > 0 {
		// Some wait on their own finalizers: a watch of them brings the
		// CRD back when one goes. Meanwhile the CRD stays
		// InstanceDeletionInProgress, as upstream while it waits.
		c.watchRemaining(s, crd.Name, rv)
		return c.writeStatus(ctx, crd, next)
	}
	setCondition(next, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating,
		Status: apiextensionsv1.ConditionFalse, Reason: "InstanceDeletionCompleted", Message: "removed all instances"})
	removeFinalizer(next)
	return c.writeStatus(ctx, crd, next)
}

// deleteInstances deletes every custom resource of a CRD and returns how
// many are left (waiting on finalizers) and the resourceVersion of the
// list it deleted from.
func (c *Controller) deleteInstances(ctx context.Context, s *served) (int, string, error) {
	list, err := s.all.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return 0, "", err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return 0, "", err
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return 0, "", err
	}
	remaining := 0
	for _, item := range items {
		m, err := meta.Accessor(item)
		if err != nil {
			return 0, "", err
		}
		if m.GetDeletionTimestamp() != nil {
			remaining++
			continue
		}
		_, deleted, err := s.all.Delete(ctx, m.GetNamespace(), m.GetName(), &metav1.DeleteOptions{}, false)
		if err != nil && !apierrors.IsNotFound(err) {
			return 0, "", err
		}
		if err == nil && !deleted {
			remaining++
		}
	}
	return remaining, lm.GetResourceVersion(), nil
}

// watchRemaining watches a deleting CRD's objects from rv and queues the
// CRD whenever one is deleted, until the CRD is no longer served. One
// watch per CRD.
func (c *Controller) watchRemaining(s *served, name, rv string) {
	if !s.watching.CompareAndSwap(false, true) {
		return
	}
	go func() {
		// The flag is down before the CRD is queued again, so that sync
		// can start the next watch.
		w, err := s.all.Watch(s.ctx, "", &metav1.ListOptions{ResourceVersion: rv})
		if err != nil {
			s.watching.Store(false)
			c.queue.AddAfter(name, retryWatch)
			return
		}
		defer w.Stop()
		for ev := range w.ResultChan() {
			switch ev.Type {
			case watch.Deleted:
				c.queue.Add(name)
			case watch.Error:
				s.watching.Store(false)
				c.queue.Add(name) // look again, and watch anew
				return
			}
		}
		s.watching.Store(false)
		if s.ctx.Err() == nil {
			c.queue.Add(name) // the watch ended early: look again
		}
	}()
}

func hasFinalizer(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, f := range crd.Finalizers {
		if f == customresourcedefinition.CleanupFinalizer {
			return true
		}
	}
	return false
}

func removeFinalizer(crd *apiextensionsv1.CustomResourceDefinition) {
	var out []string
	for _, f := range crd.Finalizers {
		if f != customresourcedefinition.CleanupFinalizer {
			out = append(out, f)
		}
	}
	crd.Finalizers = out
}
