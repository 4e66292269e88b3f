package validation

import (
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var jobRestartPolicies = []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}

// maxCronJobNameLength leaves room for the 11-character job suffix within
// a 63-character label value.
const maxCronJobNameLength = 52

func validateJob(j *batchv1.Job) field.ErrorList {
	errs := objectMeta(&j.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateJobSpec(&j.Spec, field.NewPath("spec"), true)...)
}

// validateJobSpec validates a Job spec; selector checks apply to Jobs (the
// server generates the selector), not to CronJob job templates.
func validateJobSpec(s *batchv1.JobSpec, p *field.Path, checkSelector bool) field.ErrorList {
	errs := nonNegativePtr(s.Parallelism, p.Child("parallelism"))
	errs = append(errs, nonNegativePtr(s.Completions, p.Child("completions"))...)
	errs = append(errs, positivePtr(s.ActiveDeadlineSeconds, p.Child("activeDeadlineSeconds"))...)
	errs = append(errs, nonNegativePtr(s.BackoffLimit, p.Child("backoffLimit"))...)
	errs = append(errs, nonNegativePtr(s.TTLSecondsAfterFinished, p.Child("ttlSecondsAfterFinished"))...)
	errs = append(errs, validateJobFailureSpec(s, p)...)
	tp := p.Child("template")
	if checkSelector && s.Selector != nil {
		sp := p.Child("selector")
		errs = append(errs, labelSelector(s.Selector, sp)...)
		if !selectorMatches(s.Selector, s.Template.Labels) {
			errs = append(errs, field.Invalid(tp.Child("metadata", "labels"), s.Template.Labels, "`selector` does not match template `labels`"))
		}
	}
	if s.CompletionMode != nil {
		cp := p.Child("completionMode")
		errs = append(errs, enum(*s.CompletionMode, cp, batchv1.NonIndexedCompletion, batchv1.IndexedCompletion)...)
		if *s.CompletionMode == batchv1.IndexedCompletion && s.Completions == nil {
			errs = append(errs, field.Required(p.Child("completions"), "when completion mode is Indexed"))
		}
	}
	if rp := s.PodReplacementPolicy; rp != nil {
		if s.PodFailurePolicy != nil { // only Failed: a terminating pod's failure is not yet known
			errs = append(errs, enum(*rp, p.Child("podReplacementPolicy"), batchv1.Failed)...)
		} else {
			errs = append(errs, enum(*rp, p.Child("podReplacementPolicy"), batchv1.TerminatingOrFailed, batchv1.Failed)...)
		}
	}
	return append(errs, validatePodTemplateSpecFor(&s.Template, tp, jobRestartPolicies)...)
}

func validateJobUpdate(j, old *batchv1.Job) field.ErrorList {
	errs := metaUpdate(&j.ObjectMeta, &old.ObjectMeta)
	sp := field.NewPath("spec")
	errs = append(errs, validateJobSpec(&j.Spec, sp, true)...)
	errs = append(errs, immutable(j.Spec.Selector, old.Spec.Selector, sp.Child("selector"))...)
	errs = append(errs, immutable(j.Spec.CompletionMode, old.Spec.CompletionMode, sp.Child("completionMode"))...)
	errs = append(errs, immutable(j.Spec.PodFailurePolicy, old.Spec.PodFailurePolicy, sp.Child("podFailurePolicy"))...)
	errs = append(errs, immutable(j.Spec.BackoffLimitPerIndex, old.Spec.BackoffLimitPerIndex, sp.Child("backoffLimitPerIndex"))...)
	if !indexedElastic(&j.Spec, &old.Spec) {
		errs = append(errs, immutable(j.Spec.Completions, old.Spec.Completions, sp.Child("completions"))...)
	}
	// The pod template is immutable, except that a suspended Job that never
	// started may change its scheduling directives.
	munged := old.Spec.Template.DeepCopy()
	if old.Spec.Suspend != nil && *old.Spec.Suspend && old.Status.StartTime == nil {
		t := &j.Spec.Template
		munged.Spec.NodeSelector = t.Spec.NodeSelector
		munged.Spec.Tolerations = t.Spec.Tolerations
		munged.Spec.Affinity = t.Spec.Affinity
		munged.Spec.SchedulingGates = t.Spec.SchedulingGates
		munged.Labels = t.Labels
		munged.Annotations = t.Annotations
	}
	if !semanticEqual(munged, &j.Spec.Template) {
		errs = append(errs, field.Invalid(sp.Child("template"), j.Spec.Template, immutableMsg))
	}
	return errs
}

// indexedElastic: Indexed Jobs may scale completions together with
// parallelism.
func indexedElastic(s, old *batchv1.JobSpec) bool {
	return s.CompletionMode != nil && *s.CompletionMode == batchv1.IndexedCompletion &&
		s.Completions != nil && s.Parallelism != nil && *s.Completions == *s.Parallelism &&
		old.Completions != nil && old.Parallelism != nil && *old.Completions == *old.Parallelism
}

func validateCronJob(cj *batchv1.CronJob) field.ErrorList {
	errs := objectMeta(&cj.ObjectMeta, true, nameIsDNSSubdomain)
	if len(cj.Name) > maxCronJobNameLength {
		errs = append(errs, field.Invalid(metadataPath.Child("name"), cj.Name, "must be no more than 52 characters"))
	}
	return append(errs, validateCronJobSpec(&cj.Spec, field.NewPath("spec"))...)
}

func validateCronJobSpec(s *batchv1.CronJobSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	sp := p.Child("schedule")
	if s.Schedule == "" {
		errs = append(errs, field.Required(sp, ""))
	} else {
		if strings.Contains(s.Schedule, "TZ") {
			errs = append(errs, field.Invalid(sp, s.Schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
		} else if _, err := ParseCronSchedule(s.Schedule); err != nil {
			errs = append(errs, field.Invalid(sp, s.Schedule, err.Error()))
		}
	}
	if s.TimeZone != nil {
		tz := *s.TimeZone
		if tz == "" || strings.EqualFold(tz, "local") {
			errs = append(errs, field.Invalid(p.Child("timeZone"), tz, "unknown time zone "+tz))
		} else if _, err := time.LoadLocation(tz); err != nil {
			errs = append(errs, field.Invalid(p.Child("timeZone"), tz, err.Error()))
		}
	}
	errs = append(errs, enum(s.ConcurrencyPolicy, p.Child("concurrencyPolicy"), batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent)...)
	errs = append(errs, nonNegativePtr(s.StartingDeadlineSeconds, p.Child("startingDeadlineSeconds"))...)
	errs = append(errs, nonNegativePtr(s.SuccessfulJobsHistoryLimit, p.Child("successfulJobsHistoryLimit"))...)
	errs = append(errs, nonNegativePtr(s.FailedJobsHistoryLimit, p.Child("failedJobsHistoryLimit"))...)
	jp := p.Child("jobTemplate")
	errs = append(errs, labels(s.JobTemplate.Labels, jp.Child("metadata", "labels"))...)
	return append(errs, validateJobSpec(&s.JobTemplate.Spec, jp.Child("spec"), false)...)
}

func validateCronJobUpdate(cj, old *batchv1.CronJob) field.ErrorList {
	return withMetaUpdate(&cj.ObjectMeta, &old.ObjectMeta, validateCronJobSpec(&cj.Spec, field.NewPath("spec")))
}
