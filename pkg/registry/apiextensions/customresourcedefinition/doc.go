// Package customresourcedefinition is the strategy of
// apiextensions.k8s.io/v1 CustomResourceDefinitions: what the generic
// store (registry/generic) does differently for them. Status is owned by
// the /status endpoint, where the API server's own CRD controllers
// (pkg/apiextensions/crdcontroller) write names, conditions and stored
// versions; generation moves with the spec; the first DELETE does not
// remove a CRD but marks it Terminating and adds the
// customresourcecleanup.apiextensions.k8s.io finalizer, which the
// controllers remove once every custom resource of the CRD is gone — as
// upstream's CRD registry and finalizing controller.
package customresourcedefinition
