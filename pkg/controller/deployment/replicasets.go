package deployment

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"maps"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/dump"

	"github.com/tinykube/tinykube/pkg/controller/claim"
)

// claimReplicaSets returns the ReplicaSets d controls, adopting orphans
// its selector matches and releasing those it no longer matches.
func (c *Controller) claimReplicaSets(ctx context.Context, d *appsv1.Deployment, selector labels.Selector) ([]*appsv1.ReplicaSet, error) {
	all, err := c.replicaSets.ReplicaSets(d.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	return claim.Claim(ctx, claim.Owner{
		Object: d, Kind: controllerKind, Selector: selector,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			_, err := c.client.AppsV1().ReplicaSets(d.Namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		CanAdopt: claim.Recheck(d, func(ctx context.Context) (*appsv1.Deployment, error) {
			return c.client.AppsV1().Deployments(d.Namespace).Get(ctx, d.Name, metav1.GetOptions{})
		}),
	}, all)
}

// equalIgnoringHash compares pod templates without the
// pod-template-hash label, which only the ReplicaSet's copy carries.
func equalIgnoringHash(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return equality.Semantic.DeepEqual(a, b)
}

// findNew returns the oldest ReplicaSet whose template is d's, or nil.
// It sorts rsList by creation.
func findNew(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	byCreation(rsList)
	for _, rs := range rsList {
		if equalIgnoringHash(&rs.Spec.Template, &d.Spec.Template) {
			return rs
		}
	}
	return nil
}

// newAndOld splits rsList into the new ReplicaSet and the old ones. It
// keeps the new one's annotations and minReadySeconds current, moves its
// revision past every old one (which is how a rollback gets the next
// revision), and with create makes it if it does not exist. newRS is nil
// when it does not exist and create is false.
func (c *Controller) newAndOld(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet, create bool) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet, error) {
	existing := findNew(d, rsList)
	var old []*appsv1.ReplicaSet
	for _, rs := range rsList {
		if existing == nil || rs.UID != existing.UID {
			old = append(old, rs)
		}
	}
	newRevision := strconv.FormatInt(maxRevision(old)+1, 10)

	if existing != nil {
		rs := existing.DeepCopy()
		changed := setNewRSAnnotations(d, rs, newRevision, true)
		if changed || rs.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
			rs.Spec.MinReadySeconds = d.Spec.MinReadySeconds
			updated, err := c.client.AppsV1().ReplicaSets(rs.Namespace).Update(ctx, rs, metav1.UpdateOptions{})
			return updated, old, err
		}
		needsUpdate := setDeploymentRevision(d, rs.Annotations[RevisionAnnotation])
		if hasProgressDeadline(d) && getCondition(d.Status, appsv1.DeploymentProgressing) == nil {
			setCondition(&d.Status, newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, reasonFoundNewRS,
				fmt.Sprintf("Found new replica set %q", rs.Name), metav1.NewTime(c.now())))
			needsUpdate = true
		}
		if needsUpdate {
			if err := c.updateStatus(ctx, d); err != nil {
				return nil, nil, err
			}
		}
		return rs, old, nil
	}
	if !create {
		return nil, old, nil
	}

	template := d.Spec.Template.DeepCopy()
	hash := templateHash(template, d.Status.CollisionCount)
	template.Labels = withLabel(template.Labels, appsv1.DefaultDeploymentUniqueLabelKey, hash)
	selector := d.Spec.Selector.DeepCopy()
	selector.MatchLabels = withLabel(selector.MatchLabels, appsv1.DefaultDeploymentUniqueLabelKey, hash)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:            replicaSetName(d.Name, hash),
			Namespace:       d.Namespace,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, controllerKind)},
			Labels:          template.Labels,
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        new(int32),
			MinReadySeconds: d.Spec.MinReadySeconds,
			Selector:        selector,
			Template:        *template,
		},
	}
	*rs.Spec.Replicas = newRSReplicas(d, append(old, rs), rs)
	setNewRSAnnotations(d, rs, newRevision, false)

	created, err := c.client.AppsV1().ReplicaSets(d.Namespace).Create(ctx, rs, metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		// Ours from a sync whose create the informer has not shown us
		// yet, or a hash collision with someone else's. Until the
		// informer has it we cannot tell which: retry (bumping
		// collisionCount here would make a second ReplicaSet for the same
		// template). Once we see it: ours is the new ReplicaSet; anyone
		// else's means a collision, so bump collisionCount and the next
		// sync hashes to another name (as upstream).
		other, getErr := c.replicaSets.ReplicaSets(d.Namespace).Get(rs.Name)
		if getErr != nil {
			return nil, nil, getErr
		}
		if metav1.IsControlledBy(other, d) && equalIgnoringHash(&d.Spec.Template, &other.Spec.Template) {
			return other, old, nil
		}
		if d.Status.CollisionCount == nil {
			d.Status.CollisionCount = new(int32)
		}
		*d.Status.CollisionCount++
		if uErr := c.updateStatus(ctx, d); uErr != nil {
			return nil, nil, uErr
		}
		return nil, nil, err
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err)
		if hasProgressDeadline(d) && !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			setCondition(&d.Status, newCondition(appsv1.DeploymentProgressing, corev1.ConditionFalse, reasonRSCreateError, msg, metav1.NewTime(c.now())))
			_ = c.updateStatus(ctx, d)
		}
		return nil, nil, err
	}
	setDeploymentRevision(d, newRevision)
	if hasProgressDeadline(d) {
		setCondition(&d.Status, newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, reasonNewRSCreated,
			fmt.Sprintf("Created new replica set %q", created.Name), metav1.NewTime(c.now())))
	}
	return created, old, c.updateStatus(ctx, d)
}

