package daemonset

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/expectations"
)

// Controller runs DaemonSets' pods.
type Controller struct {
	client    kubernetes.Interface
	sets      appslisters.DaemonSetLister
	pods      corelisters.PodLister
	nodes     corelisters.NodeLister
	revisions appslisters.ControllerRevisionLister
	clock     clock.Clock
	synced    []cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[cache.ObjectName]
	expect    *expectations.Expectations[string]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared informers.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	setInformer := cc.Informers.Apps().V1().DaemonSets()
	podInformer := cc.Informers.Core().V1().Pods()
	nodeInformer := cc.Informers.Core().V1().Nodes()
	revInformer := cc.Informers.Apps().V1().ControllerRevisions()
	clk := cc.ClockOrReal()
	c := &Controller{
		client:    cc.Client,
		sets:      setInformer.Lister(),
		pods:      podInformer.Lister(),
		nodes:     nodeInformer.Lister(),
		revisions: revInformer.Lister(),
		clock:     clk,
		synced: []cache.InformerSynced{setInformer.Informer().HasSynced, podInformer.Informer().HasSynced,
			nodeInformer.Informer().HasSynced, revInformer.Informer().HasSynced},
		queue:  controller.NewClockedQueue[cache.ObjectName]("daemonset", cc.Clock),
		expect: expectations.New[string](clk.Now),
	}
	_, err := setInformer.Informer().AddEventHandler(controller.NameHandler(c.queue))
	if err != nil {
		return nil, err
	}
	_, err = podInformer.Informer().AddEventHandler(controller.OwnedPodHandler(c.queue, kind, c.expect))
	if err != nil {
		return nil, err
	}
	// Any node change may change where daemons should run.
	_, err = nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { c.enqueueAll() },
		UpdateFunc: func(old, obj any) {
			o, n := old.(*corev1.Node), obj.(*corev1.Node)
			if !equalStrings(o.Labels, n.Labels) || !equalTaints(o.Spec.Taints, n.Spec.Taints) || o.Spec.Unschedulable != n.Spec.Unschedulable {
				c.enqueueAll()
			}
		},
		DeleteFunc: func(any) { c.enqueueAll() },
	})
	return c, err
}

func equalStrings(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func equalTaints(a, b []corev1.Taint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Value != b[i].Value || a[i].Effect != b[i].Effect {
			return false
		}
	}
	return true
}

func (c *Controller) enqueueAll() {
	sets, err := c.sets.List(labels.Everything())
	if err != nil {
		return
	}
	for _, s := range sets {
		c.queue.Add(cache.MetaObjectToName(s))
	}
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "daemonset", c.queue, c.synced, workers, c.sync)
}
