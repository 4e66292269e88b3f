package quota

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// PersistentVolumeClaims measures claims: their count and requested
// storage, in total and per storage class
// (<class>.storageclass.storage.k8s.io/requests.storage).
type PersistentVolumeClaims struct{}

var _ Evaluator = PersistentVolumeClaims{}

const storageClassSuffix = ".storageclass.storage.k8s.io/"

var pvcResources = []corev1.ResourceName{corev1.ResourcePersistentVolumeClaims, corev1.ResourceRequestsStorage}

func (PersistentVolumeClaims) GroupResource() schema.GroupResource {
	return schema.GroupResource{Resource: "persistentvolumeclaims"}
}

func (PersistentVolumeClaims) MatchingResources(names []corev1.ResourceName) []corev1.ResourceName {
	var out []corev1.ResourceName
	for _, n := range names {
		if n == "count/persistentvolumeclaims" || len(intersect([]corev1.ResourceName{n}, pvcResources)) > 0 {
			out = append(out, n)
			continue
		}
		for _, r := range pvcResources {
			if strings.HasSuffix(string(n), storageClassSuffix+string(r)) {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// MatchesScope: the VolumeAttributesClass scope, on the classes the claim
// names or is moving to.
func (PersistentVolumeClaims) MatchesScope(req corev1.ScopedResourceSelectorRequirement, obj runtime.Object) (bool, error) {
	pvc, ok := obj.(*corev1.PersistentVolumeClaim)
	if !ok {
		return false, fmt.Errorf("expected a persistentvolumeclaim, got %T", obj)
	}
	if req.ScopeName != corev1.ResourceQuotaScopeVolumeAttributesClass {
		return false, nil
	}
	var classes []string
	if c := pvc.Spec.VolumeAttributesClassName; c != nil && *c != "" {
		classes = append(classes, *c)
	}
	if c := pvc.Status.CurrentVolumeAttributesClassName; c != nil && *c != "" {
		classes = append(classes, *c)
	}
	if s := pvc.Status.ModifyVolumeStatus; s != nil && s.TargetVolumeAttributesClassName != "" {
		classes = append(classes, s.TargetVolumeAttributesClassName)
	}
	if req.Operator == corev1.ScopeSelectorOpExists {
		return len(classes) > 0, nil
	}
	if len(classes) == 0 {
		return matchesValue(req, "")
	}
	for _, c := range classes {
		if ok, err := matchesValue(req, c); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func (PersistentVolumeClaims) Constraints([]corev1.ResourceName, runtime.Object) error { return nil }

// Usage: one claim and its storage request rounded up to whole bytes (or
// the allocated size, if a failed expansion left it larger), charged to
// its storage class as well.
func (PersistentVolumeClaims) Usage(obj runtime.Object, _ time.Time) (corev1.ResourceList, error) {
	pvc, ok := obj.(*corev1.PersistentVolumeClaim)
	if !ok {
		return nil, fmt.Errorf("expected a persistentvolumeclaim, got %T", obj)
	}
	out := corev1.ResourceList{corev1.ResourcePersistentVolumeClaims: one(), "count/persistentvolumeclaims": one()}
	class := storageClass(pvc)
	if class != "" {
		out[corev1.ResourceName(class+storageClassSuffix+string(corev1.ResourcePersistentVolumeClaims))] = one()
	}
	req, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if !ok {
		return out, nil
	}
	req = req.DeepCopy()
	req.RoundUp(0)
	if alloc, ok := pvc.Status.AllocatedResources[corev1.ResourceStorage]; ok && alloc.Cmp(req) > 0 {
		req = alloc.DeepCopy()
		req.RoundUp(0)
	}
	out[corev1.ResourceRequestsStorage] = req
	if class != "" {
		out[corev1.ResourceName(class+storageClassSuffix+string(corev1.ResourceRequestsStorage))] = req.DeepCopy()
	}
	return out, nil
}

// storageClass: the beta annotation wins over spec.storageClassName, as
// upstream.
func storageClass(pvc *corev1.PersistentVolumeClaim) string {
	if c, ok := pvc.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return c
	}
	if pvc.Spec.StorageClassName != nil {
		return *pvc.Spec.StorageClassName
	}
	return ""
}
