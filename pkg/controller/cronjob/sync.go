package cronjob

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/pkg/api/validation"
)

var kind = batchv1.SchemeGroupVersion.WithKind("CronJob")

// sync reconciles one CronJob.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	cached, err := c.cronJobs.CronJobs(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	cj := cached.DeepCopy()
	all, err := c.jobs.Jobs(cj.Namespace).List(labels.Everything())
	if err != nil {
		return err
	}
	var jobs []*batchv1.Job
	for _, j := range all {
		if ref := metav1.GetControllerOf(j); ref != nil && ref.UID == cj.UID {
			jobs = append(jobs, j)
		}
	}
	c.refreshActive(cj, jobs)
	pruneErr := c.prune(ctx, cj, jobs)
	var runErr error
	if cj.DeletionTimestamp == nil && (cj.Spec.Suspend == nil || !*cj.Spec.Suspend) {
		runErr = c.runDue(ctx, cj, jobs)
	}
	var statusErr error
	if !apiequality.Semantic.DeepEqual(cached.Status, cj.Status) {
		if _, err := c.client.BatchV1().CronJobs(cj.Namespace).UpdateStatus(ctx, cj, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			statusErr = fmt.Errorf("updating status of cronjob %s/%s: %w", cj.Namespace, cj.Name, err)
		}
	}
	return errors.Join(runErr, pruneErr, statusErr)
}

// refreshActive rebuilds status.active from the Jobs, and advances
// lastSuccessfulTime.
func (c *Controller) refreshActive(cj *batchv1.CronJob, jobs []*batchv1.Job) {
	var active []corev1.ObjectReference
	for _, j := range jobs {
		done, ok := finished(j)
		if !done {
			active = append(active, ref(j))
			continue
		}
		if ok && j.Status.CompletionTime != nil &&
			(cj.Status.LastSuccessfulTime == nil || cj.Status.LastSuccessfulTime.Before(j.Status.CompletionTime)) {
			cj.Status.LastSuccessfulTime = j.Status.CompletionTime.DeepCopy()
		}
	}
	slices.SortFunc(active, func(a, b corev1.ObjectReference) int { return compareStr(a.Name, b.Name) })
	cj.Status.Active = active
}

func compareStr(a, b string) int {
	if len(a) != len(b) { // names share the prefix; longer minute counts are later
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ref(j *batchv1.Job) corev1.ObjectReference {
	return corev1.ObjectReference{Kind: "Job", APIVersion: "batch/v1", Namespace: j.Namespace, Name: j.Name,
		UID: j.UID, ResourceVersion: j.ResourceVersion}
}

// finished reports whether a Job is done, and whether it succeeded.
func finished(j *batchv1.Job) (done, succeeded bool) {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return true, true
		case batchv1.JobFailed:
			return true, false
		}
	}
	return false, false
}

