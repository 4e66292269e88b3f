package openapi

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/NYTimes/gziphandler"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/cached"
	"k8s.io/kube-openapi/pkg/handler"
	"k8s.io/kube-openapi/pkg/handler3"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/tinykube/tinykube/pkg/api"
)

// Paths NewHandler serves.
const (
	V2Path       = "/openapi/v2"
	V3Path       = "/openapi/v3"
	v3PathPrefix = V3Path + "/"
)

// Handler serves /openapi/v2 and /openapi/v3[/…]: the built-in API, plus
// the custom resources last passed to SetCustomResources.
type Handler struct {
	builder *Builder
	mux     *http.ServeMux
	v3      *handler3.OpenAPIService

	// The built-in documents, built on first use and kept.
	staticV2 cached.Value[*spec.Swagger]
	staticV3 cached.Value[map[string]*spec3.OpenAPI]
	builtin  map[string]bool // GroupVersionPaths of built-in group versions

	// crdV2 is the v2 document of the custom resources alone (nil value
	// when there are none), tagged with the set's fingerprint.
	crdV2 cached.Atomic[*spec.Swagger]
	// known holds the GroupVersionPaths /openapi/v3/ answers.
	known atomic.Pointer[map[string]bool]

	mu      sync.Mutex // serializes SetCustomResources; guards below
	current *customResourceSet
	entries map[string]*crdEntry // by CRD name
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns the handler of /openapi/v2 and /openapi/v3[/…] for
// resources (normally api.Resources), whose kinds must be registered in
// api.Scheme. Mount it on the three paths it answers, e.g.
//
//	h, err := openapi.NewHandler(api.Resources)
//	mux.Handle(openapi.V2Path, h)
//	mux.Handle(openapi.V3Path, h)
//	mux.Handle(openapi.V3Path+"/", h)
//
// The resource table is checked at once; the documents are built on the
// first request for them and cached until SetCustomResources changes what
// they hold. It is safe for concurrent use.
//
//   - /openapi/v2: one Swagger 2.0 document, JSON by default, protobuf for
//     Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf
//     (kubectl asks only for protobuf); ETag, gzip.
//   - /openapi/v3: {"paths":{"apis/apps/v1":{"serverRelativeURL":
//     "/openapi/v3/apis/apps/v1?hash=…"},…}}; the hash is that of the
//     document's content.
//   - /openapi/v3/<api/v1|apis/<group>/<version>>: one OpenAPI 3.0 document
//     per group version, JSON or protobuf
//     (application/com.github.proto-openapi.spec.v3@v1.0+protobuf), gzip; with a
//     matching ?hash= it is served as immutable, with a stale hash it
//     redirects to the current one.
func NewHandler(resources []api.Resource) (*Handler, error) {
	b := NewBuilder(api.Scheme, resources)
	gvs := b.GroupVersions()
	if _, err := b.routes(gvs...); err != nil {
		return nil, err
	}
	h := &Handler{builder: b, mux: http.NewServeMux(), v3: handler3.NewOpenAPIService(),
		builtin: map[string]bool{}, current: &customResourceSet{}}

	// The kube-openapi builders share definition maps between documents,
	// so builds of the built-in documents run one at a time.
	var buildMu sync.Mutex
	h.staticV2 = cached.Once(cached.Func(func() (*spec.Swagger, string, error) {
		buildMu.Lock()
		defer buildMu.Unlock()
		s, err := b.BuildV2()
		return s, "static", err
	}))
	h.staticV3 = cached.Once(cached.Func(func() (map[string]*spec3.OpenAPI, string, error) {
		buildMu.Lock()
		defer buildMu.Unlock()
		docs, err := b.BuildV3()
		return docs, "static", err
	}))
	h.crdV2.Store(cached.Static[*spec.Swagger](nil, ""))
	v2 := cached.MergeList(func(rs []cached.Result[*spec.Swagger]) (*spec.Swagger, string, error) {
		static, crds := rs[0], rs[1]
		switch {
		case static.Err != nil:
			return nil, "", static.Err
		case crds.Err != nil:
			return nil, "", crds.Err
		case crds.Value == nil:
			return static.Value, static.Etag, nil
		}
		merged, err := mergeV2(static.Value, crds.Value)
		return merged, static.Etag + "+" + crds.Etag, err
	}, []cached.Value[*spec.Swagger]{h.staticV2, &h.crdV2})
	handler.NewOpenAPIServiceLazy(v2).RegisterOpenAPIVersionedService(V2Path, h.mux)

	known := map[string]bool{}
	for _, gv := range gvs {
		name := GroupVersionPath(gv)
		h.builtin[name], known[name] = true, true
		h.v3.UpdateGroupVersionLazy(name, h.builtinV3(name))
	}
	h.known.Store(&known)
	h.mux.HandleFunc(V3Path, h.v3.HandleDiscovery)
	// handler3 leaves compression to the server (v2's handler gzips by
	// itself); the api/v1 document is over 1 MB of JSON.
	h.mux.Handle(v3PathPrefix, gziphandler.GzipHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// handler3 answers an empty 200 for unknown group versions; say 404.
		if !(*h.known.Load())[strings.TrimPrefix(r.URL.Path, v3PathPrefix)] {
			http.NotFound(w, r)
			return
		}
		h.v3.HandleGroupVersion(w, r)
	})))
	return h, nil
}

