package rootcacert

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

// Name of the ConfigMap and the key holding the CA bundle.
const (
	Name = "kube-root-ca.crt"
	Key  = "ca.crt"
)

// Controller publishes the root CA in every namespace.
type Controller struct {
	client     kubernetes.Interface
	ca         string
	namespaces corelisters.NamespaceLister
	configMaps corelisters.ConfigMapLister
	synced     []cache.InformerSynced
	// queue holds namespace names.
	queue workqueue.TypedRateLimitingInterface[string]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the publisher; without a RootCA it is disabled (nil).
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	if len(cc.RootCA) == 0 {
		return nil, nil
	}
	nsInformer := cc.Informers.Core().V1().Namespaces()
	cmInformer := cc.Informers.Core().V1().ConfigMaps()
	c := &Controller{
		client:     cc.Client,
		ca:         string(cc.RootCA),
		namespaces: nsInformer.Lister(),
		configMaps: cmInformer.Lister(),
		synced:     []cache.InformerSynced{nsInformer.Informer().HasSynced, cmInformer.Informer().HasSynced},
		queue:      controller.NewQueue[string]("root-ca-cert-publisher"),
	}
	_, err := nsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueueNamespace(obj) },
		UpdateFunc: func(_, obj any) { c.enqueueNamespace(obj) },
	})
	if err != nil {
		return nil, err
	}
	onConfigMap := func(obj any) {
		if cm, ok := controller.Unwrap[*corev1.ConfigMap](obj); ok && cm.Name == Name {
			c.queue.Add(cm.Namespace)
		}
	}
	_, err = cmInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) { onConfigMap(obj) },
		DeleteFunc: onConfigMap,
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
	controller.RunWorkers(ctx, "root-ca-cert-publisher", c.queue, c.synced, workers, c.sync)
}

// sync creates or restores the ConfigMap in namespace ns.
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
	cm, err := c.configMaps.ConfigMaps(ns).Get(Name)
	if apierrors.IsNotFound(err) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: Name}, Data: map[string]string{Key: c.ca}}
		_, err := c.client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) || apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
			return nil // exists (the cache trails), or namespace terminating/gone
		}
		if err != nil {
			return fmt.Errorf("creating %s in %s: %w", Name, ns, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if len(cm.Data) == 1 && cm.Data[Key] == c.ca && len(cm.BinaryData) == 0 {
		return nil
	}
	cm = cm.DeepCopy()
	cm.Data, cm.BinaryData = map[string]string{Key: c.ca}, nil
	_, err = c.client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
