package ttlafterfinished

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
)

// Controller deletes finished Jobs whose TTL has passed.
type Controller struct {
	client kubernetes.Interface
	jobs   batchlisters.JobLister
	synced cache.InformerSynced
	now    func() time.Time
	queue  workqueue.TypedRateLimitingInterface[cache.ObjectName]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared Job informer.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	inf := cc.Informers.Batch().V1().Jobs()
	c := &Controller{
		client: cc.Client, jobs: inf.Lister(), synced: inf.Informer().HasSynced, now: cc.ClockOrReal().Now,
		queue: controller.NewClockedQueue[cache.ObjectName]("ttl_jobs_to_delete", cc.Clock),
	}
	_, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
	})
	return c, err
}

func (c *Controller) enqueue(obj any) {
	if j, ok := obj.(*batchv1.Job); ok && j.DeletionTimestamp == nil && j.Spec.TTLSecondsAfterFinished != nil {
		if _, done := finishedAt(j); done {
			c.queue.Add(cache.MetaObjectToName(j))
		}
	}
}

// Run waits for the cache, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "ttl_jobs_to_delete", c.queue, []cache.InformerSynced{c.synced}, workers, c.sync)
}

// sync deletes the job if its TTL has passed, or requeues it for when it
// will have.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	job, err := c.jobs.Jobs(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if wait, expired := c.remaining(job); !expired {
		if wait > 0 {
			c.queue.AddAfter(key, wait)
		}
		return nil
	}
	// The TTL may have been changed since the cache saw it: check the
	// stored job before deleting, and delete exactly that version.
	job, err = c.client.BatchV1().Jobs(key.Namespace).Get(ctx, key.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if wait, expired := c.remaining(job); !expired {
		if wait > 0 {
			c.queue.AddAfter(key, wait)
		}
		return nil
	}
	policy := metav1.DeletePropagationBackground
	uid, rv := job.UID, job.ResourceVersion
	err = c.client.BatchV1().Jobs(key.Namespace).Delete(ctx, key.Name, metav1.DeleteOptions{
		PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting job %s: %w", key, err)
	}
	return nil
}

// remaining returns how long until job expires; expired is true when it
// is due now. A job without TTL, unfinished or being deleted never
// expires (wait 0).
func (c *Controller) remaining(job *batchv1.Job) (wait time.Duration, expired bool) {
	if job.DeletionTimestamp != nil || job.Spec.TTLSecondsAfterFinished == nil {
		return 0, false
	}
	finished, ok := finishedAt(job)
	if !ok {
		return 0, false
	}
	left := finished.Add(time.Duration(*job.Spec.TTLSecondsAfterFinished) * time.Second).Sub(c.now())
	if left <= 0 {
		return 0, true
	}
	return left, false
}

// finishedAt is when the job's Complete or Failed condition turned true.
func finishedAt(job *batchv1.Job) (time.Time, bool) {
	for _, cond := range job.Status.Conditions {
		if (cond.Type == batchv1.JobComplete || cond.Type == batchv1.JobFailed) && cond.Status == corev1.ConditionTrue {
			return cond.LastTransitionTime.Time, true
		}
	}
	return time.Time{}, false
}