// ServeHTTP serves the paths listed at NewHandler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// builtinV3 is the lazily built document of a built-in group version.
func (h *Handler) builtinV3(name string) cached.Value[*spec3.OpenAPI] {
	return cached.Transform(func(docs map[string]*spec3.OpenAPI, etag string, err error) (*spec3.OpenAPI, string, error) {
		return docs[name], etag, err
	}, h.staticV3)
}

// SetCustomResources publishes the custom resources of crds — every
// served version, with its schema, list kind and paths — in place of those
// passed before; a CRD left out is withdrawn. Pass the complete current
// set of established CRDs whenever it changes; the caller may keep using
// (but must not modify) the CRDs afterwards.
//
// It is cheap: a CRD whose uid and resourceVersion did not change is not
// looked at again, a group version whose custom resources did not change
// keeps its documents, and nothing is built here — documents are rebuilt
// on their next request. It is safe to call concurrently with serving and
// with itself.
func (h *Handler) SetCustomResources(crds []*apiextensionsv1.CustomResourceDefinition) {
	h.mu.Lock()
	defer h.mu.Unlock()
	entries, changed := collectCustomResources(crds, h.entries)
	if !changed {
		return
	}
	h.entries = entries
	next := newCustomResourceSet(entries)
	if next.sum == h.current.sum {
		return
	}

	dirty := map[schema.GroupVersion]bool{}
	for gv, sum := range next.gvSum {
		if h.current.gvSum[gv] != sum {
			dirty[gv] = true
		}
	}
	for gv := range h.current.gvSum {
		if _, ok := next.gvSum[gv]; !ok {
			dirty[gv] = true
		}
	}
	known := make(map[string]bool, len(h.builtin)+len(next.gvSum))
	for name := range h.builtin {
		known[name] = true
	}
	for gv := range next.gvSum {
		known[GroupVersionPath(gv)] = true
	}
	for gv := range dirty {
		name := GroupVersionPath(gv)
		switch crs, sum := next.byGV[gv], next.gvSum[gv]; {
		case len(crs) > 0:
			h.v3.UpdateGroupVersionLazy(name, h.customV3(name, crs, sum))
		case h.builtin[name]:
			h.v3.UpdateGroupVersionLazy(name, h.builtinV3(name))
		default:
			h.v3.DeleteGroupVersion(name)
		}
	}
	h.known.Store(&known)

	if next.sum == "" {
		h.crdV2.Store(cached.Static[*spec.Swagger](nil, ""))
	} else {
		var all []customResource
		for _, crs := range next.byGV {
			all = append(all, crs...)
		}
		h.crdV2.Store(cached.Once(cached.Func(func() (*spec.Swagger, string, error) {
			sw, err := h.builder.customResourcesV2(all)
			return sw, next.sum, err
		})))
	}
	h.current = next
}

// customV3 is the lazily built document of a group version with custom
// resources crs (and possibly built-ins), tagged with their fingerprint.
func (h *Handler) customV3(name string, crs []customResource, sum string) cached.Value[*spec3.OpenAPI] {
	return cached.Once(cached.Func(func() (*spec3.OpenAPI, string, error) {
		var base *spec3.OpenAPI
		if h.builtin[name] {
			docs, _, err := h.staticV3.Get()
			if err != nil {
				return nil, "", err
			}
			base = docs[name]
		}
		doc, err := h.builder.customResourcesV3(crs)
		if err != nil {
			return nil, "", err
		}
		return mergeV3(base, doc), sum, nil
	}))
}
