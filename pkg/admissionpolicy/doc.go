// Package admissionpolicy enforces admission policies written in CEL, as
// upstream's ValidatingAdmissionPolicy and MutatingAdmissionPolicy
// plugins do (k8s.io/apiserver/pkg/admission/plugin/policy; behaviour
// learned from there, code our own).
//
// Two plugins of the server's admission chain (pkg/registry/admission.go)
// live here: Mutating (after the built-in mutating plugins) applies each
// matching MutatingAdmissionPolicy's mutations — ApplyConfiguration
// merged into the object, or JSONPatch — and Validating (just before
// ResourceQuota) evaluates each matching ValidatingAdmissionPolicy's
// validations and refuses the write with upstream's
// "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: …".
//
// Both read policies, bindings, namespaces and params from the watch
// cache (Lister, the stores' ListFromCache/GetFromCache), so a policy
// takes effect as soon as it is stored, and compile each policy once per
// generation (source.go): requests only evaluate programs.
//
// Files: matching.go (matchConstraints, binding matchResources),
// source.go (listing and the per-generation compile cache), input.go
// (object, request, namespaceObject, params as CEL sees them),
// validating.go, mutating.go, merge.go (ApplyConfiguration merge).
package admissionpolicy
