package openapi

import (
	"fmt"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/builder"
	"k8s.io/kube-openapi/pkg/builder3"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/handler"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/util"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/openapi/generated"
	"github.com/tinykube/tinykube/pkg/version"
)

// Builder turns a resource table into OpenAPI documents. It is cheap to
// create; each Build call does the expensive work. Build methods must not be
// called concurrently (the kube-openapi builders share definition maps).
type Builder struct {
	scheme    *runtime.Scheme
	resources []api.Resource

	namerOnce sync.Once
	namer     *definitionNamer
}

// NewBuilder returns a Builder for resources whose kinds are registered in
// scheme (normally api.Scheme and api.Resources).
func NewBuilder(scheme *runtime.Scheme, resources []api.Resource) *Builder {
	return &Builder{scheme: scheme, resources: resources}
}

// definitionNamer returns the namer of the builder's scheme, made once.
func (b *Builder) definitionNamer() *definitionNamer {
	b.namerOnce.Do(func() { b.namer = newDefinitionNamer(b.scheme) })
	return b.namer
}

// GroupVersions returns the group versions that serve at least one
// resource, in table order.
func (b *Builder) GroupVersions() []schema.GroupVersion {
	var out []schema.GroupVersion
	seen := map[schema.GroupVersion]bool{}
	for _, r := range b.resources {
		if !seen[r.GroupVersion] {
			seen[r.GroupVersion] = true
			out = append(out, r.GroupVersion)
		}
	}
	return out
}

// GroupVersionPath is the name of a group version under /openapi/v3: "api/v1" or
// "apis/apps/v1".
func GroupVersionPath(gv schema.GroupVersion) string {
	return strings.TrimPrefix(gvPath(gv), "/")
}

func (b *Builder) routes(gvs ...schema.GroupVersion) ([]common.RouteContainer, error) {
	out := make([]common.RouteContainer, 0, len(gvs))
	for _, gv := range gvs {
		c, err := routesFor(b.scheme, gv, b.resources)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func info() *spec.Info {
	return &spec.Info{InfoProps: spec.InfoProps{Title: "Kubernetes", Version: version.GitVersion}}
}

// BuildV2 builds the single Swagger 2.0 document served at /openapi/v2:
// every path of every group version, and the definitions they reach.
func (b *Builder) BuildV2() (*spec.Swagger, error) {
	routes, err := b.routes(b.GroupVersions()...)
	if err != nil {
		return nil, err
	}
	unauthorized := spec.Response{ResponseProps: spec.ResponseProps{Description: "Unauthorized"}}
	return builder.BuildOpenAPISpecFromRoutes(routes, &common.Config{
		Info:                           info(),
		ProtocolList:                   []string{"https"},
		CommonResponses:                map[int]spec.Response{401: unauthorized},
		GetDefinitions:                 generated.GetOpenAPIDefinitions,
		GetDefinitionName:              b.definitionNamer().name,
		GetOperationIDAndTagsFromRoute: operationIDAndTags,
		SecurityDefinitions: &spec.SecurityDefinitions{"BearerToken": &spec.SecurityScheme{
			SecuritySchemeProps: spec.SecuritySchemeProps{
				Type: "apiKey", Name: "authorization", In: "header",
				Description: "Bearer Token authentication",
			},
		}},
		DefaultSecurity: []map[string][]string{{"BearerToken": {}}},
		// Swagger 2.0 consumers predate the defaults openapi-gen records
		// (most are zero values); upstream strips them from v2 too.
		PostProcessSpec: func(s *spec.Swagger) (*spec.Swagger, error) {
			s.Definitions = handler.PruneDefaults(s.Definitions)
			return s, nil
		},
	})
}

// BuildV3 builds the OpenAPI 3.0 documents served under /openapi/v3, keyed
// by GroupVersionPath. Each document holds one group version's paths and only the
// component schemas they reach.
func (b *Builder) BuildV3() (map[string]*spec3.OpenAPI, error) {
	config := b.v3Config()
	out := map[string]*spec3.OpenAPI{}
	for _, gv := range b.GroupVersions() {
		routes, err := b.routes(gv)
		if err != nil {
			return nil, err
		}
		doc, err := builder3.BuildOpenAPISpecFromRoutes(routes, config)
		if err != nil {
			return nil, fmt.Errorf("openapi: building v3 for %v: %w", gv, err)
		}
		out[GroupVersionPath(gv)] = doc
	}
	return out, nil
}

func (b *Builder) v3Config() *common.OpenAPIV3Config {
	namer := b.definitionNamer()
	// Generate the definitions once for all group versions; refs point at
	// #/components/schemas/.
	defs := generated.GetOpenAPIDefinitions(func(name string) spec.Ref {
		n, _ := namer.name(name)
		return spec.MustCreateRef("#/components/schemas/" + common.EscapeJsonPointer(n))
	})
	return &common.OpenAPIV3Config{
		Info: info(),
		CommonResponses: map[int]*spec3.Response{
			401: {ResponseProps: spec3.ResponseProps{Description: "Unauthorized"}},
		},
		Definitions:                    defs,
		GetDefinitionName:              namer.name,
		GetOperationIDAndTagsFromRoute: operationIDAndTags,
		SecuritySchemes: spec3.SecuritySchemes{"BearerToken": &spec3.SecurityScheme{
			SecuritySchemeProps: spec3.SecuritySchemeProps{
				Type: "apiKey", Name: "authorization", In: "header",
				Description: "Bearer Token authentication",
			},
		}},
		DefaultSecurity: []map[string][]string{{"BearerToken": {}}},
	}
}

// Schemas returns the OpenAPI v3 schemas of every kind the builder's
// resources serve (and of everything they reference), keyed by definition
// name — the input managedfields.NewTypeConverter needs for server-side
// apply.
func (b *Builder) Schemas() (map[string]*spec.Schema, error) {
	seen := map[string]bool{}
	var names []string
	addKind := func(gvk schema.GroupVersionKind) error {
		obj, err := b.scheme.New(gvk)
		if err != nil {
			return fmt.Errorf("openapi: %v has no Go type: %w", gvk, err)
		}
		if n := util.GetCanonicalTypeName(obj); !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
		return nil
	}
	for _, r := range b.resources {
		if err := addKind(r.GVK()); err != nil {
			return nil, err
		}
		for _, s := range r.Subresources {
			if err := addKind(s.Kind); err != nil {
				return nil, err
			}
		}
	}
	return builder3.BuildOpenAPIDefinitionsForResources(b.v3Config(), names...)
}
