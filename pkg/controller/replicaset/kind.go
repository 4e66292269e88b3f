package replicaset

import (
	"context"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/pkg/controller"
)

// kind is what the controller needs from the kind of object it serves.
// Objects cross it as *appsv1.ReplicaSet; get and list results may be
// informer-cache objects and must not be mutated.
type kind interface {
	gvk() schema.GroupVersionKind
	informer() cache.SharedIndexInformer
	get(namespace, name string) (*appsv1.ReplicaSet, error)
	list(namespace string) ([]*appsv1.ReplicaSet, error)
	// fresh reads the object from the server, bypassing the cache.
	fresh(ctx context.Context, namespace, name string) (*appsv1.ReplicaSet, error)
	// updateStatus writes rs.Status through the /status subresource.
	updateStatus(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error)
	// patchPod is how pods are adopted and released.
	patchPod(ctx context.Context, namespace, name string, patch []byte) error
}

// replicaSets serves apps/v1 ReplicaSets as they are.
type replicaSets struct {
	client kubernetes.Interface
	inf    cache.SharedIndexInformer
}

var _ kind = replicaSets{}

func newReplicaSets(cc controller.Context) replicaSets {
	return replicaSets{client: cc.Client, inf: cc.Informers.Apps().V1().ReplicaSets().Informer()}
}

func (replicaSets) gvk() schema.GroupVersionKind {
	return appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
}
func (k replicaSets) informer() cache.SharedIndexInformer { return k.inf }

func (k replicaSets) get(namespace, name string) (*appsv1.ReplicaSet, error) {
	obj, exists, err := k.inf.GetIndexer().GetByKey(cache.NewObjectName(namespace, name).String())
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, notFound(k.gvk(), name)
	}
	return obj.(*appsv1.ReplicaSet), nil
}

func (k replicaSets) list(namespace string) ([]*appsv1.ReplicaSet, error) {
	var out []*appsv1.ReplicaSet
	err := cache.ListAllByNamespace(k.inf.GetIndexer(), namespace, labels.Everything(), func(o any) {
		out = append(out, o.(*appsv1.ReplicaSet))
	})
	return out, err
}

func (k replicaSets) fresh(ctx context.Context, namespace, name string) (*appsv1.ReplicaSet, error) {
	return k.client.AppsV1().ReplicaSets(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (k replicaSets) updateStatus(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	return k.client.AppsV1().ReplicaSets(rs.Namespace).UpdateStatus(ctx, rs, metav1.UpdateOptions{})
}

func (k replicaSets) patchPod(ctx context.Context, namespace, name string, patch []byte) error {
	_, err := k.client.CoreV1().Pods(namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	return err
}

// replicationControllers serves core/v1 ReplicationControllers, converted
// to ReplicaSets: the map selector becomes matchLabels, the template
// pointer a value; status fields map one to one.
type replicationControllers struct {
	replicaSets // for client and patchPod
}

var _ kind = replicationControllers{}

func newReplicationControllers(cc controller.Context) replicationControllers {
	return replicationControllers{replicaSets{client: cc.Client, inf: cc.Informers.Core().V1().ReplicationControllers().Informer()}}
}

func (replicationControllers) gvk() schema.GroupVersionKind {
	return corev1.SchemeGroupVersion.WithKind("ReplicationController")
}

func (k replicationControllers) get(namespace, name string) (*appsv1.ReplicaSet, error) {
	obj, exists, err := k.inf.GetIndexer().GetByKey(cache.NewObjectName(namespace, name).String())
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, notFound(k.gvk(), name)
	}
	return rcToRS(obj.(*corev1.ReplicationController)), nil
}

func (k replicationControllers) list(namespace string) ([]*appsv1.ReplicaSet, error) {
	var out []*appsv1.ReplicaSet
	err := cache.ListAllByNamespace(k.inf.GetIndexer(), namespace, labels.Everything(), func(o any) {
		out = append(out, rcToRS(o.(*corev1.ReplicationController)))
	})
	return out, err
}

func (k replicationControllers) fresh(ctx context.Context, namespace, name string) (*appsv1.ReplicaSet, error) {
	rc, err := k.client.CoreV1().ReplicationControllers(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return rcToRS(rc), nil
}

func (k replicationControllers) updateStatus(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	rc, err := k.client.CoreV1().ReplicationControllers(rs.Namespace).UpdateStatus(ctx, rsToRC(rs), metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	return rcToRS(rc), nil
}

// rcToRS returns a ReplicaSet with rc's metadata, spec and status (deep
// copies). spec.replicas is never nil (the API defaults it to 1).
func rcToRS(rc *corev1.ReplicationController) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{ObjectMeta: *rc.ObjectMeta.DeepCopy()}
	replicas := int32(1)
	if rc.Spec.Replicas != nil {
		replicas = *rc.Spec.Replicas
	}
	rs.Spec.Replicas = &replicas
	rs.Spec.MinReadySeconds = rc.Spec.MinReadySeconds
	rs.Spec.Selector = &metav1.LabelSelector{MatchLabels: maps.Clone(rc.Spec.Selector)}
	if rc.Spec.Template != nil {
		rs.Spec.Template = *rc.Spec.Template.DeepCopy()
	}
	s := rc.Status
	rs.Status = appsv1.ReplicaSetStatus{
		Replicas: s.Replicas, FullyLabeledReplicas: s.FullyLabeledReplicas, ReadyReplicas: s.ReadyReplicas,
		AvailableReplicas: s.AvailableReplicas, ObservedGeneration: s.ObservedGeneration,
	}
	for _, c := range s.Conditions {
		rs.Status.Conditions = append(rs.Status.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	return rs
}

// rsToRC is the inverse of rcToRS. ReplicationControllers have no
// terminatingReplicas; it is dropped.
func rsToRC(rs *appsv1.ReplicaSet) *corev1.ReplicationController {
	rc := &corev1.ReplicationController{ObjectMeta: *rs.ObjectMeta.DeepCopy()}
	rc.Spec.Replicas = rs.Spec.Replicas
	rc.Spec.MinReadySeconds = rs.Spec.MinReadySeconds
	if rs.Spec.Selector != nil {
		rc.Spec.Selector = maps.Clone(rs.Spec.Selector.MatchLabels)
	}
	rc.Spec.Template = rs.Spec.Template.DeepCopy()
	s := rs.Status
	rc.Status = corev1.ReplicationControllerStatus{
		Replicas: s.Replicas, FullyLabeledReplicas: s.FullyLabeledReplicas, ReadyReplicas: s.ReadyReplicas,
		AvailableReplicas: s.AvailableReplicas, ObservedGeneration: s.ObservedGeneration,
	}
	for _, c := range s.Conditions {
		rc.Status.Conditions = append(rc.Status.Conditions, corev1.ReplicationControllerCondition{
			Type: corev1.ReplicationControllerConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	return rc
}
