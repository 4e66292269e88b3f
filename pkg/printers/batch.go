package printers

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Printers for the batch group.

func addBatchHandlers(g *Generator) {
	register(g, printerFor[*batchv1.Job]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Status", "string", "Status of the job."),
			col("Completions", "string", batchv1.JobStatus{}.SwaggerDoc()["succeeded"]),
			col("Duration", "string", "Time required to complete the job."),
			ageColumn(),
			containersColumn(),
			imagesColumn(),
			wide("Selector", "string", batchv1.JobSpec{}.SwaggerDoc()["selector"]),
		},
		cells: func(j *batchv1.Job, pc *printContext) ([]interface{}, error) {
			names, images := containerCells(j.Spec.Template.Spec.Containers)
			return []interface{}{j.Name, jobStatus(j), jobCompletions(j), jobDuration(j, pc),
				since(pc, j.CreationTimestamp), names, images, metav1.FormatLabelSelector(j.Spec.Selector)}, nil
		},
	})

	cronSpecDoc := batchv1.CronJobSpec{}.SwaggerDoc()
	cronStatusDoc := batchv1.CronJobStatus{}.SwaggerDoc()
	register(g, printerFor[*batchv1.CronJob]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Schedule", "string", cronSpecDoc["schedule"]),
			col("Timezone", "string", cronSpecDoc["timeZone"]),
			col("Suspend", "boolean", cronSpecDoc["suspend"]),
			col("Active", "integer", cronStatusDoc["active"]),
			col("Last Schedule", "string", cronStatusDoc["lastScheduleTime"]),
			ageColumn(),
			containersColumn(),
			imagesColumn(),
			wide("Selector", "string", batchv1.JobSpec{}.SwaggerDoc()["selector"]),
		},
		cells: func(cj *batchv1.CronJob, pc *printContext) ([]interface{}, error) {
			last := "<none>"
			if t := cj.Status.LastScheduleTime; t != nil {
				last = since(pc, *t)
			}
			tz := "<none>"
			if cj.Spec.TimeZone != nil {
				tz = *cj.Spec.TimeZone
			}
			tmpl := cj.Spec.JobTemplate.Spec
			names, images := containerCells(tmpl.Template.Spec.Containers)
			return []interface{}{cj.Name, cj.Spec.Schedule, tz, boolPtrString(cj.Spec.Suspend),
				int64(len(cj.Status.Active)), last, since(pc, cj.CreationTimestamp),
				names, images, metav1.FormatLabelSelector(tmpl.Selector)}, nil
		},
	})
}

// jobStatus names the job's state: terminal conditions first, then
// Terminating, then the transitional conditions, else Running.
func jobStatus(j *batchv1.Job) string {
	switch {
	case jobCondition(j, batchv1.JobComplete):
		return "Complete"
	case jobCondition(j, batchv1.JobFailed):
		return "Failed"
	case j.DeletionTimestamp != nil:
		return "Terminating"
	case jobCondition(j, batchv1.JobSuspended):
		return "Suspended"
	case jobCondition(j, batchv1.JobFailureTarget):
		return "FailureTarget"
	case jobCondition(j, batchv1.JobSuccessCriteriaMet):
		return "SuccessCriteriaMet"
	}
	return "Running"
}

// jobCondition reports whether the job's first condition of type t is True.
func jobCondition(j *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// jobCompletions is "succeeded/completions", or for a work-queue job
// without completions "succeeded/1", "of N" added when parallel.
func jobCompletions(j *batchv1.Job) string {
	if j.Spec.Completions != nil {
		return fmt.Sprintf("%d/%d", j.Status.Succeeded, *j.Spec.Completions)
	}
	if p := deref(j.Spec.Parallelism); p > 1 {
		return fmt.Sprintf("%d/1 of %d", j.Status.Succeeded, p)
	}
	return fmt.Sprintf("%d/1", j.Status.Succeeded)
}

// jobDuration is how long the job ran, or has been running; empty before
// it starts.
func jobDuration(j *batchv1.Job, pc *printContext) string {
	switch {
	case j.Status.StartTime == nil:
		return ""
	case j.Status.CompletionTime == nil:
		return duration.HumanDuration(pc.now.Sub(j.Status.StartTime.Time))
	}
	return duration.HumanDuration(j.Status.CompletionTime.Sub(j.Status.StartTime.Time))
}
