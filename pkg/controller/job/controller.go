package job

import (
	"context"
	"fmt"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/expectations"
)

// Config tunes the controller; DefaultConfig has upstream's values.
type Config struct {
	// BackoffBase delays recreating pods after the first failure; each
	// further consecutive failure doubles it, up to BackoffMax.
	BackoffBase, BackoffMax time.Duration
	// Clock drives backoff, deadlines and the queue's delays.
	Clock clock.WithTicker
}

// DefaultConfig returns upstream's backoff (10s doubling to 6m) and the
// real clock.
func DefaultConfig() Config {
	return Config{BackoffBase: 10 * time.Second, BackoffMax: 6 * time.Minute, Clock: clock.RealClock{}}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.BackoffBase <= 0 || c.BackoffMax < c.BackoffBase || c.Clock == nil {
		return fmt.Errorf("job controller: need 0 < BackoffBase <= BackoffMax and a Clock")
	}
	return nil
}

// Controller runs Jobs' pods.
type Controller struct {
	cfg    Config
	client kubernetes.Interface
	jobs   batchlisters.JobLister
	pods   corelisters.PodLister
	synced []cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[cache.ObjectName]
	// orphans holds pods with the tracking finalizer and no controller:
	// nothing would ever remove it (and the pod, or its namespace,
	// could not go away), so syncOrphan does.
	orphans workqueue.TypedRateLimitingInterface[cache.ObjectName]
	// expect holds pod creations/deletions not yet seen, per Job key.
	expect *expectations.Expectations[string]

	mu sync.Mutex
	// backoff is the consecutive-failure record per Job uid.
	backoff map[types.UID]backoffRecord
	// written is the resourceVersion of the last status written per Job
	// (consistency.go).
	written map[cache.ObjectName]uint64
}

type backoffRecord struct {
	failures int
	last     time.Time
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller with DefaultConfig on cc's clock.
func New(ctx context.Context, cc controller.Context) (controller.Runner, error) {
	cfg := DefaultConfig()
	cfg.Clock = cc.ClockOrReal()
	return NewWithConfig(ctx, cc, cfg)
}

// NewWithConfig builds the controller on the shared informers.
func NewWithConfig(_ context.Context, cc controller.Context, cfg Config) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	jobInformer := cc.Informers.Batch().V1().Jobs()
	podInformer := cc.Informers.Core().V1().Pods()
	c := &Controller{
		cfg:     cfg,
		client:  cc.Client,
		jobs:    jobInformer.Lister(),
		pods:    podInformer.Lister(),
		synced:  []cache.InformerSynced{jobInformer.Informer().HasSynced, podInformer.Informer().HasSynced},
		queue:   controller.NewClockedQueue[cache.ObjectName]("job", cfg.Clock),
		orphans: controller.NewClockedQueue[cache.ObjectName]("job-orphan-pods", cfg.Clock),
		expect:  expectations.New[string](cfg.Clock.Now),
		backoff: map[types.UID]backoffRecord{},
		written: map[cache.ObjectName]uint64{},
	}
	_, err := jobInformer.Informer().AddEventHandler(controller.NameHandler(c.queue))
	if err != nil {
		return nil, err
	}
	// Pods of a Job: as any owner's (expectations included); orphans
	// also wake the Jobs that could adopt them.
	owned := controller.OwnedPodHandler(c.queue, controllerKind, c.expect)
	_, err = podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if _, ok := ownerKey(obj); ok {
				owned.AddFunc(obj)
				return
			}
			c.enqueueMatching(obj.(*corev1.Pod))
			c.enqueueOrphan(obj.(*corev1.Pod))
		},
		UpdateFunc: func(old, obj any) {
			oldPod, pod := old.(*corev1.Pod), obj.(*corev1.Pod)
			oldKey, hadOwner := ownerKey(oldPod)
			key, ok := ownerKey(obj)
			if hadOwner && (!ok || oldKey != key) {
				c.queue.Add(oldKey) // it lost a pod
			}
			if !ok {
				if metav1.GetControllerOfNoCopy(pod) == nil && (hadOwner || !labels.Equals(oldPod.Labels, pod.Labels)) {
					c.enqueueMatching(pod) // an orphan someone may adopt
				}
				c.enqueueOrphan(pod)
				return
			}
			owned.UpdateFunc(old, obj)
		},
		DeleteFunc: owned.DeleteFunc,
	})
	return c, err
}

// enqueueOrphan queues a pod that has the tracking finalizer but no
// controller, as upstream: the finalizer comes off at once (a Job that
// adopts the pod later adds it back).
func (c *Controller) enqueueOrphan(pod *corev1.Pod) {
	if metav1.GetControllerOfNoCopy(pod) == nil && hasFinalizer(pod) {
		c.orphans.Add(cacheKey(pod))
	}
}

// syncOrphan removes the tracking finalizer from a pod still without a
// controller.
func (c *Controller) syncOrphan(ctx context.Context, key cache.ObjectName) error {
	pod, err := c.pods.Pods(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if metav1.GetControllerOfNoCopy(pod) != nil || !hasFinalizer(pod) {
		return nil
	}
	// Pinned to the version seen: a Job adopting the pod meanwhile makes
	// this a conflict, retried against the newer pod.
	patch := fmt.Appendf(nil, `{"metadata":{"resourceVersion":%q,"$deleteFromPrimitiveList/finalizers":[%q]}}`,
		pod.ResourceVersion, batchv1.JobTrackingFinalizer)
	_, err = c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func cacheKey(p *corev1.Pod) cache.ObjectName { return cache.MetaObjectToName(p) }

// enqueueMatching wakes every Job whose selector matches an orphan pod,
// so that one of them adopts it.
func (c *Controller) enqueueMatching(pod *corev1.Pod) {
	if metav1.GetControllerOfNoCopy(pod) != nil || pod.DeletionTimestamp != nil {
		return
	}
	jobs, err := c.jobs.Jobs(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, j := range jobs {
		sel, err := metav1.LabelSelectorAsSelector(j.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		c.queue.Add(cache.MetaObjectToName(j))
	}
}

// controllerKind is what a Job's pods name as their controller.
var controllerKind = batchv1.SchemeGroupVersion.WithKind("Job")

// ownerKey is the Job controlling a pod, if any.
func ownerKey(obj any) (cache.ObjectName, bool) {
	return controller.OwnerKey(obj, controllerKind)
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	go controller.RunWorkers(ctx, "job-orphan-pods", c.orphans, c.synced, 1, c.syncOrphan)
	controller.RunWorkers(ctx, "job", c.queue, c.synced, workers, c.sync)
}
