// Package validation holds the checks and defaults of the
// CustomResourceDefinition object itself (apiextensions.k8s.io/v1), as
// upstream's pkg/apis/apiextensions/validation and v1 defaults.go: the CRD
// strategy calls SetDefaults, then ValidateCreate or ValidateUpdate.
//
// Upstream validates its internal version, into which v1 converts by moving
// a schema, subresources or printer columns shared by all versions to the
// top level; its errors then name spec.validation.openAPIV3Schema,
// spec.subresources and spec.additionalPrinterColumns, and
// spec.conversion.webhookClientConfig / conversionReviewVersions. We report
// the same paths.
//
// Each version's schema must be structural (schema.IsStructural), its
// defaults valid (schema.ValidateDefaults), and it must pass the OpenAPI
// keyword checks (no $ref, patternProperties, uniqueItems…, list and map
// types consistent).
//
// Left out: ObjectMeta validation other than metadata.name on create (the
// caller's generic metadata checks, including the immutable name on
// update), CEL (x-kubernetes-validations compilation and
// cost), selectableFields, the caBundle check, and the options upstream
// relaxes on update for CRDs that were stored before a rule existed (we
// apply every rule to every write).
package validation
