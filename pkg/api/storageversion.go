package api

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// storedAs lists the resources stored as another group's kind, as
// upstream: events.k8s.io/v1 Events are core/v1 Events under
// /registry/events.
var storedAs = map[schema.GroupVersionKind]schema.GroupVersionKind{
	gvEvents.WithKind("Event"): gvCore.WithKind("Event"),
}

// StorageVersion is the kind r's objects are stored as: for a resource
// served under two groups the other group's kind (storedAs), else r's
// kind at its group's preferred version when that has it
// (HorizontalPodAutoscalers served at autoscaling/v1 are stored as v2,
// as upstream), else r's own. The scheme converts between the two on
// every read and write (pkg/api/convert).
func StorageVersion(r Resource) schema.GroupVersionKind {
	if gvk, ok := storedAs[r.GVK()]; ok {
		return gvk
	}
	if vs := Scheme.PrioritizedVersionsForGroup(r.GroupVersion.Group); len(vs) > 0 && Scheme.Recognizes(vs[0].WithKind(r.Kind)) {
		return vs[0].WithKind(r.Kind)
	}
	return r.GVK()
}

// StorageVersioner is the encoding target of r's storage codec: its
// StorageVersion, whatever the object's own group (a GroupVersion target
// would refuse to convert across groups).
func StorageVersioner(r Resource) runtime.GroupVersioner { return storageVersioner(StorageVersion(r)) }

type storageVersioner schema.GroupVersionKind

var _ runtime.GroupVersioner = storageVersioner{}

func (v storageVersioner) KindForGroupVersionKinds([]schema.GroupVersionKind) (schema.GroupVersionKind, bool) {
	return schema.GroupVersionKind(v), true
}

func (v storageVersioner) Identifier() string {
	return "storage:" + schema.GroupVersionKind(v).String()
}
