// Package customresource is the strategy of custom resources: the objects
// of a CustomResourceDefinition, held as *unstructured.Unstructured and
// served through the same generic store (registry/generic), watch cache
// and field manager as built-in resources. One Strategy serves one version
// of one CRD; Versions describes a CRD's served versions.
//
// The write path for a custom resource (decoding happens in
// pkg/apiserver/crtypes):
//
//	decode (JSON/YAML) → schema Default → schema Prune (unknown fields:
//	fieldValidation) → PrepareForCreate/Update (status reset, apiVersion of
//	the storage version) → metadata → Validate (ObjectMeta, schema, scale
//	paths) → admission (namespace lifecycle, quota) → store
//
// Conversion between versions is upstream's strategy None: only apiVersion
// changes. Objects are stored as JSON (Codec) under
// /registry/<group>/<plural>/[<namespace>/]<name> with the storage
// version's apiVersion, as upstream, and defaulted again when read back.
// Generation moves with any change outside metadata (status cannot change
// through the main endpoint when the status subresource is enabled).
// Field selectors know metadata.name, metadata.namespace and the version's
// selectableFields. Table output uses the version's
// additionalPrinterColumns (table.go); the scale subresource reads and
// writes the paths the CRD names (scale.go).
package customresource
