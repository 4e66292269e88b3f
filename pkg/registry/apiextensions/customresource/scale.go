package customresource

import (
	"fmt"
	"math"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// fieldPath splits a scale path (".spec.replicas") into keys.
func fieldPath(p string) []string { return strings.Split(strings.TrimPrefix(p, "."), ".") }

// ScaleOf reads the autoscaling/v1 Scale view of u through the CRD's
// scale paths: a missing replicas field reads 0, a missing selector "".
func ScaleOf(u *unstructured.Unstructured, paths *apiextensionsv1.CustomResourceSubresourceScale) *autoscalingv1.Scale {
	sc := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: u.GetName(), Namespace: u.GetNamespace(), UID: u.GetUID(),
		ResourceVersion: u.GetResourceVersion(), CreationTimestamp: u.GetCreationTimestamp()}}
	sc.Spec.Replicas = int32(nestedInt(u.Object, paths.SpecReplicasPath))
	sc.Status.Replicas = int32(nestedInt(u.Object, paths.StatusReplicasPath))
	if paths.LabelSelectorPath != nil {
		sc.Status.Selector, _, _ = unstructured.NestedString(u.Object, fieldPath(*paths.LabelSelectorPath)...)
	}
	return sc
}

func nestedInt(obj map[string]any, path string) int64 {
	if path == "" {
		return 0
	}
	v, found, err := unstructured.NestedFieldNoCopy(obj, fieldPath(path)...)
	if err != nil || !found {
		return 0
	}
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// SetReplicas writes replicas at the spec replicas path of u.
func SetReplicas(u *unstructured.Unstructured, paths *apiextensionsv1.CustomResourceSubresourceScale, replicas int32) error {
	return unstructured.SetNestedField(u.Object, int64(replicas), fieldPath(paths.SpecReplicasPath)...)
}

// ValidateScale checks the values at the scale paths, as upstream does on
// every write: replicas are integers from 0 to MaxInt32, the selector a
// string. Errors name the path as the CRD writes it (".spec.replicas").
func ValidateScale(u *unstructured.Unstructured, paths *apiextensionsv1.CustomResourceSubresourceScale) field.ErrorList {
	if paths == nil {
		return nil
	}
	var errs field.ErrorList
	for _, p := range []string{paths.SpecReplicasPath, paths.StatusReplicasPath} {
		if p == "" {
			continue
		}
		n, _, err := unstructured.NestedInt64(u.Object, fieldPath(p)...)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(field.NewPath(p), n, err.Error()))
		case n < 0:
			errs = append(errs, field.Invalid(field.NewPath(p), n, "should be a non-negative integer"))
		case n > math.MaxInt32:
			errs = append(errs, field.Invalid(field.NewPath(p), n, fmt.Sprintf("should be less than or equal to %v", math.MaxInt32)))
		}
	}
	if p := paths.LabelSelectorPath; p != nil {
		if s, _, err := unstructured.NestedString(u.Object, fieldPath(*p)...); err != nil {
			errs = append(errs, field.Invalid(field.NewPath(*p), s, err.Error()))
		}
	}
	return errs
}
