package endpointslice

import (
	"context"
	"fmt"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/endpoint"
)

// ControllerName is the managed-by label value, as upstream.
const (
	ControllerName       = "endpointslice-controller.k8s.io"
	MaxEndpointsPerSlice = 100
)

// Controller keeps EndpointSlices in step with Services and their pods.
type Controller struct {
	client   kubernetes.Interface
	services corelisters.ServiceLister
	pods     corelisters.PodLister
	nodes    corelisters.NodeLister
	slices   discoverylisters.EndpointSliceLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[cache.ObjectName]
	// tracker holds the writes the slice informer has yet to show.
	tracker *tracker
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared informers.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	svcInf := cc.Informers.Core().V1().Services()
	podInf := cc.Informers.Core().V1().Pods()
	nodeInf := cc.Informers.Core().V1().Nodes()
	sliceInf := cc.Informers.Discovery().V1().EndpointSlices()
	c := &Controller{
		client:   cc.Client,
		services: svcInf.Lister(),
		pods:     podInf.Lister(),
		nodes:    nodeInf.Lister(),
		slices:   sliceInf.Lister(),
		synced: []cache.InformerSynced{svcInf.Informer().HasSynced, podInf.Informer().HasSynced,
			nodeInf.Informer().HasSynced, sliceInf.Informer().HasSynced},
		queue:   controller.NewQueue[cache.ObjectName]("endpointslice"),
		tracker: newTracker(),
	}
	if _, err := svcInf.Informer().AddEventHandler(controller.NameHandler(c.queue)); err != nil {
		return nil, err
	}
	// A changed or deleted slice of ours: look at its service again.
	enqueueSlice := func(obj any) {
		s, ok := controller.Unwrap[*discoveryv1.EndpointSlice](obj)
		if !ok || s.Labels[discoveryv1.LabelManagedBy] != ControllerName || s.Labels[discoveryv1.LabelServiceName] == "" {
			return
		}
		c.queue.Add(cache.ObjectName{Namespace: s.Namespace, Name: s.Labels[discoveryv1.LabelServiceName]})
	}
	if _, err := sliceInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueSlice, UpdateFunc: func(_, obj any) { enqueueSlice(obj) },
		DeleteFunc: func(obj any) {
			// Whoever deleted it, the cache no longer has it: nothing
			// more to wait for.
			if s, ok := controller.Unwrap[*discoveryv1.EndpointSlice](obj); ok {
				c.tracker.forget(cache.ObjectName{Namespace: s.Namespace, Name: s.Labels[discoveryv1.LabelServiceName]}, s.UID)
			}
			enqueueSlice(obj)
		},
	}); err != nil {
		return nil, err
	}
	_, err := podInf.Informer().AddEventHandler(controller.PodSelectorHandler(c.queue,
		func(ns string, labels, oldLabels map[string]string) []cache.ObjectName {
			return endpoint.ServicesForPod(c.services, ns, labels, oldLabels)
		}))
	return c, err
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "endpointslice", c.queue, c.synced, workers, c.sync)
}

// sync brings the slices of service key to what its pods say.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	svc, err := c.services.Services(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return nil // the garbage collector removes its slices
	}
	if err != nil {
		return err
	}
	if svc.Spec.Selector == nil || svc.DeletionTimestamp != nil {
		return nil
	}
	existing, err := c.existingSlices(svc)
	if err != nil {
		return err
	}
	if c.tracker.stale(key, existing) {
		return fmt.Errorf("endpointslice cache behind this controller's writes for %s: %w", key, controller.ErrWaiting)
	}
	return c.reconcile(ctx, svc, c.desired(svc), existing)
}
