package statefulset

import (
	"context"

	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/controller"
)

// Controller runs StatefulSets' pods.
type Controller struct {
	client    kubernetes.Interface
	sets      appslisters.StatefulSetLister
	pods      corelisters.PodLister
	pvcs      corelisters.PersistentVolumeClaimLister
	revisions appslisters.ControllerRevisionLister
	clock     clock.Clock
	synced    []cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[cache.ObjectName]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared informers.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	setInformer := cc.Informers.Apps().V1().StatefulSets()
	podInformer := cc.Informers.Core().V1().Pods()
	pvcInformer := cc.Informers.Core().V1().PersistentVolumeClaims()
	revInformer := cc.Informers.Apps().V1().ControllerRevisions()
	c := &Controller{
		client:    cc.Client,
		sets:      setInformer.Lister(),
		pods:      podInformer.Lister(),
		pvcs:      pvcInformer.Lister(),
		revisions: revInformer.Lister(),
		clock:     cc.ClockOrReal(),
		synced: []cache.InformerSynced{setInformer.Informer().HasSynced, podInformer.Informer().HasSynced,
			pvcInformer.Informer().HasSynced, revInformer.Informer().HasSynced},
		queue: controller.NewClockedQueue[cache.ObjectName]("statefulset", cc.Clock),
	}
	_, err := setInformer.Informer().AddEventHandler(controller.NameHandler(c.queue))
	if err != nil {
		return nil, err
	}
	_, err = podInformer.Informer().AddEventHandler(controller.OwnerHandler(c.queue, kind))
	return c, err
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "statefulset", c.queue, c.synced, workers, c.sync)
}
