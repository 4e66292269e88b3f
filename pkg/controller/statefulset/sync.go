package statefulset

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/pkg/controller/history"
)

// sync reconciles one StatefulSet: revisions first, then one walk over
// the ordinals, then status.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	cached, err := c.sets.StatefulSets(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || cached.DeletionTimestamp != nil {
		return err
	}
	set := cached.DeepCopy()
	selector, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil {
		return nil // validation forbids this; nothing sensible to do
	}
	status := set.Status.DeepCopy()
	if status.CollisionCount == nil {
		status.CollisionCount = new(int32(0))
	}
	owner := history.Owner{Object: set, Kind: kind, Selector: selector, Template: &set.Spec.Template, CollisionCount: status.CollisionCount}
	revs, err := history.List(c.revisions, owner)
	if err != nil {
		return err
	}
	update, revs, err := history.Sync(ctx, c.client, owner, revs)
	if errors.Is(err, history.ErrCollision) {
		return errors.Join(err, c.writeStatus(ctx, set, status)) // retry under the raised count
	}
	if err != nil {
		return err
	}
	current := update
	for _, r := range revs {
		if r.Name == set.Status.CurrentRevision {
			current = r
		}
	}
	templates := map[string]*corev1.PodTemplateSpec{}
	for _, r := range []*appsv1.ControllerRevision{current, update} {
		if templates[r.Name], err = history.Template(r); err != nil {
			return err
		}
	}

	all, err := c.pods.Pods(set.Namespace).List(selector)
	if err != nil {
		return err
	}
	start, replicas := 0, 1
	if set.Spec.Ordinals != nil {
		start = int(set.Spec.Ordinals.Start)
	}
	if set.Spec.Replicas != nil {
		replicas = int(*set.Spec.Replicas)
	}
	slots := make([]*corev1.Pod, replicas) // slots[i] is ordinal start+i
	var condemned []*corev1.Pod            // ordinals out of range, any order
	var mine []*corev1.Pod
	for _, p := range all {
		ref := metav1.GetControllerOf(p)
		ord := ordinal(set, p)
		if ref == nil || ref.UID != set.UID || ord < 0 {
			continue
		}
		mine = append(mine, p)
		if ord >= start && ord < start+replicas {
			slots[ord-start] = p
		} else {
			condemned = append(condemned, p)
		}
	}

	walkErr := c.walk(ctx, set, slots, condemned, start, current, update, templates)
	c.fillStatus(set, status, mine, current, update)
	live := map[string]bool{current.Name: true, update.Name: true}
	for _, p := range mine {
		live[p.Labels[appsv1.ControllerRevisionHashLabelKey]] = true
	}
	limit := int32(10)
	if set.Spec.RevisionHistoryLimit != nil {
		limit = *set.Spec.RevisionHistoryLimit
	}
	return errors.Join(walkErr, history.Truncate(ctx, c.client, revs, live, limit), c.writeStatus(ctx, set, status))
}

