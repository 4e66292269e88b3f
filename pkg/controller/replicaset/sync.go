package replicaset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/pkg/controller/claim"
	"github.com/tinykube/tinykube/pkg/controller/podcontrol"
)

// sync reconciles one ReplicaSet (or ReplicationController): claim its
// pods, create or delete pods to reach spec.replicas — only when the
// informer has seen the results of the previous round — and write
// status.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	rs, err := c.kind.get(key.Namespace, key.Name)
	if apierrors.IsNotFound(err) {
		c.expectations.Forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	// Read before listing pods: an expectation satisfied now is backed
	// by what the pod cache holds below.
	settled := c.expectations.Satisfied(key)
	selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return nil // invalid selectors are rejected by validation; nothing to do
	}
	candidates, err := podcontrol.ByController(c.pods, rs.Namespace, string(rs.UID), true)
	if err != nil {
		return err
	}
	var activeCandidates, terminating []*corev1.Pod
	for _, p := range candidates {
		switch {
		case podcontrol.IsActive(p):
			activeCandidates = append(activeCandidates, p)
		case podcontrol.IsTerminating(p) && metav1.IsControlledBy(p, rs) && selector.Matches(labels.Set(p.Labels)):
			terminating = append(terminating, p)
		}
	}
	active, err := claim.Claim(ctx, claim.Owner{
		Object: rs, Kind: c.kind.gvk(), Selector: selector,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			return c.kind.patchPod(ctx, rs.Namespace, name, patch)
		},
		CanAdopt: claim.Recheck(rs, func(ctx context.Context) (*appsv1.ReplicaSet, error) {
			return c.kind.fresh(ctx, rs.Namespace, rs.Name)
		}),
	}, activeCandidates)
	if err != nil {
		return err
	}

	var manageErr error
	if settled && rs.DeletionTimestamp == nil {
		manageErr = c.manageReplicas(ctx, key, rs, active)
	}
	now := c.now()
	status := c.calculateStatus(rs, active, terminating, manageErr, now)
	updated, err := c.updateStatus(ctx, rs, status)
	if apierrors.IsConflict(err) && manageErr == nil {
		// Our cache is behind the server: the newer version's informer
		// event queues this key again, no need for an error and backoff.
		return nil
	}
	if err != nil {
		return errors.Join(manageErr, err)
	}
	if manageErr != nil {
		return manageErr
	}
	if updated.Spec.MinReadySeconds > 0 && updated.Status.ReadyReplicas != updated.Status.AvailableReplicas {
		if after, ok := podcontrol.NextAvailabilityCheck(active, updated.Spec.MinReadySeconds, now); ok {
			c.queue.AddAfter(key, after)
		}
	}
	return nil
}

// manageReplicas creates or deletes pods (at most BurstReplicas) so that
// len(active) moves to spec.replicas. It records expectations first so
// that the informer events of its own writes are not mistaken for a
// settled state.
func (c *Controller) manageReplicas(ctx context.Context, key cache.ObjectName, rs *appsv1.ReplicaSet, active []*corev1.Pod) error {
	diff := len(active) - int(*rs.Spec.Replicas)
	switch {
	case diff < 0:
		n := min(-diff, BurstReplicas)
		c.expectations.Expect(key, n, nil)
		ref := metav1.NewControllerRef(rs, c.kind.gvk())
		created, err := podcontrol.SlowStart(n, func() error {
			pod := podcontrol.FromTemplate(&rs.Spec.Template, ref, rs.Name)
			_, err := c.client.CoreV1().Pods(rs.Namespace).Create(ctx, pod, metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("creating pod for %s %s: %w", c.kind.gvk().Kind, key, err)
			}
			return nil
		})
		// Creates never attempted or failed will never be observed.
		for range n - created {
			c.expectations.CreationObserved(key)
		}
		return err
	case diff > 0:
		n := min(diff, BurstReplicas)
		victims := slices.Clone(active)
		podcontrol.SortForDeletion(victims)
		victims = victims[:n]
		c.expectations.Expect(key, 0, victims)
		var mu sync.Mutex
		var errs []error
		var wg sync.WaitGroup
		for _, p := range victims {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{})
				if err == nil {
					return
				}
				c.expectations.DeletionObserved(key, p)
				if !apierrors.IsNotFound(err) {
					mu.Lock()
					errs = append(errs, fmt.Errorf("deleting pod %s/%s: %w", p.Namespace, p.Name, err))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			return errs[0] // likely all the same; one is enough
		}
	}
	return nil
}
