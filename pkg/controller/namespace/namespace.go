package namespace

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
)

// Controller empties terminating namespaces and finalizes them.
type Controller struct {
	client     kubernetes.Interface
	metadata   metadata.Interface
	discovery  discovery.DiscoveryInterface
	namespaces corelisters.NamespaceLister
	synced     cache.InformerSynced
	// queue holds namespace names. Its rate limiter is the backoff while
	// content is still going away.
	queue workqueue.TypedRateLimitingInterface[string]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared namespace informer.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	disc, err := discovery.NewDiscoveryClientForConfig(cc.RESTConfig)
	if err != nil {
		return nil, err
	}
	inf := cc.Informers.Core().V1().Namespaces()
	c := &Controller{
		client:     cc.Client,
		metadata:   cc.Metadata,
		discovery:  disc,
		namespaces: inf.Lister(),
		synced:     inf.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			// Content usually goes within a second; pods on nodes take
			// their grace period (30s by default). Back off from 100ms to
			// at most 5s, so a namespace goes soon after its last pod.
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](100*time.Millisecond, 5*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "namespace"}),
	}
	_, err = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
	})
	return c, err
}

func (c *Controller) enqueue(obj any) {
	if ns, ok := obj.(*corev1.Namespace); ok && ns.DeletionTimestamp != nil {
		c.queue.Add(ns.Name)
	}
}

// Run waits for the cache, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "namespace", c.queue, []cache.InformerSynced{c.synced}, workers, c.sync)
}

// sync empties namespace name if it is being deleted, then finalizes it.
func (c *Controller) sync(ctx context.Context, name string) error {
	cached, err := c.namespaces.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if cached.DeletionTimestamp == nil || !hasKubernetesFinalizer(cached) {
		return nil
	}
	// The cache may trail a recreate under the same name; act on what
	// the server holds now.
	ns, err := c.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ns.DeletionTimestamp == nil || !hasKubernetesFinalizer(ns) {
		return nil
	}
	result := c.deleteContent(ctx, name)
	ns, err = c.updateConditions(ctx, ns, result)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err // a conflict too: look again
	}
	if err := result.err(); err != nil {
		return err
	}
	return c.finalize(ctx, ns)
}

// finalize removes the "kubernetes" finalizer; with no finalizers left
// the API server deletes the namespace.
func (c *Controller) finalize(ctx context.Context, ns *corev1.Namespace) error {
	ns = ns.DeepCopy()
	var keep []corev1.FinalizerName
	for _, f := range ns.Spec.Finalizers {
		if f != corev1.FinalizerKubernetes {
			keep = append(keep, f)
		}
	}
	ns.Spec.Finalizers = keep
	_, err := c.client.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("finalizing namespace %s: %w", ns.Name, err)
	}
	return nil
}

func hasKubernetesFinalizer(ns *corev1.Namespace) bool {
	for _, f := range ns.Spec.Finalizers {
		if f == corev1.FinalizerKubernetes {
			return true
		}
	}
	return false
}
