package controller

import (
	"context"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/registry/apiextensions/customresourcedefinition"
)

// recheckDeleting is how soon a deleting CRD whose custom resources still
// wait on their own finalizers is looked at again.
const recheckDeleting = 500 * time.Millisecond

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

	remaining, err := c.deleteInstances(ctx, s)
	if err != nil {
		setCondition(next, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating,
			Status: apiextensionsv1.ConditionTrue, Reason: "InstanceDeletionFailed", Message: fmt.Sprintf("could not issue all deletes: %v", err)})
		if werr := c.writeStatus(ctx, crd, next); werr != nil {
			return werr
		}
		return err
	}
	if remaining > 0 {
		// Some wait on their own finalizers; their deletion shows up in
		// the watch cache, which we check again shortly.
		setCondition(next, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating,
			Status: apiextensionsv1.ConditionTrue, Reason: "InstanceDeletionCheck",
			Message: fmt.Sprintf("could not confirm zero CustomResources remaining: %d left", remaining)})
		c.queue.AddAfter(crd.Name, recheckDeleting)
		return c.writeStatus(ctx, crd, next)
	}
	setCondition(next, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating,
		Status: apiextensionsv1.ConditionFalse, Reason: "InstanceDeletionCompleted", Message: "removed all instances"})
	removeFinalizer(next)
	return c.writeStatus(ctx, crd, next)
}

// deleteInstances deletes every custom resource of a CRD and returns how
// many are left (waiting on finalizers).
func (c *Controller) deleteInstances(ctx context.Context, s *served) (int, error) {
	list, err := s.all.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return 0, err
	}
	remaining := 0
	for _, item := range items {
		m, err := meta.Accessor(item)
		if err != nil {
			return 0, err
		}
		if m.GetDeletionTimestamp() != nil {
			remaining++
			continue
		}
		_, deleted, err := s.all.Delete(ctx, m.GetNamespace(), m.GetName(), &metav1.DeleteOptions{}, false)
		if err != nil && !apierrors.IsNotFound(err) {
			return 0, err
		}
		if err == nil && !deleted {
			remaining++
		}
	}
	return remaining, nil
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
