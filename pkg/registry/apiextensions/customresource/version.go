package customresource

import (
	"fmt"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/api"
)

// Schema is a CRD version's compiled structural schema
// (pkg/apiextensions/schema). Methods work on an object's JSON map in
// place and are safe for concurrent use.
type Schema interface {
	// Default fills in the schema's defaults.
	Default(obj map[string]any)
	// Prune drops undeclared fields and returns their paths
	// ("spec.foo") for fieldValidation.
	Prune(obj map[string]any) []string
	// Validate checks obj against the schema's value validations.
	Validate(obj map[string]any) field.ErrorList
}

// SchemaFunc compiles a version's schema (nil props: no schema).
type SchemaFunc func(props *apiextensionsv1.JSONSchemaProps) (Schema, error)

// Version is everything serving one version of one CRD needs.
type Version struct {
	// Resource is the discovery and routing description of the version.
	Resource api.Resource
	// Storage is the storage version's kind; objects are stored (and held
	// in the watch cache) with its apiVersion.
	Storage schema.GroupVersionKind
	// Schema is the version's schema (never nil).
	Schema Schema
	// Columns are the additionalPrinterColumns (upstream's default Age
	// column when the CRD names none).
	Columns []apiextensionsv1.CustomResourceColumnDefinition
	// Status: the status subresource is enabled. Scale, if set, is the
	// scale subresource's paths.
	Status bool
	Scale  *apiextensionsv1.CustomResourceSubresourceScale
	// Deprecated and Warning: the version is deprecated; requests get
	// the warning (upstream's default when the CRD gives none).
	Deprecated bool
	Warning    string
	// SelectableFields are the version's selectableFields as field
	// labels ("spec.color"), beside metadata.name and metadata.namespace.
	SelectableFields []string
	// ConversionError, if set, is the 500 every request for this
	// version gets: it is not the storage version and the CRD converts
	// through a webhook, which tinykube does not call.
	ConversionError error
}

// KeyRoot is the etcd key root of a CRD's objects, as upstream:
// /registry/<group>/<plural>.
func KeyRoot(crd *apiextensionsv1.CustomResourceDefinition) string {
	return "/registry/" + crd.Spec.Group + "/" + crd.Spec.Names.Plural
}

// StorageVersion returns the name of the CRD's storage version.
func StorageVersion(crd *apiextensionsv1.CustomResourceDefinition) (string, error) {
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			return v.Name, nil
		}
	}
	return "", fmt.Errorf("customresourcedefinition %s has no storage version", crd.Name)
}

var (
	verbsAll    = []string{"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"}
	verbsStatus = []string{"get", "patch", "update"}
	scaleKind   = schema.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}
	ageColumn   = apiextensionsv1.CustomResourceColumnDefinition{Name: "Age", Type: "date",
		Description: objectMetaDoc["creationTimestamp"], JSONPath: ".metadata.creationTimestamp"}
)

// Versions describes every served version of crd, using the names it has
// accepted (status.acceptedNames). newSchema compiles each version's
// schema.
func Versions(crd *apiextensionsv1.CustomResourceDefinition, newSchema SchemaFunc) ([]*Version, error) {
	storage, err := StorageVersion(crd)
	if err != nil {
		return nil, err
	}
	names := crd.Status.AcceptedNames
	var out []*Version
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		gv := schema.GroupVersion{Group: crd.Spec.Group, Version: v.Name}
		r := api.Resource{GroupVersion: gv, Name: names.Plural, SingularName: names.Singular, Kind: names.Kind,
			Namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped, ShortNames: names.ShortNames,
			Categories: names.Categories, Verbs: verbsAll}
		ver := &Version{Resource: r, Storage: gv.WithKind(names.Kind), Columns: v.AdditionalPrinterColumns,
			Deprecated: v.Deprecated}
		for _, f := range v.SelectableFields {
			ver.SelectableFields = append(ver.SelectableFields, strings.TrimPrefix(f.JSONPath, "."))
		}
		ver.Storage.Version = storage
		if len(ver.Columns) == 0 {
			ver.Columns = []apiextensionsv1.CustomResourceColumnDefinition{ageColumn}
		}
		if v.Deprecated {
			ver.Warning = fmt.Sprintf("%s %s is deprecated", gv, names.Kind)
			if v.DeprecationWarning != nil {
				ver.Warning = *v.DeprecationWarning
			}
		}
		if s := v.Subresources; s != nil {
			if s.Status != nil {
				ver.Status = true
				ver.Resource.Subresources = append(ver.Resource.Subresources,
					api.Subresource{Name: "status", Kind: gv.WithKind(names.Kind), Verbs: verbsStatus})
			}
			if s.Scale != nil {
				ver.Scale = s.Scale.DeepCopy()
				ver.Resource.Subresources = append(ver.Resource.Subresources,
					api.Subresource{Name: "scale", Kind: scaleKind, Verbs: verbsStatus})
			}
		}
		var props *apiextensionsv1.JSONSchemaProps
		if v.Schema != nil {
			props = v.Schema.OpenAPIV3Schema
		}
		if ver.Schema, err = newSchema(props); err != nil {
			return nil, fmt.Errorf("version %s: %w", v.Name, err)
		}
		out = append(out, ver)
	}
	return out, nil
}
