package serviceaccount

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
)

// Name of the ServiceAccount every namespace gets.
const Name = "default"

// Controller keeps a default ServiceAccount in every namespace.
type Controller struct {
	client     kubernetes.Interface
	namespaces corelisters.NamespaceLister
	accounts   corelisters.ServiceAccountLister
	synced     []cache.InformerSynced
	// queue holds namespace names.
	queue workqueue.TypedRateLimitingInterface[string]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared informers.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	nsInformer := cc.Informers.Core().V1().Namespaces()
	saInformer := cc.Informers.Core().V1().ServiceAccounts()
	c := &Controller{
		client:     cc.Client,
		namespaces: nsInformer.Lister(),
		accounts:   saInformer.Lister(),
		synced:     []cache.InformerSynced{nsInformer.Informer().HasSynced, saInformer.Informer().HasSynced},
		queue:      controller.NewQueue[string]("serviceaccount"),
	}
	_, err := nsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueueNamespace(obj) },
		UpdateFunc: func(_, obj any) { c.enqueueNamespace(obj) },
	})
	if err != nil {
		return nil, err
	}
	_, err = saInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		// Only a deleted default account needs action: recreate it.
		DeleteFunc: func(obj any) {
			if sa, ok := controller.Unwrap[*corev1.ServiceAccount](obj); ok && sa.Name == Name {
				c.queue.Add(sa.Namespace)
			}
		},
	})
	return c, err
}

func (c *Controller) enqueueNamespace(obj any) {
	if ns, ok := obj.(*corev1.Namespace); ok {
		c.queue.Add(ns.Name)
	}
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "serviceaccount", c.queue, c.synced, workers, c.sync)
}

// sync creates the default ServiceAccount in namespace ns if it is
// missing and the namespace is active.
func (c *Controller) sync(ctx context.Context, ns string) error {
	namespace, err := c.namespaces.Get(ns)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if namespace.Status.Phase != corev1.NamespaceActive || namespace.DeletionTimestamp != nil {
		return nil
	}
	if _, err := c.accounts.ServiceAccounts(ns).Get(Name); err == nil {
		return nil
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: Name}}
	_, err = c.client.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) || apierrors.IsForbidden(err) { // exists, or namespace terminating
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating default service account in %s: %w", ns, err)
	}
	return nil
}
