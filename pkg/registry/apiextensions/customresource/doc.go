// Package customresource is the strategy of custom resources: the objects
// of a CustomResourceDefinition, held as *unstructured.Unstructured and
// served through the same generic store (registry/generic) as built-in
// resources. One Strategy serves one version of one CRD.
//
// The write path for a custom resource (decode and defaulting happen in
// pkg/apiserver as for built-ins, see apiserver/customresources.go):
//
//	decode (JSON/YAML) → schema Default → schema Prune (unknown fields:
//	fieldValidation) → PrepareForCreate/Update (status reset, apiVersion of
//	the storage version) → metadata → Validate (ObjectMeta + schema) → store
//
// Conversion between versions is upstream's strategy None: only apiVersion
// changes. Objects are stored as JSON (Codec) under
// /registry/<group>/<plural>/[<namespace>/]<name> with the storage
// version's apiVersion, as upstream. Table output uses the version's
// additionalPrinterColumns (table.go); the scale subresource reads and
// writes the paths the CRD names (scale.go).
package customresource
