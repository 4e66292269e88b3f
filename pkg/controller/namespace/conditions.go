package namespace

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// conditions turns a pass's result into the namespace status conditions
// upstream reports while deleting (kubectl describe shows them).
func conditions(r contentResult) []corev1.NamespaceCondition {
	cond := func(t corev1.NamespaceConditionType, bad bool, badReason, goodReason, msg string) corev1.NamespaceCondition {
		if bad {
			return corev1.NamespaceCondition{Type: t, Status: corev1.ConditionTrue, Reason: badReason, Message: msg}
		}
		return corev1.NamespaceCondition{Type: t, Status: corev1.ConditionFalse, Reason: goodReason, Message: msg}
	}
	var discMsg string
	if r.discoveryErr != nil {
		discMsg = "Discovery failed for some groups: " + r.discoveryErr.Error()
	} else {
		discMsg = "All resources successfully discovered"
	}
	contentMsg := "All content successfully deleted, may be waiting on finalization"
	if len(r.failed) > 0 {
		contentMsg = "Failed to delete all resource types, " + fmt.Sprint(len(r.failed)) + " remaining: " + strings.Join(r.failed, ", ")
	}
	remainMsg := "All content successfully removed"
	if len(r.remaining) > 0 {
		remainMsg = "Some resources are remaining: " + summary(r.remaining)
	}
	finMsg := "All content-preserving finalizers finished"
	if len(r.finalizers) > 0 {
		var parts []string
		for f, n := range r.finalizers {
			parts = append(parts, fmt.Sprintf("%s in %d resource instances", f, n))
		}
		sort.Strings(parts)
		finMsg = "Some content in the namespace has finalizers remaining: " + strings.Join(parts, ", ")
	}
	return []corev1.NamespaceCondition{
		cond(corev1.NamespaceDeletionDiscoveryFailure, r.discoveryErr != nil, "DiscoveryFailed", "ResourcesDiscovered", discMsg),
		cond(corev1.NamespaceDeletionGVParsingFailure, false, "GroupVersionParsingFailed", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
		cond(corev1.NamespaceDeletionContentFailure, len(r.failed) > 0, "ContentDeletionFailed", "ContentDeleted", contentMsg),
		cond(corev1.NamespaceContentRemaining, len(r.remaining) > 0, "SomeResourcesRemain", "ContentRemoved", remainMsg),
		cond(corev1.NamespaceFinalizersRemaining, len(r.finalizers) > 0, "SomeFinalizersRemain", "ContentHasNoFinalizers", finMsg),
	}
}

// updateConditions writes the conditions if any changed (ignoring
// transition times, which are kept while a condition's status holds).
// It returns the namespace as stored afterwards.
func (c *Controller) updateConditions(ctx context.Context, ns *corev1.Namespace, r contentResult) (*corev1.Namespace, error) {
	want := conditions(r)
	changed := false
	now := metav1.Now()
	for i := range want {
		old := findCondition(ns.Status.Conditions, want[i].Type)
		if old != nil && old.Status == want[i].Status {
			want[i].LastTransitionTime = old.LastTransitionTime
		} else {
			want[i].LastTransitionTime = now
		}
		if old == nil || old.Status != want[i].Status || old.Reason != want[i].Reason || old.Message != want[i].Message {
			changed = true
		}
	}
	if !changed {
		return ns, nil
	}
	ns = ns.DeepCopy()
	for _, w := range want {
		if old := findCondition(ns.Status.Conditions, w.Type); old != nil {
			*old = w
		} else {
			ns.Status.Conditions = append(ns.Status.Conditions, w)
		}
	}
	return c.client.CoreV1().Namespaces().UpdateStatus(ctx, ns, metav1.UpdateOptions{})
}

func findCondition(conds []corev1.NamespaceCondition, t corev1.NamespaceConditionType) *corev1.NamespaceCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}
