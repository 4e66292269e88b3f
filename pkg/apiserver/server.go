package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"strings"
	"sync/atomic"

	restful "github.com/emicklei/go-restful/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/authz"
	"github.com/tinykube/tinykube/pkg/registry/generic"
	"github.com/tinykube/tinykube/pkg/version"
)

// Config is what the API server is built from.
type Config struct {
	// Stores serve the resources, keyed by group/version/resource.
	Stores map[schema.GroupVersionResource]*generic.Store
	// Authenticator identifies callers; nil admits everyone as anonymous
	// (tests only).
	Authenticator authn.Authenticator
	Authorizer    authz.Authorizer
	// OpenAPI serves /openapi/v2 and /openapi/v3; nil leaves them 404.
	OpenAPI http.Handler
	// MaxRequestsInFlight bounds concurrent non-watch requests; beyond it
	// the server answers 429 with Retry-After. 0 means 400.
	MaxRequestsInFlight int
	// Profiling serves /debug/pprof (to authenticated users).
	Profiling bool
	// LivezChecks are the checks of /livez and /healthz, ReadyzChecks
	// those of /readyz, after upstream's "ping" and "log" (healthz.go).
	LivezChecks, ReadyzChecks []HealthCheck
	// Subresources other than status, scale and approval, keyed
	// "<gvr>/<sub>" (as schema.GroupVersionResource.String() spells the
	// gvr): those whose verb is create (pods/binding, pods/eviction) and
	// those whose verb is update, each with its write strategy
	// (namespaces/finalize). The HTTP layer knows none of them.
	CreateSubresources map[string]CreateHandler
	UpdateSubresources map[string]generic.Strategy
	// ConnectSubresources, keyed "<gvr>/<sub>" as above, hand requests
	// on to another server (pods/log, pods/exec, nodes/proxy…).
	ConnectSubresources map[string]ConnectHandler
	// SpecialCreates serve the resources whose only verb is create
	// (bindings, selfsubjectreviews, the access and token reviews).
	SpecialCreates map[schema.GroupVersionResource]restful.RouteFunction
	// ShuttingDown, closed when the server stops accepting new
	// requests, ends the watches and other long-running requests in
	// flight cleanly (shutdown.go); nil never does.
	ShuttingDown <-chan struct{}
}

// Server is the HTTP side of the API server. Build it with New; serve
// Handler() over TLS.
type Server struct {
	cfg       Config
	container *restful.Container
	handler   http.Handler
	// crs is the current snapshot of served custom resources
	// (customresources.go).
	crs atomic.Pointer[crState]
	// aggregated caches the encoded aggregated discovery documents.
	aggCache aggregatedCache
}

// New builds the routes for every store.
func New(cfg Config) (*Server, error) {
	if cfg.MaxRequestsInFlight == 0 {
		cfg.MaxRequestsInFlight = 400
	}
	s := &Server{cfg: cfg, container: restful.NewContainer()}
	s.container.Router(restful.CurlyRouter{})
	s.container.ServiceErrorHandler(serviceError)

	// The built-in group versions share two web services, /api/{version}
	// and /apis/{group}/{version}, whose routes are the table's shapes.
	t, err := s.builtinRoutes()
	if err != nil {
		return nil, err
	}
	for _, root := range []string{"/api/{version}", "/apis/{group}/{version}"} {
		ws := new(restful.WebService)
		ws.Path(root)
		t.install(ws)
		s.container.Add(ws)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/api", exactly("/api", s.serveAPIVersions))
	mux.HandleFunc("/api/", exactly("/api", s.serveAPIVersions))
	mux.HandleFunc("/apis", exactly("/apis", s.serveAPIGroupList))
	mux.HandleFunc("/apis/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/apis/" {
			getOnly(s.serveAPIGroupList)(w, r)
			return
		}
		s.serveCustom(w, r) // custom resources, or 404
	})
	for _, gv := range api.GroupVersions {
		if gv.Group != "" && preferred(gv) {
			mux.HandleFunc("/apis/"+gv.Group, exactly("/apis/"+gv.Group, s.serveAPIGroup(gv)))
			mux.HandleFunc("/apis/"+gv.Group+"/", exactly("/apis/"+gv.Group, s.serveAPIGroup(gv)))
		}
		prefix := gvRoot(api.Resource{GroupVersion: gv})
		mux.Handle(prefix, getOnly(s.serveResourceList(gv)))
		mux.Handle(prefix+"/", s.container)
	}
	registerHealth(mux, "healthz", cfg.LivezChecks)
	registerHealth(mux, "livez", cfg.LivezChecks)
	registerHealth(mux, "readyz", cfg.ReadyzChecks)
	if cfg.Profiling {
		// As upstream's --profiling (on by default): pprof for
		// authenticated, authorized callers only.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("/version", getOnly(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.MarshalIndent(version.Get(), "", "  ")
		_, _ = w.Write(b)
	}))
	if cfg.OpenAPI != nil {
		mux.Handle("/openapi/", cfg.OpenAPI)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		err := apierrors.NewNotFound(schema.GroupResource{}, "")
		err.ErrStatus.Message = "the server could not find the requested resource"
		writeError(w, r, err)
	})

	var h http.Handler = mux
	h = withBodyLimit(h)
	h = withAdmissionWarnings(h)
	h = withAuthorization(h, cfg.Authorizer, connectVerbs(cfg.ConnectSubresources))
	if cfg.Authenticator != nil {
		h = authz.WithImpersonation(h, cfg.Authorizer)
		h = authn.WithAuthentication(h, cfg.Authenticator)
	}
	h = withWarmStacks(h)
	h = withShutdownSignal(h, cfg.ShuttingDown)
	h = withInFlightLimit(h, cfg.MaxRequestsInFlight)
	h = withPanicRecovery(h)
	s.handler = h
	return s, nil
}