// walk makes one step of progress: create missing pods (with their
// claims) and replace terminated ones; then delete out-of-range pods,
// highest first; then roll one pod to the update revision. With
// OrderedReady each step waits until everything before it is Running
// and Ready.
func (c *Controller) walk(ctx context.Context, set *appsv1.StatefulSet, slots, condemned []*corev1.Pod, start int,
	current, update *appsv1.ControllerRevision, templates map[string]*corev1.PodTemplateSpec) error {
	ordered := set.Spec.PodManagementPolicy != appsv1.ParallelPodManagement
	partition := 0
	rolling := set.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType
	if ru := set.Spec.UpdateStrategy.RollingUpdate; rolling && ru != nil && ru.Partition != nil {
		partition = int(*ru.Partition)
	}
	selector := set.Spec.Selector.MatchLabels
	// revisionFor picks the template a new pod at ord starts from: below
	// the partition pods stay at the current revision.
	revisionFor := func(ord int) *appsv1.ControllerRevision {
		if rolling && ord < partition {
			return current
		}
		return update
	}
	for i, p := range slots {
		ord := start + i
		if p != nil && isTerminated(p) && p.DeletionTimestamp == nil {
			if err := c.deletePod(ctx, p); err != nil {
				return err
			}
			if ordered {
				return nil
			}
			continue
		}
		if p == nil {
			if err := c.createClaims(ctx, set, selector, ord); err != nil {
				return err
			}
			rev := revisionFor(ord)
			_, err := c.client.CoreV1().Pods(set.Namespace).Create(ctx, newPod(set, rev, templates[rev.Name], ord), metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("creating pod %s: %w", podName(set, ord), err)
			}
			if ordered {
				return nil
			}
			continue
		}
		if ordered && !isHealthy(p) {
			return nil // wait for this one before touching the next
		}
	}
	// Scale down, highest ordinal first. With OrderedReady an unhealthy
	// pod is deleted only when it is the lowest unhealthy one: scaling
	// down halts while any pod with a lower ordinal is unhealthy.
	sortDescending(set, condemned)
	var firstUnhealthy *corev1.Pod
	for _, p := range condemned { // descending: the last one found is the lowest
		if !isHealthy(p) {
			firstUnhealthy = p
		}
	}
	for _, p := range condemned {
		if p.DeletionTimestamp != nil {
			if ordered {
				return nil // wait until it is gone
			}
			continue
		}
		if ordered && (!allHealthy(slots) || !isHealthy(p) && p != firstUnhealthy) {
			return nil
		}
		if err := c.deletePod(ctx, p); err != nil {
			return err
		}
		if ordered {
			return nil
		}
	}
	if !rolling {
		return nil // OnDelete: pods pick up the new template when deleted
	}
	// Rolling update: one pod at a time, from the top down to partition,
	// only while every pod is Running and Ready.
	if !allHealthy(slots) {
		return nil
	}
	for i := len(slots) - 1; i >= 0; i-- {
		ord := start + i
		if ord < partition {
			break
		}
		if p := slots[i]; p.Labels[appsv1.ControllerRevisionHashLabelKey] != update.Name {
			return c.deletePod(ctx, p)
		}
	}
	return nil
}

func allHealthy(slots []*corev1.Pod) bool {
	for _, p := range slots {
		if p == nil || !isHealthy(p) {
			return false
		}
	}
	return true
}

func sortDescending(set *appsv1.StatefulSet, pods []*corev1.Pod) {
	for i := 1; i < len(pods); i++ {
		for j := i; j > 0 && ordinal(set, pods[j]) > ordinal(set, pods[j-1]); j-- {
			pods[j], pods[j-1] = pods[j-1], pods[j]
		}
	}
}

func (c *Controller) deletePod(ctx context.Context, p *corev1.Pod) error {
	err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &p.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("deleting pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return nil
}

// fillStatus counts the set's pods into status.
func (c *Controller) fillStatus(set *appsv1.StatefulSet, st *appsv1.StatefulSetStatus, pods []*corev1.Pod, current, update *appsv1.ControllerRevision) {
	st.ObservedGeneration = set.Generation
	st.Replicas, st.ReadyReplicas, st.AvailableReplicas, st.CurrentReplicas, st.UpdatedReplicas = 0, 0, 0, 0, 0
	now := c.clock.Now()
	minReady := time.Duration(set.Spec.MinReadySeconds) * time.Second
	var wake time.Duration
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		st.Replicas++
		if since, ok := readySince(p); ok {
			st.ReadyReplicas++
			if left := since.Add(minReady).Sub(now); left <= 0 {
				st.AvailableReplicas++
			} else if wake == 0 || left < wake {
				wake = left
			}
		}
		if p.Labels[appsv1.ControllerRevisionHashLabelKey] == current.Name {
			st.CurrentReplicas++
		}
		if p.Labels[appsv1.ControllerRevisionHashLabelKey] == update.Name {
			st.UpdatedReplicas++
		}
	}
	if wake > 0 {
		c.queue.AddAfter(cache.MetaObjectToName(set), wake)
	}
	st.CurrentRevision, st.UpdateRevision = current.Name, update.Name
	// The update is complete when every wanted pod runs the new template.
	want := int32(1)
	if set.Spec.Replicas != nil {
		want = *set.Spec.Replicas
	}
	if st.UpdatedReplicas == want && st.ReadyReplicas == want && st.Replicas == want {
		st.CurrentRevision, st.CurrentReplicas = update.Name, st.UpdatedReplicas
	}
}

func (c *Controller) writeStatus(ctx context.Context, set *appsv1.StatefulSet, st *appsv1.StatefulSetStatus) error {
	if apiequality.Semantic.DeepEqual(&set.Status, st) {
		return nil
	}
	set.Status = *st
	_, err := c.client.AppsV1().StatefulSets(set.Namespace).UpdateStatus(ctx, set, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("updating status of statefulset %s/%s: %w", set.Namespace, set.Name, err)
	}
	return nil
}
