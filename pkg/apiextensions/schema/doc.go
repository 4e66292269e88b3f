// Package schema compiles the OpenAPI v3 schema of one CustomResourceDefinition
// version and applies it to custom resources, as upstream's
// apiextensions-apiserver does on the write path:
//
//	decode → Prune → Default → (the caller validates root metadata) → Validate → store
//
// New compiles a version's openAPIV3Schema into a Schema. Prune drops
// undeclared fields and returns their paths for fieldValidation
// Strict/Warn; Default applies `default` values; Validate runs the value
// validations (kube-openapi's checks as upstream's ValidateCustomResource
// reports them), checks embedded resources' apiVersion, kind and metadata,
// then x-kubernetes-list-type set/map uniqueness.
// IsStructural and ValidateDefaults are the schema checks the CRD
// validation (package apiextensions/validation) runs before it accepts a
// CRD.
//
// Values are JSON as decoded by k8s.io/apimachinery/pkg/util/json
// (map[string]any, []any, string, bool, int64, float64).
//
// Left out, compared to upstream:
//   - CEL rules (x-kubernetes-validations) are ignored, and so are
//     validation ratcheting on update and the CEL cost checks.
//   - Malformed metadata (say labels: 5) is left alone by Prune; upstream
//     fails the decode (a 400) where, for embedded resources, Validate
//     reports it (a 422), and root metadata is the caller's to decode.
//   - anyOf/oneOf report the errors of their first failing branch, where
//     kube-openapi picks the branch that matched most checks.
//   - Error order within one object is by sorted key (upstream's follows Go
//     map iteration and so varies).
//   - The scale subresource's replicas paths are the caller's to check.
package schema