// builtinRoutes is the table of every built-in resource's routes, and
// of each built-in group version's resource list.
func (s *Server) builtinRoutes() (*routeTable, error) {
	t := newRouteTable()
	for _, gv := range api.GroupVersions {
		if err := t.add(http.MethodGet, gvRoot(api.Resource{GroupVersion: gv}), shapeRoot, "", "", wrap(s.serveResourceList(gv))); err != nil {
			return nil, err
		}
	}
	for _, r := range api.Resources {
		store, ok := s.cfg.Stores[r.GVR()]
		if !ok {
			if _, special := s.cfg.SpecialCreates[r.GVR()]; !special {
				return nil, fmt.Errorf("no store for %v", r.GVR())
			}
			store = &generic.Store{Resource: r}
		}
		if err := s.installResource(t, store, s.builtinTypes(store)); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// serviceError writes go-restful's routing errors as upstream's Statuses.
func serviceError(se restful.ServiceError, req *restful.Request, resp *restful.Response) {
	var err error
	switch se.Code {
	case http.StatusNotFound:
		err = errUnknownPath()
	case http.StatusMethodNotAllowed:
		err = methodNotAllowed(req.Request)
	default:
		err = apierrors.NewGenericServerResponse(se.Code, req.Request.Method, schema.GroupResource{}, "", se.Message, 0, false)
	}
	writeError(resp.ResponseWriter, req.Request, err)
}

// Handler returns the server's root handler, filters included.
func (s *Server) Handler() http.Handler { return s.handler }

// wrap adapts an http.HandlerFunc to a go-restful route.
func wrap(h http.HandlerFunc) restful.RouteFunction {
	return func(req *restful.Request, resp *restful.Response) { h(resp.ResponseWriter, req.Request) }
}

// withPanicRecovery turns a handler panic into a 500 Status instead of a
// dropped connection, and logs the stack.
func withPanicRecovery(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				stack := debug.Stack()
				if hp, ok := p.(*handlerPanic); ok { // raised on a warm-stack worker
					p, stack = hp.value, hp.stack
				}
				if p == http.ErrAbortHandler {
					panic(p)
				}
				fmt.Printf("panic serving %s %s: %v\n%s", r.Method, r.URL, p, stack)
				writeError(w, r, apierrors.NewInternalError(fmt.Errorf("%v", p)))
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// withInFlightLimit answers 429 with Retry-After once max non-long-running
// requests are in flight, rather than queueing without bound.
func withInFlightLimit(h http.Handler, max int) http.Handler {
	sem := make(chan struct{}, max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isLongRunning(r) {
			h.ServeHTTP(w, r)
			return
		}
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
			h.ServeHTTP(w, r)
		default:
			writeError(w, r, apierrors.NewTooManyRequests("too many requests, please try again later", 1))
		}
	})
}

// isLongRunning reports watches, protocol upgrades (exec, attach,
// port-forward) and followed logs, which are not counted in flight.
func isLongRunning(r *http.Request) bool {
	q := r.URL.Query()
	return q.Get("watch") == "true" || q.Get("watch") == "1" || strings.Contains(r.URL.Path, "/watch/") ||
		r.Header.Get("Upgrade") != "" || (q.Get("follow") == "true" || q.Get("follow") == "1") && strings.HasSuffix(r.URL.Path, "/log")
}

// withBodyLimit caps request bodies; readers see *http.MaxBytesError.
func withBodyLimit(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxRequestBodyBytes {
			writeError(w, r, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", MaxRequestBodyBytes)))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBodyBytes+1)
		}
		h.ServeHTTP(w, r)
	})
}

// withAdmissionWarnings gives writes a warning sink: what admission
// plugins report with generic.AddWarning becomes a Warning header.
func withAdmissionWarnings(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			r = r.WithContext(generic.WithWarnings(r.Context(), func(msg string) { AddWarning(w, msg) }))
		}
		h.ServeHTTP(w, r)
	})
}

// errUnknownPath is upstream's 404 for a path no route serves.
func errUnknownPath() error {
	err := apierrors.NewNotFound(schema.GroupResource{}, "")
	err.ErrStatus.Message = "the server could not find the requested resource"
	return err
}

// exactly serves h on path and path+"/" only. The mux routes every path
// under a discovery prefix to it; deeper paths (an unknown group, version
// or resource) are 404, not the discovery document.
func exactly(path string, h http.HandlerFunc) http.HandlerFunc {
	get := getOnly(h)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path && r.URL.Path != path+"/" {
			writeError(w, r, errUnknownPath())
			return
		}
		get(w, r)
	}
}

// getOnly answers any method but GET with 405, as upstream's go-restful
// routes for discovery and /version do.
func getOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			writeError(w, r, methodNotAllowed(r))
			return
		}
		h(w, r)
	}
}

// methodNotAllowed is upstream's 405 for a method a path does not serve.
func methodNotAllowed(r *http.Request) error {
	return apierrors.NewGenericServerResponse(http.StatusMethodNotAllowed, r.Method, schema.GroupResource{}, "", "", 0, false)
}
