package validation

import (
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// perIndex makes the Job fixture (3 completions) Indexed with
// backoffLimitPerIndex 1.
func perIndex(j *batchv1.Job) {
	j.Spec.CompletionMode = ptr(batchv1.IndexedCompletion)
	j.Spec.BackoffLimitPerIndex = ptr(int32(1))
}

func exitRule(action batchv1.PodFailurePolicyAction, op batchv1.PodFailurePolicyOnExitCodesOperator, values ...int32) batchv1.PodFailurePolicyRule {
	return batchv1.PodFailurePolicyRule{Action: action, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: op, Values: values}}
}

// withPolicy sets a pod failure policy, and the podReplacementPolicy
// defaulting then picks.
func withPolicy(j *batchv1.Job, rules ...batchv1.PodFailurePolicyRule) {
	j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: rules}
	j.Spec.PodReplacementPolicy = ptr(batchv1.Failed)
}

// TestJobFailureSpec: backoffLimitPerIndex, maxFailedIndexes and
// podFailurePolicy rules, with upstream's field paths, types and messages.
func TestJobFailureSpec(t *testing.T) {
	in := batchv1.PodFailurePolicyOnExitCodesOpIn
	for _, tc := range []struct {
		name  string
		edit  func(*batchv1.Job)
		field string // "" for valid
		typ   field.ErrorType
		msg   string
	}{
		{"per index", perIndex, "", "", ""},
		{"max failed indexes", func(j *batchv1.Job) { perIndex(j); j.Spec.MaxFailedIndexes = ptr(int32(3)) }, "", "", ""},
		{"fail index", func(j *batchv1.Job) {
			perIndex(j)
			withPolicy(j, exitRule(batchv1.PodFailurePolicyActionFailIndex, in, 1, 2))
		}, "", "", ""},
		{"per index negative", func(j *batchv1.Job) { perIndex(j); j.Spec.BackoffLimitPerIndex = ptr(int32(-1)) },
			"spec.backoffLimitPerIndex", field.ErrorTypeInvalid, "must be greater than or equal to 0"},
		{"per index not indexed", func(j *batchv1.Job) { j.Spec.BackoffLimitPerIndex = ptr(int32(1)) },
			"spec.backoffLimitPerIndex", field.ErrorTypeInvalid, "requires indexed completion mode"},
		{"max failed not indexed", func(j *batchv1.Job) {
			j.Spec.BackoffLimitPerIndex, j.Spec.MaxFailedIndexes = ptr(int32(1)), ptr(int32(1))
		}, "spec.maxFailedIndexes", field.ErrorTypeInvalid, "requires indexed completion mode"},
		{"max failed needs per index", func(j *batchv1.Job) {
			j.Spec.CompletionMode, j.Spec.MaxFailedIndexes = ptr(batchv1.IndexedCompletion), ptr(int32(1))
		}, "spec.backoffLimitPerIndex", field.ErrorTypeRequired, "when maxFailedIndexes is specified"},
		{"max failed above completions", func(j *batchv1.Job) { perIndex(j); j.Spec.MaxFailedIndexes = ptr(int32(4)) },
			"spec.maxFailedIndexes", field.ErrorTypeInvalid, "must be less than or equal to completions"},
		{"high completions need max failed", func(j *batchv1.Job) { perIndex(j); j.Spec.Completions = ptr(int32(100_001)) },
			"spec.maxFailedIndexes", field.ErrorTypeRequired, "must be specified when completions is above 100000"},
		{"indexed parallelism cap", func(j *batchv1.Job) {
			j.Spec.CompletionMode, j.Spec.Parallelism = ptr(batchv1.IndexedCompletion), ptr(int32(100_001))
		}, "spec.parallelism", field.ErrorTypeInvalid, "must be less than or equal to 100000 when completion mode is Indexed"},
		{"fail index needs per index", func(j *batchv1.Job) { withPolicy(j, exitRule(batchv1.PodFailurePolicyActionFailIndex, in, 1)) },
			"spec.podFailurePolicy.rules[0].action", field.ErrorTypeInvalid, "requires the backoffLimitPerIndex to be set"},
		{"action required", func(j *batchv1.Job) { withPolicy(j, exitRule("", in, 1)) },
			"spec.podFailurePolicy.rules[0].action", field.ErrorTypeRequired, ""},
		{"action unknown", func(j *batchv1.Job) { withPolicy(j, exitRule("Retry", in, 1)) },
			"spec.podFailurePolicy.rules[0].action", field.ErrorTypeNotSupported, ""},
		{"exit code 0 with In", func(j *batchv1.Job) { withPolicy(j, exitRule(batchv1.PodFailurePolicyActionIgnore, in, 0)) },
			"spec.podFailurePolicy.rules[0].onExitCodes.values[0]", field.ErrorTypeInvalid, "must not be 0 for the In operator"},
		{"exit codes unordered", func(j *batchv1.Job) { withPolicy(j, exitRule(batchv1.PodFailurePolicyActionIgnore, in, 2, 1)) },
			"spec.podFailurePolicy.rules[0].onExitCodes.values", field.ErrorTypeInvalid, "must be ordered"},
		{"no requirement", func(j *batchv1.Job) {
			withPolicy(j, batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionIgnore})
		},
			"spec.podFailurePolicy.rules[0]", field.ErrorTypeInvalid, "specifying one of OnExitCodes and OnPodConditions is required"},
		{"unknown container", func(j *batchv1.Job) {
			r := exitRule(batchv1.PodFailurePolicyActionIgnore, in, 1)
			r.OnExitCodes.ContainerName = ptr("nope")
			withPolicy(j, r)
		}, "spec.podFailurePolicy.rules[0].onExitCodes.containerName", field.ErrorTypeInvalid, "must be one of the container or initContainer names"},
		{"policy needs Never", func(j *batchv1.Job) {
			withPolicy(j, exitRule(batchv1.PodFailurePolicyActionIgnore, in, 1))
			j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		}, "spec.template.spec.restartPolicy", field.ErrorTypeInvalid, `only "Never" is supported when podFailurePolicy is specified`},
		{"policy needs replacement Failed", func(j *batchv1.Job) {
			withPolicy(j, exitRule(batchv1.PodFailurePolicyActionIgnore, in, 1))
			j.Spec.PodReplacementPolicy = ptr(batchv1.TerminatingOrFailed)
		}, "spec.podReplacementPolicy", field.ErrorTypeNotSupported, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := fixtures(t)["Job"].(*batchv1.Job)
			tc.edit(j)
			errs := ValidateCreate(j)
			if tc.field == "" {
				if len(errs) > 0 {
					t.Fatalf("want no errors, got %v", errs)
				}
				return
			}
			for _, e := range errs {
				if e.Field == tc.field && e.Type == tc.typ && strings.Contains(e.Detail, tc.msg) {
					return
				}
			}
			t.Fatalf("want %s at %q (%q), got %v", tc.typ, tc.field, tc.msg, errs)
		})
	}
}

// TestJobFailureSpecImmutable: backoffLimitPerIndex and podFailurePolicy
// cannot change after creation, as upstream.
func TestJobFailureSpecImmutable(t *testing.T) {
	old := fixtures(t)["Job"].(*batchv1.Job)
	perIndex(old)
	old.ResourceVersion = "1"
	j := old.DeepCopy()
	j.Spec.BackoffLimitPerIndex = ptr(int32(2))
	withPolicy(j, exitRule(batchv1.PodFailurePolicyActionFailIndex, batchv1.PodFailurePolicyOnExitCodesOpIn, 1))
	errs := ValidateUpdate(j, old)
	for _, f := range []string{"spec.backoffLimitPerIndex", "spec.podFailurePolicy"} {
		if !hasError(errs, f, field.ErrorTypeInvalid) {
			t.Errorf("want Invalid (immutable) at %s, got %v", f, errs)
		}
	}
}
