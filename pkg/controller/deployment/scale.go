package deployment

import (
	"context"
	"math"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// syncScale handles a paused Deployment or a change of spec.replicas
// alone: resize the ReplicaSets without rolling anything out (a paused
// Deployment does not even create its new ReplicaSet).
func (c *Controller) syncScale(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := c.newAndOld(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	if err := c.scale(ctx, d, newRS, oldRSs); err != nil {
		return err
	}
	if d.Spec.Paused {
		if err := c.cleanupHistory(ctx, d, oldRSs); err != nil {
			return err
		}
	}
	return c.syncStatus(ctx, d, newRS, oldRSs)
}

// isScalingEvent: some active ReplicaSet was last sized for a different
// spec.replicas than the Deployment has now.
func (c *Controller) isScalingEvent(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) (bool, error) {
	newRS, oldRSs, err := c.newAndOld(ctx, d, rsList, false)
	if err != nil {
		return false, err
	}
	for _, rs := range active(append(oldRSs, newRS)) {
		if desired, ok := annotationInt(rs, DesiredReplicasAnnotation); ok && desired != replicas(d) {
			return true, nil
		}
	}
	return false, nil
}

// scale resizes the ReplicaSets to a new spec.replicas. With one active
// ReplicaSet (or none) that one takes the whole size; when the new one is
// saturated the old ones go to zero; mid-rollout the difference is spread
// over the active ReplicaSets in proportion to their size, so a rollout
// keeps its shape (scaling 10→20 at 5 new/5 old gives 10/10, not 15/5).
func (c *Controller) scale(ctx context.Context, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) error {
	if one := activeOrLatest(newRS, oldRSs); one != nil {
		if rsReplicas(one) == replicas(d) {
			return nil
		}
		_, _, err := c.scaleReplicaSet(ctx, d, one, replicas(d))
		return err
	}
	if saturated(d, newRS) {
		for _, rs := range active(oldRSs) {
			if _, _, err := c.scaleReplicaSet(ctx, d, rs, 0); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRolling(d) {
		return nil
	}

	all := active(append(oldRSs, newRS))
	allowed := int32(0)
	if replicas(d) > 0 {
		allowed = replicas(d) + maxSurge(d)
	}
	toAdd := allowed - sum(all, specReplicas)
	// Largest first — newest first among equals when growing, oldest
	// first when shrinking. Rounding leftovers go to the first.
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if rsReplicas(a) != rsReplicas(b) {
			return rsReplicas(a) > rsReplicas(b)
		}
		if toAdd > 0 {
			return b.CreationTimestamp.Before(&a.CreationTimestamp)
		}
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	})
	sizes := make([]int32, len(all))
	var added int32
	for i, rs := range all {
		sizes[i] = rsReplicas(rs)
		if toAdd == 0 || added == toAdd {
			continue
		}
		p := proportion(d, rs, toAdd-added)
		sizes[i] += p
		added += p
	}
	if len(all) > 0 {
		sizes[0] = max(0, sizes[0]+toAdd-added)
	}
	for i, rs := range all {
		if _, _, err := c.scaleReplicaSet(ctx, d, rs, sizes[i]); err != nil {
			return err
		}
	}
	return nil
}

// proportion is rs's share of a resize, capped by what is left to add
// (or remove): its size times new max size over the max size it was
// sized for (its max-replicas annotation).
func proportion(d *appsv1.Deployment, rs *appsv1.ReplicaSet, left int32) int32 {
	if rsReplicas(rs) == 0 {
		return 0
	}
	var share int32
	if replicas(d) == 0 {
		share = -rsReplicas(rs)
	} else {
		before, ok := annotationInt(rs, MaxReplicasAnnotation)
		if !ok || before == 0 {
			before = d.Status.Replicas
		}
		if before == 0 {
			return 0
		}
		target := float64(rsReplicas(rs)) * float64(replicas(d)+maxSurge(d)) / float64(before)
		share = int32(math.Round(target)) - rsReplicas(rs)
	}
	if left > 0 {
		return min(share, left)
	}
	return max(share, left)
}

// activeOrLatest returns the only active ReplicaSet, or if none is
// active the new one (else the newest old one); nil when several are.
func activeOrLatest(newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	all := active(append(append([]*appsv1.ReplicaSet{}, oldRSs...), newRS))
	switch len(all) {
	case 1:
		return all[0]
	case 0:
		if newRS != nil {
			return newRS
		}
		if len(oldRSs) == 0 {
			return nil
		}
		latest := oldRSs[0]
		for _, rs := range oldRSs[1:] {
			if latest.CreationTimestamp.Before(&rs.CreationTimestamp) {
				latest = rs
			}
		}
		return latest
	}
	return nil
}

// saturated: the new ReplicaSet alone runs all spec.replicas, available.
func saturated(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, ok := annotationInt(rs, DesiredReplicasAnnotation)
	return ok && rsReplicas(rs) == replicas(d) && desired == replicas(d) && rs.Status.AvailableReplicas == replicas(d)
}

func annotationInt(rs *appsv1.ReplicaSet, key string) (int32, bool) {
	v, err := strconv.ParseUint(rs.Annotations[key], 10, 31)
	if err != nil {
		return 0, false
	}
	return int32(v), true
}

// scaleReplicaSet sets rs's size to n, and its desired/max replicas
// annotations to the Deployment's current ones. It reports whether the
// size changed and returns the ReplicaSet as written.
func (c *Controller) scaleReplicaSet(ctx context.Context, d *appsv1.Deployment, rs *appsv1.ReplicaSet, n int32) (bool, *appsv1.ReplicaSet, error) {
	sizeChanged := rsReplicas(rs) != n
	out := rs.DeepCopy()
	*out.Spec.Replicas = n
	annotationsChanged := setReplicasAnnotations(out, replicas(d), replicas(d)+maxSurge(d))
	if !sizeChanged && !annotationsChanged {
		return false, rs, nil
	}
	updated, err := c.client.AppsV1().ReplicaSets(out.Namespace).Update(ctx, out, metav1.UpdateOptions{})
	if err != nil {
		return false, nil, err
	}
	return sizeChanged, updated, nil
}

// cleanupHistory deletes the oldest old ReplicaSets beyond
// spec.revisionHistoryLimit — only ones that are scaled to zero, have no
// pods left and whose controller has caught up.
func (c *Controller) cleanupHistory(ctx context.Context, d *appsv1.Deployment, oldRSs []*appsv1.ReplicaSet) error {
	if d.Spec.RevisionHistoryLimit == nil || *d.Spec.RevisionHistoryLimit == math.MaxInt32 {
		return nil
	}
	var alive []*appsv1.ReplicaSet
	for _, rs := range oldRSs {
		if rs != nil && rs.DeletionTimestamp == nil {
			alive = append(alive, rs)
		}
	}
	excess := len(alive) - int(*d.Spec.RevisionHistoryLimit)
	if excess <= 0 {
		return nil
	}
	sort.SliceStable(alive, func(i, j int) bool {
		ri, rj := revision(alive[i]), revision(alive[j])
		if ri != rj {
			return ri < rj
		}
		return alive[i].CreationTimestamp.Before(&alive[j].CreationTimestamp)
	})
	for _, rs := range alive[:excess] {
		if rs.Status.Replicas != 0 || rsReplicas(rs) != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		err := c.client.AppsV1().ReplicaSets(rs.Namespace).Delete(ctx, rs.Name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &rs.UID},
		})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return err
		}
	}
	return nil
}
