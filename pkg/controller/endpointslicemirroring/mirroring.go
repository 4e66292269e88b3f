package endpointslicemirroring

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
)

// ControllerName is the managed-by label value of mirrored slices, and
// MaxEndpointsPerSubset the addresses mirrored per Endpoints subset (also
// the most a mirrored slice holds), as upstream's defaults.
const (
	ControllerName        = "endpointslicemirroring-controller.k8s.io"
	MaxEndpointsPerSubset = 1000
)

// Controller mirrors custom Endpoints into EndpointSlices. Its queue
// keys are Endpoints (= Service) names.
type Controller struct {
	client    kubernetes.Interface
	services  corelisters.ServiceLister
	endpoints corelisters.EndpointsLister
	slices    discoverylisters.EndpointSliceLister
	synced    []cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[cache.ObjectName]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared informers.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	svcInf := cc.Informers.Core().V1().Services()
	epInf := cc.Informers.Core().V1().Endpoints()
	sliceInf := cc.Informers.Discovery().V1().EndpointSlices()
	c := &Controller{
		client:    cc.Client,
		services:  svcInf.Lister(),
		endpoints: epInf.Lister(),
		slices:    sliceInf.Lister(),
		synced:    []cache.InformerSynced{svcInf.Informer().HasSynced, epInf.Informer().HasSynced, sliceInf.Informer().HasSynced},
		queue:     controller.NewQueue[cache.ObjectName]("endpointslicemirroring"),
	}
	// A Service gaining or losing its selector, and every Endpoints
	// change, concern the Endpoints of the same name.
	if _, err := svcInf.Informer().AddEventHandler(controller.NameHandler(c.queue)); err != nil {
		return nil, err
	}
	if _, err := epInf.Informer().AddEventHandler(controller.NameHandler(c.queue)); err != nil {
		return nil, err
	}
	// A mirrored slice changed or deleted by someone else is put back.
	enqueueSlice := func(obj any) {
		s, ok := controller.Unwrap[*discoveryv1.EndpointSlice](obj)
		if !ok || s.Labels[discoveryv1.LabelManagedBy] != ControllerName || s.Labels[discoveryv1.LabelServiceName] == "" {
			return
		}
		c.queue.Add(cache.ObjectName{Namespace: s.Namespace, Name: s.Labels[discoveryv1.LabelServiceName]})
	}
	_, err := sliceInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueSlice, UpdateFunc: func(_, obj any) { enqueueSlice(obj) }, DeleteFunc: enqueueSlice,
	})
	return c, err
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "endpointslicemirroring", c.queue, c.synced, workers, c.sync)
}

// sync mirrors the Endpoints key, or deletes its mirrored slices when it
// should not be mirrored (any more).
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	existing, err := c.mirroredSlices(key)
	if err != nil {
		return err
	}
	svc, err := c.services.Services(key.Namespace).Get(key.Name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	ep, err := c.endpoints.Endpoints(key.Namespace).Get(key.Name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if svc == nil || svc.Spec.Selector != nil || !shouldMirror(ep) {
		return c.deleteAll(ctx, existing)
	}
	return c.reconcile(ctx, ep, desired(ep), existing)
}

// shouldMirror: the Endpoints exists, is not marked skip-mirror and is
// not a leader-election lock.
func shouldMirror(ep *corev1.Endpoints) bool {
	if ep == nil || ep.Labels[discoveryv1.LabelSkipMirror] == "true" {
		return false
	}
	_, lock := ep.Annotations[resourcelock.LeaderElectionRecordAnnotationKey]
	return !lock
}

// mirroredSlices are this controller's slices for the Endpoints key.
func (c *Controller) mirroredSlices(key cache.ObjectName) ([]*discoveryv1.EndpointSlice, error) {
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: key.Name, discoveryv1.LabelManagedBy: ControllerName})
	return c.slices.EndpointSlices(key.Namespace).List(sel)
}

func (c *Controller) deleteAll(ctx context.Context, slices []*discoveryv1.EndpointSlice) error {
	var errs []error
	for _, s := range slices {
		errs = append(errs, c.delete(ctx, s))
	}
	return errors.Join(errs...)
}
