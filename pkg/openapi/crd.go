package openapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// customResource is one served version of a CustomResourceDefinition: all
// its OpenAPI paths and definitions are built from. The schema points into
// the caller's CRD, which is never modified.
type customResource struct {
	GVK        schema.GroupVersionKind
	ListKind   string
	Plural     string
	Namespaced bool
	// Schema is the version's openAPIV3Schema, nil without one.
	Schema *apiextensionsv1.JSONSchemaProps
	// PreserveUnknownFields is spec.preserveUnknownFields (v1 only
	// allows false; kept because upstream honours it).
	PreserveUnknownFields bool
	Status, Scale         bool
	// SelectableFields are the versions' selectableFields JSON paths
	// without their leading dot.
	SelectableFields []string
}

// customResourcesOf returns the served versions of crd.
func customResourcesOf(crd *apiextensionsv1.CustomResourceDefinition) []customResource {
	return versionsOf(crd, false)
}

// versionsOf returns the versions of crd, only the served ones unless all.
func versionsOf(crd *apiextensionsv1.CustomResourceDefinition, all bool) []customResource {
	var out []customResource
	for i := range crd.Spec.Versions {
		v := &crd.Spec.Versions[i]
		if !v.Served && !all {
			continue
		}
		cr := customResource{
			GVK:                   schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind},
			ListKind:              crd.Spec.Names.ListKind,
			Plural:                crd.Spec.Names.Plural,
			Namespaced:            crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
			PreserveUnknownFields: crd.Spec.PreserveUnknownFields,
		}
		if cr.ListKind == "" {
			cr.ListKind = cr.GVK.Kind + "List"
		}
		if v.Schema != nil {
			cr.Schema = v.Schema.OpenAPIV3Schema
		}
		if v.Subresources != nil {
			cr.Status = v.Subresources.Status != nil
			cr.Scale = v.Subresources.Scale != nil
		}
		for _, f := range v.SelectableFields {
			cr.SelectableFields = append(cr.SelectableFields, strings.TrimPrefix(f.JSONPath, "."))
		}
		out = append(out, cr)
	}
	return out
}

// crdModelName is the definition name upstream gives a custom kind: the
// group reversed, then version and kind ("com.example.stable.v1.CronTab").
func crdModelName(gvk schema.GroupVersionKind) string {
	parts := strings.Split(gvk.Group, ".")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ".") + "." + gvk.Version + "." + gvk.Kind
}

func (cr *customResource) modelName() string { return crdModelName(cr.GVK) }
func (cr *customResource) listModelName() string {
	return crdModelName(cr.GVK.GroupVersion().WithKind(cr.ListKind))
}

// crdModel names a custom kind for the kube-openapi builders, which find
// the definitions of request and response bodies by their model name.
type crdModel string

func (m crdModel) OpenAPIModelName() string { return string(m) }

// customResourceSet is the published set of custom resources, grouped by
// group version, with content fingerprints: a group version whose
// fingerprint did not change keeps its documents.
type customResourceSet struct {
	byGV  map[schema.GroupVersion][]customResource // sorted by plural
	gvSum map[schema.GroupVersion]string
	sum   string // over every group version; "" when the set is empty
}

// crdEntry remembers what one CRD contributed, so that a CRD whose
// resourceVersion did not change is not fingerprinted again.
type crdEntry struct {
	uid             types.UID
	resourceVersion string
	resources       []customResource
	sums            []string // parallel to resources
}

// fingerprint hashes everything the documents of cr depend on.
func fingerprint(cr *customResource) string {
	b, err := json.Marshal(cr)
	if err != nil {
		// JSONSchemaProps holds only JSON-marshalable values.
		panic(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// collectCustomResources returns the entries of crds by name, reusing
// those of previous whose uid and resourceVersion did not change, and
// whether they differ from previous at all.
func collectCustomResources(crds []*apiextensionsv1.CustomResourceDefinition, previous map[string]*crdEntry) (map[string]*crdEntry, bool) {
	entries := make(map[string]*crdEntry, len(crds))
	changed := false
	for _, crd := range crds {
		if crd == nil {
			continue
		}
		e := previous[crd.Name]
		if e == nil || crd.ResourceVersion == "" || e.uid != crd.UID || e.resourceVersion != crd.ResourceVersion {
			changed = true
			e = &crdEntry{uid: crd.UID, resourceVersion: crd.ResourceVersion, resources: customResourcesOf(crd)}
			for i := range e.resources {
				e.sums = append(e.sums, fingerprint(&e.resources[i]))
			}
		}
		entries[crd.Name] = e
	}
	return entries, changed || len(entries) != len(previous)
}

// newCustomResourceSet groups the custom resources of entries by group
// version and fingerprints each group version and the whole.
func newCustomResourceSet(entries map[string]*crdEntry) *customResourceSet {
	set := &customResourceSet{byGV: map[schema.GroupVersion][]customResource{}, gvSum: map[schema.GroupVersion]string{}}
	sumsByGV := map[schema.GroupVersion][]string{}
	for _, e := range entries {
		for i, cr := range e.resources {
			gv := cr.GVK.GroupVersion()
			set.byGV[gv] = append(set.byGV[gv], cr)
			sumsByGV[gv] = append(sumsByGV[gv], cr.GVK.Kind+"/"+cr.Plural+"="+e.sums[i])
		}
	}
	all := make([]string, 0, len(sumsByGV))
	for gv, sums := range sumsByGV {
		crs := set.byGV[gv]
		sort.Slice(crs, func(i, j int) bool { return crs[i].Plural < crs[j].Plural })
		sort.Strings(sums)
		h := sha256.Sum256([]byte(strings.Join(sums, "\n")))
		set.gvSum[gv] = hex.EncodeToString(h[:])
		all = append(all, gv.String()+"="+set.gvSum[gv])
	}
	if len(all) > 0 {
		sort.Strings(all)
		h := sha256.Sum256([]byte(strings.Join(all, "\n")))
		set.sum = hex.EncodeToString(h[:])
	}
	return set
}
