// Package admissionpolicystatus is upstream's ValidatingAdmissionPolicy
// status controller ("validatingadmissionpolicy-status-controller"): for
// each policy generation it type-checks the validations' expressions and
// messageExpressions against the kinds the policy matches and writes the
// complaints to status.typeChecking (empty when there are none; a
// non-nil typeChecking tells clients the check ran), with
// status.observedGeneration.
//
// Kinds are the built-in types client-go's scheme knows, found through
// discovery from the policy's resourceRules; rules with wildcards and
// custom resources are not checked (no warnings), as upstream skips what
// it cannot resolve.
package admissionpolicystatus
