package replicaset

import (
	"context"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tinykube/tinykube/pkg/controller/podcontrol"
)

// calculateStatus returns rs's status for its active (claimed) and
// terminating pods. A failed create or delete sets the ReplicaFailure
// condition (reason FailedCreate or FailedDelete); a clean round
// removes it.
func (c *Controller) calculateStatus(rs *appsv1.ReplicaSet, active, terminating []*corev1.Pod, manageErr error, now time.Time) appsv1.ReplicaSetStatus {
	s := *rs.Status.DeepCopy()
	templateLabels := labels.SelectorFromSet(rs.Spec.Template.Labels)
	var fullyLabeled, ready, available int32
	for _, p := range active {
		if templateLabels.Matches(labels.Set(p.Labels)) {
			fullyLabeled++
		}
		if podcontrol.IsReady(p) {
			ready++
			if podcontrol.IsAvailable(p, rs.Spec.MinReadySeconds, now) {
				available++
			}
		}
	}
	s.Replicas = int32(len(active))
	s.FullyLabeledReplicas, s.ReadyReplicas, s.AvailableReplicas = fullyLabeled, ready, available
	// ReplicationControllers have no terminatingReplicas field.
	if c.kind.gvk().Kind == "ReplicaSet" {
		n := int32(len(terminating))
		s.TerminatingReplicas = &n
	}

	failure := findCondition(s.Conditions, appsv1.ReplicaSetReplicaFailure)
	switch {
	case manageErr != nil && failure == nil:
		reason := "FailedCreate"
		if len(active) > int(*rs.Spec.Replicas) {
			reason = "FailedDelete"
		}
		s.Conditions = append(s.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue,
			LastTransitionTime: metav1.NewTime(now), Reason: reason, Message: manageErr.Error(),
		})
	case manageErr == nil && failure != nil:
		var kept []appsv1.ReplicaSetCondition
		for _, c := range s.Conditions {
			if c.Type != appsv1.ReplicaSetReplicaFailure {
				kept = append(kept, c)
			}
		}
		s.Conditions = kept
	}
	return s
}

func findCondition(conds []appsv1.ReplicaSetCondition, t appsv1.ReplicaSetConditionType) *appsv1.ReplicaSetCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// updateStatus writes status (with observedGeneration = generation)
// unless nothing changed. A conflict is returned and requeues the key.
func (c *Controller) updateStatus(ctx context.Context, rs *appsv1.ReplicaSet, status appsv1.ReplicaSetStatus) (*appsv1.ReplicaSet, error) {
	status.ObservedGeneration = rs.Generation
	if reflect.DeepEqual(rs.Status, status) {
		return rs, nil
	}
	rs = rs.DeepCopy()
	rs.Status = status
	return c.kind.updateStatus(ctx, rs)
}
