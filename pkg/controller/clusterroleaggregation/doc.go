// Package clusterroleaggregation is the clusterrole-aggregation
// controller: a ClusterRole with an aggregationRule gets as its rules the
// rules of every ClusterRole its label selectors match, as upstream's
// pkg/controller/clusterroleaggregation does. That is how admin, edit and
// view (pkg/auth/rbac/bootstrappolicy) are filled from the
// system:aggregate-to-* roles, and how a CRD's author extends them with a
// ClusterRole labelled rbac.authorization.k8s.io/aggregate-to-view: "true".
//
// Any ClusterRole change requeues every aggregated role; a sync
// recomputes the rules (matched roles in name order, each rule once) and
// writes them only if they differ.
package clusterroleaggregation
