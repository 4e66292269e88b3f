package endpoint

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
)

// Labels and annotations the controller sets, as upstream.
const (
	LabelManagedBy   = "endpoints.kubernetes.io/managed-by"
	ControllerName   = "endpoint-controller"
	MaxCapacity      = 1000
	annotationTrunc  = corev1.EndpointsOverCapacity
	valueTruncated   = "truncated"
	labelHeadless    = corev1.IsHeadlessService
	endpointsKindRef = "Pod"
)

// Controller keeps Endpoints in step with Services and their pods.
type Controller struct {
	client    kubernetes.Interface
	services  corelisters.ServiceLister
	pods      corelisters.PodLister
	endpoints corelisters.EndpointsLister
	synced    []cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[cache.ObjectName]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared informers.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	svcInf := cc.Informers.Core().V1().Services()
	podInf := cc.Informers.Core().V1().Pods()
	epInf := cc.Informers.Core().V1().Endpoints()
	c := &Controller{
		client:    cc.Client,
		services:  svcInf.Lister(),
		pods:      podInf.Lister(),
		endpoints: epInf.Lister(),
		synced:    []cache.InformerSynced{svcInf.Informer().HasSynced, podInf.Informer().HasSynced, epInf.Informer().HasSynced},
		queue:     controller.NewQueue[cache.ObjectName]("endpoint"),
	}
	enqueueObj := controller.EnqueueName(c.queue)
	if _, err := svcInf.Informer().AddEventHandler(controller.NameHandler(c.queue)); err != nil {
		return nil, err
	}
	// A deleted or edited Endpoints is put back.
	if _, err := epInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) { enqueueObj(obj) }, DeleteFunc: enqueueObj,
	}); err != nil {
		return nil, err
	}
	_, err := podInf.Informer().AddEventHandler(controller.PodSelectorHandler(c.queue,
		func(ns string, labels, oldLabels map[string]string) []cache.ObjectName {
			return ServicesForPod(c.services, ns, labels, oldLabels)
		}))
	return c, err
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "endpoint", c.queue, c.synced, workers, c.sync)
}

// sync writes the Endpoints of service key.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	svc, err := c.services.Services(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		// The service is gone: so are its endpoints (only ours).
		ep, err := c.endpoints.Endpoints(key.Namespace).Get(key.Name)
		if err != nil || ep.Labels[LabelManagedBy] != ControllerName {
			return nil
		}
		err = c.client.CoreV1().Endpoints(key.Namespace).Delete(ctx, key.Name, metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	if svc.Spec.Selector == nil {
		return nil
	}
	want, truncated := c.subsets(svc)
	labels := map[string]string{}
	for k, v := range svc.Labels {
		labels[k] = v
	}
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		labels[labelHeadless] = ""
	} else {
		delete(labels, labelHeadless)
	}
	labels[LabelManagedBy] = ControllerName

	current, err := c.endpoints.Endpoints(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Labels: labels}, Subsets: want}
		if truncated {
			ep.Annotations = map[string]string{annotationTrunc: valueTruncated}
		}
		_, err := c.client.CoreV1().Endpoints(key.Namespace).Create(ctx, ep, metav1.CreateOptions{})
		if apierrors.IsForbidden(err) {
			return nil // the namespace is terminating
		}
		// AlreadyExists: the cache trails our own create. Requeue, or the
		// subsets computed now are lost (no event brings the key back).
		if err != nil {
			return fmt.Errorf("creating endpoints %s: %w", key, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	_, wasTruncated := current.Annotations[annotationTrunc]
	if equality.Semantic.DeepEqual(current.Subsets, want) && equality.Semantic.DeepEqual(current.Labels, labels) && wasTruncated == truncated {
		return nil
	}
	ep := current.DeepCopy()
	ep.Subsets, ep.Labels = want, labels
	if truncated {
		if ep.Annotations == nil {
			ep.Annotations = map[string]string{}
		}
		ep.Annotations[annotationTrunc] = valueTruncated
	} else {
		delete(ep.Annotations, annotationTrunc)
	}
	_, err = c.client.CoreV1().Endpoints(key.Namespace).Update(ctx, ep, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
