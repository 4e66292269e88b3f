// Package namespace is the namespace controller: a namespace being
// deleted (deletionTimestamp set, phase Terminating) has everything in it
// deleted, and once it is empty the controller removes the "kubernetes"
// finalizer through /finalize, after which the API server deletes the
// namespace itself (pkg/registry/core/namespace, generic.Store.Update).
//
// What lives in a namespace is found through discovery, so custom
// resources are emptied too. content.go deletes and counts that content;
// conditions.go reports progress in the namespace's status conditions.
package namespace
