package job

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
)

// matchSuccessPolicy reports whether an Indexed Job's completed indexes
// meet one of its spec.successPolicy rules, and the condition message
// naming the first rule met, as upstream: a rule with succeededIndexes is
// met when all of those indexes succeeded, or succeededCount of them; a
// rule with only succeededCount when that many indexes succeeded. The
// Job then succeeds early (reason SuccessPolicy) and its other pods stop.
func matchSuccessPolicy(job *batchv1.Job) (string, bool) {
	if !isIndexed(job) || job.Spec.SuccessPolicy == nil || job.Spec.Completions == nil {
		return "", false
	}
	completions := int(*job.Spec.Completions)
	succeeded := map[int]bool{}
	for _, i := range parseIndexesBelow(job.Status.CompletedIndexes, completions) {
		succeeded[i] = true
	}
	if len(succeeded) == 0 {
		return "", false
	}
	for n, rule := range job.Spec.SuccessPolicy.Rules {
		if rule.SucceededIndexes != nil {
			required := parseIndexesBelow(*rule.SucceededIndexes, completions)
			if len(required) == 0 {
				continue // malformed: upstream skips the rule
			}
			have := 0
			for _, i := range required {
				if succeeded[i] {
					have++
				}
			}
			if have == len(required) || (rule.SucceededCount != nil && have >= int(*rule.SucceededCount)) {
				return fmt.Sprintf("Matched rules at index %d", n), true
			}
		} else if rule.SucceededCount != nil && len(succeeded) >= int(*rule.SucceededCount) {
			return fmt.Sprintf("Matched rules at index %d", n), true
		}
	}
	return "", false
}