// prune deletes the oldest finished Jobs beyond the history limits.
func (c *Controller) prune(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job) error {
	var ok, failed []*batchv1.Job
	for _, j := range jobs {
		if j.DeletionTimestamp != nil {
			continue
		}
		if done, succeeded := finished(j); done && succeeded {
			ok = append(ok, j)
		} else if done {
			failed = append(failed, j)
		}
	}
	var errs []error
	for _, g := range []struct {
		jobs  []*batchv1.Job
		limit *int32
	}{{ok, cj.Spec.SuccessfulJobsHistoryLimit}, {failed, cj.Spec.FailedJobsHistoryLimit}} {
		if g.limit == nil || len(g.jobs) <= int(*g.limit) {
			continue
		}
		slices.SortFunc(g.jobs, func(a, b *batchv1.Job) int { return compareStr(a.Name, b.Name) })
		for _, j := range g.jobs[:len(g.jobs)-int(*g.limit)] {
			errs = append(errs, c.deleteJob(ctx, j))
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) deleteJob(ctx context.Context, j *batchv1.Job) error {
	err := c.client.BatchV1().Jobs(j.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{
		PropagationPolicy: new(metav1.DeletePropagationBackground)})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting job %s/%s: %w", j.Namespace, j.Name, err)
	}
	return nil
}

// tooManyMissed is where upstream stops counting missed start times.
const tooManyMissed = 100

// runDue starts the most recent missed run, if any and allowed, and
// requeues the CronJob for its next run.
func (c *Controller) runDue(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job) error {
	sched, err := validation.ParseCronSchedule(cj.Spec.Schedule)
	if err != nil {
		c.log.Info("cronjob: unparseable schedule", "cronjob", cj.Namespace+"/"+cj.Name, "err", err)
		return nil // permanent until the spec changes
	}
	loc := time.Local
	if cj.Spec.TimeZone != nil {
		if loc, err = time.LoadLocation(*cj.Spec.TimeZone); err != nil {
			c.log.Info("cronjob: unknown time zone", "cronjob", cj.Namespace+"/"+cj.Name, "err", err)
			return nil
		}
	}
	now := c.clock.Now().In(loc)
	key := cache.MetaObjectToName(cj)
	next := sched.Next(now)
	if !next.IsZero() {
		c.queue.AddAfter(key, next.Sub(c.clock.Now())+100*time.Millisecond)
	}

	earliest := cj.CreationTimestamp.Time
	if cj.Status.LastScheduleTime != nil {
		earliest = cj.Status.LastScheduleTime.Time
	}
	deadline := cj.Spec.StartingDeadlineSeconds
	if deadline != nil {
		if d := now.Add(-time.Duration(*deadline) * time.Second); d.After(earliest) {
			earliest = d
		}
	}
	var scheduled time.Time
	missed := 0
	for t := sched.Next(earliest.In(loc)); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		scheduled = t
		missed++
	}
	if missed > tooManyMissed { // as upstream: say so, then start only the latest
		c.log.Info("cronjob: too many missed start times; check clock skew or set startingDeadlineSeconds",
			"cronjob", cj.Namespace+"/"+cj.Name, "missed", missed)
	}
	if scheduled.IsZero() {
		return nil
	}
	if deadline != nil && scheduled.Add(time.Duration(*deadline)*time.Second).Before(now) {
		return nil // too late for this run
	}
	name := fmt.Sprintf("%s-%d", cj.Name, scheduled.Unix()/60)
	for _, j := range jobs {
		if j.Name == name { // already started (our status write was lost)
			cj.Status.LastScheduleTime = &metav1.Time{Time: scheduled}
			return nil
		}
	}
	switch cj.Spec.ConcurrencyPolicy {
	case batchv1.ForbidConcurrent:
		if len(cj.Status.Active) > 0 {
			return nil // retried when the active Job finishes (its update requeues us)
		}
	case batchv1.ReplaceConcurrent:
		for _, a := range cj.Status.Active {
			for _, j := range jobs {
				if j.UID == a.UID {
					if err := c.deleteJob(ctx, j); err != nil {
						return err
					}
				}
			}
		}
		cj.Status.Active = nil
	}
	job := newJob(cj, name, scheduled)
	created, err := c.client.BatchV1().Jobs(cj.Namespace).Create(ctx, job, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		cj.Status.LastScheduleTime = &metav1.Time{Time: scheduled}
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating job %s/%s: %w", cj.Namespace, name, err)
	}
	cj.Status.Active = append(cj.Status.Active, ref(created))
	cj.Status.LastScheduleTime = &metav1.Time{Time: scheduled}
	return nil
}

func newJob(cj *batchv1.CronJob, name string, scheduled time.Time) *batchv1.Job {
	t := cj.Spec.JobTemplate.DeepCopy()
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: cj.Namespace,
			Labels: maps.Clone(t.Labels), Annotations: maps.Clone(t.Annotations),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, kind)},
		},
		Spec: t.Spec,
	}
	if j.Annotations == nil {
		j.Annotations = map[string]string{}
	}
	j.Annotations[batchv1.CronJobScheduledTimestampAnnotation] = scheduled.Format(time.RFC3339)
	return j
}