// templateHash is upstream's pod-template-hash, so ReplicaSet names match
// upstream's for the same template: fnv32a over the template printed by
// k8s.io/utils/dump.ForHash, then the collision count as 8 little-endian
// bytes (only the low 4 set), printed in decimal and re-encoded with
// rand.SafeEncodeString (no vowels, so no words).
func templateHash(t *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%v", dump.ForHash(*t))
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// replicaSetName is "<deployment>-<hash>", the deployment name cut so the
// whole stays a valid name.
func replicaSetName(deployment, hash string) string {
	if limit := validation.DNS1123SubdomainMaxLength - 1 - len(hash); len(deployment) > limit {
		deployment = deployment[:limit]
	}
	return deployment + "-" + hash
}

func withLabel(m map[string]string, k, v string) map[string]string {
	m = maps.Clone(m)
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// skipAnnotations are never copied between a Deployment and its
// ReplicaSets: they belong to one object or are the controller's own.
var skipAnnotations = map[string]bool{
	corev1.LastAppliedConfigAnnotation: true,
	RevisionAnnotation:                 true,
	RevisionHistoryAnnotation:          true,
	DesiredReplicasAnnotation:          true,
	MaxReplicasAnnotation:              true,
	appsv1.DeprecatedRollbackTo:        true,
}

// maxRevisionHistoryChars bounds the revision-history annotation.
const maxRevisionHistoryChars = 2000

// setNewRSAnnotations copies d's annotations (kubernetes.io/change-cause
// among them, for rollout history) to the new ReplicaSet, raises its
// revision to newRevision if that is higher — remembering the revisions
// it had in revision-history — and, for a ReplicaSet being created, sets
// desired/max replicas. It reports whether anything changed.
func setNewRSAnnotations(d *appsv1.Deployment, rs *appsv1.ReplicaSet, newRevision string, exists bool) bool {
	changed := false
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	for k, v := range d.Annotations {
		if cur, ok := rs.Annotations[k]; skipAnnotations[k] || (ok && cur == v) {
			continue
		}
		rs.Annotations[k] = v
		changed = true
	}
	oldRevision, had := rs.Annotations[RevisionAnnotation]
	oldRev, err := strconv.ParseInt(oldRevision, 10, 64)
	if err != nil && oldRevision != "" {
		return changed
	}
	newRev, _ := strconv.ParseInt(newRevision, 10, 64)
	if oldRev < newRev {
		rs.Annotations[RevisionAnnotation] = newRevision
		changed = true
		if had {
			history := rs.Annotations[RevisionHistoryAnnotation]
			var revs []string
			if history != "" {
				revs = strings.Split(history, ",")
			}
			revs = append(revs, oldRevision)
			for len(revs) > 1 && len(strings.Join(revs, ",")) > maxRevisionHistoryChars {
				revs = revs[1:]
			}
			rs.Annotations[RevisionHistoryAnnotation] = strings.Join(revs, ",")
		}
	}
	if !exists && setReplicasAnnotations(rs, replicas(d), replicas(d)+maxSurge(d)) {
		changed = true
	}
	return changed
}

// setReplicasAnnotations records the Deployment size (desired) and
// size+surge (max) a ReplicaSet was last scaled for; proportional
// scaling and scaling-event detection read them back.
func setReplicasAnnotations(rs *appsv1.ReplicaSet, desired, maxReplicas int32) bool {
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	changed := false
	for k, v := range map[string]string{DesiredReplicasAnnotation: strconv.Itoa(int(desired)), MaxReplicasAnnotation: strconv.Itoa(int(maxReplicas))} {
		if rs.Annotations[k] != v {
			rs.Annotations[k] = v
			changed = true
		}
	}
	return changed
}

func setDeploymentRevision(d *appsv1.Deployment, rev string) bool {
	if d.Annotations[RevisionAnnotation] == rev {
		return false
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[RevisionAnnotation] = rev
	return true
}

// newRSReplicas is the size the new ReplicaSet may grow to now:
// spec.replicas for Recreate; for RollingUpdate as far as the total may
// go (replicas+maxSurge), never past spec.replicas.
//
// The total counts each ReplicaSet's pods as the larger of its spec and
// its status: an old ReplicaSet just scaled down may not have deleted
// its pods yet, and those pods still take up surge. (Upstream counts
// spec alone and can briefly run more than replicas+maxSurge pods.)
func newRSReplicas(d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) int32 {
	if !isRolling(d) {
		return replicas(d)
	}
	total := sum(all, func(rs *appsv1.ReplicaSet) int32 { return max(specReplicas(rs), statusReplicas(rs)) })
	ceiling := replicas(d) + maxSurge(d)
	if total >= ceiling {
		return rsReplicas(newRS)
	}
	return rsReplicas(newRS) + min(ceiling-total, replicas(d)-rsReplicas(newRS))
}
