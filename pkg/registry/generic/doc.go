// Package generic is the one store every resource is served through: it owns
// create/get/list/watch/update/delete over storage.Interface, resourceVersion
// conflicts, uid/creationTimestamp/generation, generateName, finalizers and
// deletionTimestamp, graceful deletion, dry runs and the write-path hook
// order (see writepath.go). Resources differ only in their Strategy, a small
// value each resource package under pkg/registry/<group>/ provides.
package generic
