package deployment

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/podcontrol"
)

var controllerKind = appsv1.SchemeGroupVersion.WithKind("Deployment")

// Controller rolls Deployments out through their ReplicaSets.
type Controller struct {
	client      kubernetes.Interface
	deployments appslisters.DeploymentLister
	replicaSets appslisters.ReplicaSetLister
	pods        cache.Indexer
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[cache.ObjectName]
	now         func() time.Time
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared informers.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	dInf := cc.Informers.Apps().V1().Deployments()
	rsInf := cc.Informers.Apps().V1().ReplicaSets()
	podInf := cc.Informers.Core().V1().Pods().Informer()
	if err := podcontrol.AddControllerIndex(podInf); err != nil {
		return nil, err
	}
	c := &Controller{
		client: cc.Client, deployments: dInf.Lister(), replicaSets: rsInf.Lister(), pods: podInf.GetIndexer(),
		synced: []cache.InformerSynced{dInf.Informer().HasSynced, rsInf.Informer().HasSynced, podInf.HasSynced},
		queue:  controller.NewClockedQueue[cache.ObjectName]("deployment", cc.Clock),
		now:    cc.ClockOrReal().Now,
	}
	if _, err := dInf.Informer().AddEventHandler(controller.NameHandler(c.queue)); err != nil {
		return nil, err
	}
	if _, err := rsInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { c.replicaSetChanged(nil, obj.(*appsv1.ReplicaSet)) },
		UpdateFunc: func(old, obj any) {
			c.replicaSetChanged(old.(*appsv1.ReplicaSet), obj.(*appsv1.ReplicaSet))
		},
		DeleteFunc: c.replicaSetDeleted,
	}); err != nil {
		return nil, err
	}
	_, err := podInf.AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: c.podDeleted})
	return c, err
}

// owner returns the key of the Deployment a controller reference points
// at, if it is in the cache with that UID.
func (c *Controller) owner(ref *metav1.OwnerReference, namespace string) (cache.ObjectName, bool) {
	if !controller.RefersTo(ref, controllerKind) {
		return cache.ObjectName{}, false
	}
	d, err := c.deployments.Deployments(namespace).Get(ref.Name)
	if err != nil || d.UID != ref.UID {
		return cache.ObjectName{}, false
	}
	return cache.NewObjectName(namespace, ref.Name), true
}

// replicaSetChanged wakes the owning Deployment (and a previous owner),
// or, for an orphan, every Deployment that could adopt it.
func (c *Controller) replicaSetChanged(old, rs *appsv1.ReplicaSet) {
	ref := metav1.GetControllerOfNoCopy(rs)
	if old != nil {
		if oldRef := metav1.GetControllerOfNoCopy(old); oldRef != nil && (ref == nil || oldRef.UID != ref.UID) {
			if key, ok := c.owner(oldRef, old.Namespace); ok {
				c.queue.Add(key)
			}
		}
	}
	if ref != nil {
		if key, ok := c.owner(ref, rs.Namespace); ok {
			c.queue.Add(key)
		}
		return
	}
	if old != nil && labels.Equals(old.Labels, rs.Labels) && metav1.GetControllerOfNoCopy(old) == nil {
		return
	}
	ds, err := c.deployments.Deployments(rs.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, d := range ds {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(rs.Labels)) {
			c.queue.Add(cache.MetaObjectToName(d))
		}
	}
}

func (c *Controller) replicaSetDeleted(obj any) {
	if rs, ok := controller.Unwrap[*appsv1.ReplicaSet](obj); ok {
		if key, ok := c.owner(metav1.GetControllerOfNoCopy(rs), rs.Namespace); ok {
			c.queue.Add(key)
		}
	}
}

// podDeleted matters only to Recreate rollouts, which wait for every
// old pod to be gone before creating new ones.
func (c *Controller) podDeleted(obj any) {
	pod, ok := controller.Unwrap[*corev1.Pod](obj)
	if !ok {
		return
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return
	}
	rs, err := c.replicaSets.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return
	}
	key, ok := c.owner(metav1.GetControllerOfNoCopy(rs), rs.Namespace)
	if !ok {
		return
	}
	if d, err := c.deployments.Deployments(key.Namespace).Get(key.Name); err == nil && d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		c.queue.Add(key)
	}
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "deployment", c.queue, c.synced, workers, func(ctx context.Context, key cache.ObjectName) error {
		err := c.sync(ctx, key)
		if apierrors.IsConflict(err) {
			// Our cache was behind; the newer object's event requeues the
			// key, but requeue anyway in case that event was ours.
			return fmt.Errorf("%w: %w", controller.ErrWaiting, err)
		}
		return err
	})
}

// sync reconciles one Deployment.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	cached, err := c.deployments.Deployments(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	d := cached.DeepCopy()
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || selector.Empty() {
		// Selecting all pods (or nothing valid) is refused; record that
		// we saw this generation and stop.
		if d.Status.ObservedGeneration < d.Generation {
			d.Status.ObservedGeneration = d.Generation
			return c.updateStatus(ctx, d)
		}
		return nil
	}
	if d.Spec.Replicas == nil {
		return fmt.Errorf("deployment %s has no spec.replicas", key)
	}

	rsList, err := c.claimReplicaSets(ctx, d, selector)
	if err != nil {
		return err
	}
	if d.DeletionTimestamp != nil {
		newRS, oldRSs, err := c.newAndOld(ctx, d, rsList, false)
		if err != nil {
			return err
		}
		return c.syncStatus(ctx, d, newRS, oldRSs)
	}
	if err := c.checkPaused(ctx, d); err != nil {
		return err
	}
	if d.Spec.Paused {
		return c.syncScale(ctx, d, rsList)
	}
	if scaling, err := c.isScalingEvent(ctx, d, rsList); err != nil {
		return err
	} else if scaling {
		return c.syncScale(ctx, d, rsList)
	}
	switch d.Spec.Strategy.Type {
	case appsv1.RecreateDeploymentStrategyType:
		return c.rolloutRecreate(ctx, d, rsList)
	case appsv1.RollingUpdateDeploymentStrategyType:
		return c.rolloutRolling(ctx, d, rsList)
	}
	return nil // unknown strategies are rejected by validation
}

// updateStatus writes d.Status (and any annotations the controller
// changed) through /status, and keeps d's resourceVersion current so a
// later write in the same sync does not conflict with this one.
func (c *Controller) updateStatus(ctx context.Context, d *appsv1.Deployment) error {
	out, err := c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	d.ResourceVersion = out.ResourceVersion
	return nil
}

func cacheKey(d *appsv1.Deployment) cache.ObjectName { return cache.MetaObjectToName(d) }
