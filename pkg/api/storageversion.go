package api

import "k8s.io/apimachinery/pkg/runtime/schema"

// StorageVersion is the group version r's objects are stored as: its
// group's preferred version when that has r's kind (HorizontalPodAutoscalers
// served at autoscaling/v1 are stored as v2, as upstream), else r's own.
// The scheme converts between the two on every read and write.
func StorageVersion(r Resource) schema.GroupVersion {
	if vs := Scheme.PrioritizedVersionsForGroup(r.GroupVersion.Group); len(vs) > 0 && Scheme.Recognizes(vs[0].WithKind(r.Kind)) {
		return vs[0]
	}
	return r.GroupVersion
}
