package openapi

import (
	"fmt"
	"maps"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/aggregator"
	"k8s.io/kube-openapi/pkg/builder"
	"k8s.io/kube-openapi/pkg/builder3"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/handler"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/tinykube/tinykube/pkg/openapi/generated"
)

// crdInfo is the info upstream gives the documents of custom resources.
func crdInfo() *spec.Info {
	return &spec.Info{InfoProps: spec.InfoProps{Title: "Kubernetes CRD Swagger", Version: "v0.1.0"}}
}

// customResourcesV2 builds a Swagger 2.0 document with the paths of crs
// and the definitions they reach (their own and the built-in ones they
// refer to: ObjectMeta, Status, Scale…), for mergeV2.
func (b *Builder) customResourcesV2(crs []customResource) (*spec.Swagger, error) {
	unauthorized := spec.Response{ResponseProps: spec.ResponseProps{Description: "Unauthorized"}}
	sw, err := builder.BuildOpenAPISpecFromRoutes(customResourceContainers(crs), &common.Config{
		Info:                           crdInfo(),
		ProtocolList:                   []string{"https"},
		CommonResponses:                map[int]spec.Response{401: unauthorized},
		GetDefinitions:                 customResourceDefinitions(crs, true),
		GetDefinitionName:              b.definitionNamer().name,
		GetOperationIDAndTagsFromRoute: operationIDAndTags,
		// Pruned like the built-in definitions, so that the shared ones
		// (ObjectMeta…) merge as equal.
		PostProcessSpec: func(s *spec.Swagger) (*spec.Swagger, error) {
			s.Definitions = handler.PruneDefaults(s.Definitions)
			return s, nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("openapi: building v2 for custom resources: %w", err)
	}
	return sw, nil
}

// customResourcesV3 builds the OpenAPI 3.0 document of custom resources
// crs, which must all be of one group version.
func (b *Builder) customResourcesV3(crs []customResource) (*spec3.OpenAPI, error) {
	doc, err := builder3.BuildOpenAPISpecFromRoutes(customResourceContainers(crs), &common.OpenAPIV3Config{
		Info: crdInfo(),
		CommonResponses: map[int]*spec3.Response{
			401: {ResponseProps: spec3.ResponseProps{Description: "Unauthorized"}},
		},
		GetDefinitions:                 customResourceDefinitions(crs, false),
		GetDefinitionName:              b.definitionNamer().name,
		GetOperationIDAndTagsFromRoute: operationIDAndTags,
	})
	if err != nil {
		return nil, fmt.Errorf("openapi: building v3 for custom resources: %w", err)
	}
	return doc, nil
}

// CustomResourceSchemas returns the OpenAPI v3 schemas of every version of
// crd, served or not, and of the built-in types they refer to (ObjectMeta…),
// keyed by definition name: what managedfields.NewTypeConverter(schemas,
// crd.Spec.PreserveUnknownFields) needs for server-side apply of its
// custom resources, as upstream builds it (defaults kept).
func (b *Builder) CustomResourceSchemas(crd *apiextensionsv1.CustomResourceDefinition) (map[string]*spec.Schema, error) {
	crs := versionsOf(crd, true)
	names := make([]string, 0, 2*len(crs))
	for i := range crs {
		names = append(names, crs[i].modelName(), crs[i].listModelName())
	}
	schemas, err := builder3.BuildOpenAPIDefinitionsForResources(&common.OpenAPIV3Config{
		GetDefinitions:    customResourceDefinitions(crs, false),
		GetDefinitionName: b.definitionNamer().name,
	}, names...)
	if err != nil {
		return nil, fmt.Errorf("openapi: schemas of %s: %w", crd.Name, err)
	}
	return schemas, nil
}

// customResourceContainers groups the routes of crs by group version.
func customResourceContainers(crs []customResource) []common.RouteContainer {
	var out []common.RouteContainer
	byGV := map[schema.GroupVersion]*routeContainer{}
	for i := range crs {
		gv := crs[i].GVK.GroupVersion()
		c := byGV[gv]
		if c == nil {
			c = &routeContainer{root: gvPath(gv)}
			byGV[gv] = c
			out = append(out, c)
		}
		c.routes = append(c.routes, customResourceRoutes(&crs[i])...)
	}
	return out
}

// customResourceDefinitions returns the generated built-in definitions
// plus the kind and list definitions of crs.
func customResourceDefinitions(crs []customResource, v2 bool) common.GetOpenAPIDefinitions {
	return func(ref common.ReferenceCallback) map[string]common.OpenAPIDefinition {
		defs := generated.GetOpenAPIDefinitions(ref)
		c := crdSchemas{v2: v2, typeMeta: defs[typeMetaModel].Schema.Properties}
		for i := range crs {
			cr := &crs[i]
			defs[cr.modelName()] = common.OpenAPIDefinition{Schema: *c.kind(cr), Dependencies: []string{objectMetaModel}}
			defs[cr.listModelName()] = common.OpenAPIDefinition{Schema: *c.list(cr), Dependencies: []string{listMetaModel, cr.modelName()}}
		}
		return defs
	}
}

// mergeV2 returns static with the paths and definitions of crds added, as
// upstream's MergeSpecs does: static paths win, a custom definition that
// clashes with a different built-in one is renamed (Foo_v2). Neither input
// is modified; the result shares their schemas.
func mergeV2(static, crds *spec.Swagger) (*spec.Swagger, error) {
	out := *static
	out.Definitions = maps.Clone(static.Definitions)
	out.Parameters = maps.Clone(static.Parameters)
	out.Paths = &spec.Paths{}
	if static.Paths != nil {
		out.Paths.VendorExtensible = static.Paths.VendorExtensible
		out.Paths.Paths = maps.Clone(static.Paths.Paths)
	}
	if err := aggregator.MergeSpecsIgnorePathConflictRenamingDefinitionsAndParameters(&out, crds); err != nil {
		return nil, fmt.Errorf("openapi: merging custom resources into v2: %w", err)
	}
	return &out, nil
}

// mergeV3 returns the document of a group version served by built-ins
// (base, nil if none) and custom resources (crds). Built-in paths and
// schemas win. Neither input is modified.
func mergeV3(base, crds *spec3.OpenAPI) *spec3.OpenAPI {
	if base == nil {
		return crds
	}
	out := *base
	out.Paths = &spec3.Paths{}
	if base.Paths != nil {
		out.Paths.VendorExtensible = base.Paths.VendorExtensible
		out.Paths.Paths = maps.Clone(base.Paths.Paths)
	}
	if out.Paths.Paths == nil {
		out.Paths.Paths = map[string]*spec3.Path{}
	}
	components := spec3.Components{}
	if base.Components != nil {
		components = *base.Components
	}
	components.Schemas = maps.Clone(components.Schemas)
	if components.Schemas == nil {
		components.Schemas = map[string]*spec.Schema{}
	}
	out.Components = &components
	for k, v := range crds.Paths.Paths {
		if _, ok := out.Paths.Paths[k]; !ok {
			out.Paths.Paths[k] = v
		}
	}
	for k, v := range crds.Components.Schemas {
		if _, ok := components.Schemas[k]; !ok {
			components.Schemas[k] = v
		}
	}
	return &out
}
