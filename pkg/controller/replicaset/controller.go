package replicaset

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/expectations"
	"github.com/tinykube/tinykube/pkg/controller/podcontrol"
)

// BurstReplicas caps the pods one sync creates or deletes; the rest
// follow in later syncs.
const BurstReplicas = 500

// Controller keeps the pods of every ReplicaSet (or every
// ReplicationController: one Controller serves one kind).
type Controller struct {
	kind   kind
	client kubernetes.Interface
	pods   cache.Indexer
	synced []cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[cache.ObjectName]
	// expectations hold the creates and deletes issued per owner and not
	// yet seen by the pod informer.
	expectations *expectations.Expectations[cache.ObjectName]
	now          func() time.Time
}

var _ controller.Runner = (*Controller)(nil)

// NewReplicaSet builds the controller for apps/v1 ReplicaSets.
func NewReplicaSet(_ context.Context, cc controller.Context) (controller.Runner, error) {
	return newController(cc, newReplicaSets(cc), "replicaset")
}

// NewReplicationController builds the controller for core/v1
// ReplicationControllers.
func NewReplicationController(_ context.Context, cc controller.Context) (controller.Runner, error) {
	return newController(cc, newReplicationControllers(cc), "replicationcontroller")
}

func newController(cc controller.Context, k kind, name string) (*Controller, error) {
	podInformer := cc.Informers.Core().V1().Pods().Informer()
	if err := podcontrol.AddControllerIndex(podInformer); err != nil {
		return nil, err
	}
	c := &Controller{
		kind: k, client: cc.Client, pods: podInformer.GetIndexer(),
		synced:       []cache.InformerSynced{k.informer().HasSynced, podInformer.HasSynced},
		queue:        controller.NewClockedQueue[cache.ObjectName](name, cc.Clock),
		expectations: expectations.New[cache.ObjectName](nil),
		now:          cc.ClockOrReal().Now,
	}
	if _, err := k.informer().AddEventHandler(controller.NameHandler(c.queue)); err != nil {
		return nil, err
	}
	_, err := podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.addPod,
		UpdateFunc: c.updatePod,
		DeleteFunc: c.deletePod,
	})
	return c, err
}

// owner returns the key of the object of our kind that controls pod, if
// it is in the cache with the referenced UID.
func (c *Controller) owner(ref *metav1.OwnerReference, namespace string) (cache.ObjectName, bool) {
	if !controller.RefersTo(ref, c.kind.gvk()) {
		return cache.ObjectName{}, false
	}
	rs, err := c.kind.get(namespace, ref.Name)
	if err != nil || rs.UID != ref.UID {
		return cache.ObjectName{}, false
	}
	return cache.NewObjectName(namespace, ref.Name), true
}

// enqueueMatching wakes every owner whose selector matches an orphan
// pod, so one of them adopts it.
func (c *Controller) enqueueMatching(pod *corev1.Pod) {
	all, err := c.kind.list(pod.Namespace)
	if err != nil {
		return
	}
	for _, rs := range all {
		sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		c.queue.Add(cache.MetaObjectToName(rs))
	}
}

func (c *Controller) addPod(obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		// Seen for the first time already terminating (informer relist).
		c.deletePod(pod)
		return
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil {
		c.enqueueMatching(pod)
		return
	}
	if key, ok := c.owner(ref, pod.Namespace); ok {
		c.expectations.CreationObserved(key)
		c.queue.Add(key)
	}
}

func (c *Controller) updatePod(oldObj, newObj any) {
	old, pod := oldObj.(*corev1.Pod), newObj.(*corev1.Pod)
	if old.ResourceVersion == pod.ResourceVersion {
		return // periodic resync: nothing changed
	}
	oldRef, ref := metav1.GetControllerOfNoCopy(old), metav1.GetControllerOfNoCopy(pod)
	if oldRef != nil && (ref == nil || oldRef.UID != ref.UID) {
		if key, ok := c.owner(oldRef, old.Namespace); ok {
			c.queue.Add(key) // it lost a pod
		}
	}
	if pod.DeletionTimestamp != nil && old.DeletionTimestamp == nil {
		// A graceful delete: the pod stops counting now, not when it is
		// finally removed.
		c.deletePod(pod)
		return
	}
	if ref == nil {
		if !labels.Equals(old.Labels, pod.Labels) || oldRef != nil {
			c.enqueueMatching(pod)
		}
		return
	}
	key, ok := c.owner(ref, pod.Namespace)
	if !ok {
		return
	}
	c.queue.Add(key)
	// No event announces that a ready pod has become available; look
	// again once minReadySeconds have passed.
	if !podcontrol.IsReady(old) && podcontrol.IsReady(pod) {
		if rs, err := c.kind.get(key.Namespace, key.Name); err == nil && rs.Spec.MinReadySeconds > 0 {
			c.queue.AddAfter(key, time.Duration(rs.Spec.MinReadySeconds)*time.Second)
		}
	}
}

func (c *Controller) deletePod(obj any) {
	pod, ok := controller.Unwrap[*corev1.Pod](obj)
	if !ok {
		return
	}
	if key, ok := c.owner(metav1.GetControllerOfNoCopy(pod), pod.Namespace); ok {
		c.expectations.DeletionObserved(key, pod)
		c.queue.Add(key)
	}
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, strings.ToLower(c.kind.gvk().Kind), c.queue, c.synced, workers, c.sync)
}

func notFound(gvk schema.GroupVersionKind, name string) error {
	return apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: strings.ToLower(gvk.Kind) + "s"}, name)
}
