package cronjob

import (
	"context"
	"log/slog"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/controller"
)

// Controller runs CronJobs.
type Controller struct {
	client   kubernetes.Interface
	cronJobs batchlisters.CronJobLister
	jobs     batchlisters.JobLister
	clock    clock.WithTicker
	log      *slog.Logger
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[cache.ObjectName]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared informers and cc's clock.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	if cc.Logger == nil {
		cc.Logger = slog.Default()
	}
	cjInformer := cc.Informers.Batch().V1().CronJobs()
	jobInformer := cc.Informers.Batch().V1().Jobs()
	clk := cc.ClockOrReal()
	c := &Controller{
		client:   cc.Client,
		cronJobs: cjInformer.Lister(),
		jobs:     jobInformer.Lister(),
		clock:    clk,
		log:      cc.Logger,
		synced:   []cache.InformerSynced{cjInformer.Informer().HasSynced, jobInformer.Informer().HasSynced},
		queue:    controller.NewClockedQueue[cache.ObjectName]("cronjob", clk),
	}
	_, err := cjInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueue(obj) },
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
	})
	if err != nil {
		return nil, err
	}
	_, err = jobInformer.Informer().AddEventHandler(controller.OwnerHandler(c.queue, kind))
	return c, err
}

func (c *Controller) enqueue(obj any) {
	if cj, ok := obj.(*batchv1.CronJob); ok {
		c.queue.Add(cache.MetaObjectToName(cj))
	}
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "cronjob", c.queue, c.synced, workers, c.sync)
}
