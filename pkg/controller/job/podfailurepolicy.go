package job

import (
	"fmt"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// policyVerdict is what spec.podFailurePolicy says about one failed pod.
type policyVerdict struct {
	// action is the matching rule's action, "" when no rule matched
	// (the failure is then counted, as with Count).
	action batchv1.PodFailurePolicyAction
	// failJob is the FailureTarget message when a FailJob rule matched.
	failJob string
}

// counts reports whether the failure counts toward backoffLimit and
// backoffLimitPerIndex (every action but Ignore).
func (v policyVerdict) counts() bool { return v.action != batchv1.PodFailurePolicyActionIgnore }

// matchPodFailurePolicy applies the Job's pod failure policy to a failed
// pod, as upstream: the first rule whose onExitCodes (a terminated,
// non-zero container, regular containers before init containers) or
// onPodConditions requirement matches decides; rules with an action this
// version does not know are skipped.
func matchPodFailurePolicy(job *batchv1.Job, p *corev1.Pod) policyVerdict {
	policy := job.Spec.PodFailurePolicy
	if policy == nil {
		return policyVerdict{}
	}
	for n, rule := range policy.Rules {
		var what string
		if req := rule.OnExitCodes; req != nil {
			cs := matchExitCodes(p.Status.ContainerStatuses, req)
			if cs == nil {
				cs = matchExitCodes(p.Status.InitContainerStatuses, req)
			}
			if cs == nil {
				continue
			}
			what = fmt.Sprintf("Container %s for pod %s/%s failed with exit code %v", cs.Name, p.Namespace, p.Name, cs.State.Terminated.ExitCode)
		} else if len(rule.OnPodConditions) > 0 {
			cond := matchPodConditions(p.Status.Conditions, rule.OnPodConditions)
			if cond == nil {
				continue
			}
			what = fmt.Sprintf("Pod %s/%s has condition %v", p.Namespace, p.Name, cond.Type)
		} else {
			continue
		}
		switch rule.Action {
		case batchv1.PodFailurePolicyActionIgnore, batchv1.PodFailurePolicyActionCount, batchv1.PodFailurePolicyActionFailIndex:
			return policyVerdict{action: rule.Action}
		case batchv1.PodFailurePolicyActionFailJob:
			return policyVerdict{action: rule.Action, failJob: fmt.Sprintf("%s matching %v rule at index %d", what, rule.Action, n)}
		}
	}
	return policyVerdict{}
}

func matchExitCodes(statuses []corev1.ContainerStatus, req *batchv1.PodFailurePolicyOnExitCodesRequirement) *corev1.ContainerStatus {
	for i := range statuses {
		cs := &statuses[i]
		t := cs.State.Terminated
		if t == nil || t.ExitCode == 0 || (req.ContainerName != nil && *req.ContainerName != cs.Name) {
			continue
		}
		in := slices.Contains(req.Values, t.ExitCode)
		if (req.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && in) || (req.Operator == batchv1.PodFailurePolicyOnExitCodesOpNotIn && !in) {
			return cs
		}
	}
	return nil
}

func matchPodConditions(conds []corev1.PodCondition, patterns []batchv1.PodFailurePolicyOnPodConditionsPattern) *corev1.PodCondition {
	for i := range conds {
		for _, pat := range patterns {
			if conds[i].Type == pat.Type && conds[i].Status == pat.Status {
				return &conds[i]
			}
		}
	}
	return nil
}
