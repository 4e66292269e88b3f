package openapi

import (
	"net/http"
	"strings"
	"sync"

	"github.com/NYTimes/gziphandler"
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
// first request for them and cached for the life of the handler (they never
// change: the resource table is static). It is safe for concurrent use.
//
//   - /openapi/v2: one Swagger 2.0 document, JSON by default, protobuf for
//     Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf
//     (kubectl asks only for protobuf); ETag, gzip.
//   - /openapi/v3: {"paths":{"apis/apps/v1":{"serverRelativeURL":
//     "/openapi/v3/apis/apps/v1?hash=…"},…}}.
//   - /openapi/v3/<api/v1|apis/<group>/<version>>: one OpenAPI 3.0 document
//     per group version, JSON or protobuf
//     (application/com.github.proto-openapi.spec.v3@v1.0+protobuf), gzip; with a
//     matching ?hash= it is served as immutable, with a stale hash it
//     redirects to the current one.
func NewHandler(resources []api.Resource) (http.Handler, error) {
	b := NewBuilder(api.Scheme, resources)
	gvs := b.GroupVersions()
	if _, err := b.routes(gvs...); err != nil {
		return nil, err
	}

	// The kube-openapi builders share definition maps between documents,
	// so builds run one at a time.
	var buildMu sync.Mutex
	v2Spec := cached.Once(cached.Func(func() (*spec.Swagger, string, error) {
		buildMu.Lock()
		defer buildMu.Unlock()
		s, err := b.BuildV2()
		return s, "static", err
	}))
	v3Specs := cached.Once(cached.Func(func() (map[string]*spec3.OpenAPI, string, error) {
		buildMu.Lock()
		defer buildMu.Unlock()
		docs, err := b.BuildV3()
		return docs, "static", err
	}))

	mux := http.NewServeMux()
	handler.NewOpenAPIServiceLazy(v2Spec).RegisterOpenAPIVersionedService(V2Path, mux)

	v3 := handler3.NewOpenAPIService()
	known := map[string]bool{}
	for _, gv := range gvs {
		name := GroupVersionPath(gv)
		known[name] = true
		v3.UpdateGroupVersionLazy(name, cached.Transform(
			func(docs map[string]*spec3.OpenAPI, etag string, err error) (*spec3.OpenAPI, string, error) {
				return docs[name], etag, err
			}, v3Specs))
	}
	mux.HandleFunc(V3Path, v3.HandleDiscovery)
	// handler3 leaves compression to the server (v2's handler gzips by
	// itself); the api/v1 document is over 1 MB of JSON.
	mux.Handle(v3PathPrefix, gziphandler.GzipHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// handler3 answers an empty 200 for unknown group versions; say 404.
		if !known[strings.TrimPrefix(r.URL.Path, v3PathPrefix)] {
			http.NotFound(w, r)
			return
		}
		v3.HandleGroupVersion(w, r)
	})))
	return mux, nil
}
