// Package namespace is the namespaces resource: new namespaces are Active
// with the "kubernetes" finalizer; deleting one marks it Terminating until
// the namespace controller empties it and clears spec.finalizers through
// /finalize. Lifecycle (lifecycle.go) rejects creates in missing or
// terminating namespaces.
package namespace
