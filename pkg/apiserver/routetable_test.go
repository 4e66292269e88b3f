package apiserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	restful "github.com/emicklei/go-restful/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

type approvalStrategy struct{ generic.Strategy }

func (approvalStrategy) ApprovalStrategy() generic.Strategy { return nil }

// routeTestConfig is a Config whose routes are at least the server's: a
// store per resource, the connect subresources as pkg/nodeproxy
// registers them, and every other subresource registered both as a
// create and an update subresource.
func routeTestConfig() Config {
	cfg := Config{
		Stores:              map[schema.GroupVersionResource]*generic.Store{},
		CreateSubresources:  map[string]CreateHandler{},
		UpdateSubresources:  map[string]generic.Strategy{},
		SpecialCreates:      map[schema.GroupVersionResource]restful.RouteFunction{},
		ConnectSubresources: map[string]ConnectHandler{},
	}
	get, upgrade := []string{http.MethodGet}, []string{http.MethodGet, http.MethodPost}
	all := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions}
	for key, h := range map[string]ConnectHandler{
		"/v1, Resource=pods/log": {Methods: get}, "/v1, Resource=pods/exec": {Methods: upgrade},
		"/v1, Resource=pods/attach": {Methods: upgrade}, "/v1, Resource=pods/portforward": {Methods: upgrade},
		"/v1, Resource=pods/proxy": {Methods: all, SubPath: true}, "/v1, Resource=nodes/proxy": {Methods: all, SubPath: true},
		"/v1, Resource=services/proxy": {Methods: all, SubPath: true},
	} {
		cfg.ConnectSubresources[key] = h
	}
	noop := func(*restful.Request, *restful.Response) {}
	whoami, _ := SelfSubjectReviewHandler()
	cfg.SpecialCreates[whoami] = noop
	cfg.SpecialCreates[schema.GroupVersionResource{Version: "v1", Resource: "bindings"}] = noop
	for _, r := range api.Resources {
		st := &generic.Store{Resource: r}
		for _, sub := range r.Subresources {
			if sub.Name == "approval" {
				st.Strategy = approvalStrategy{}
			}
			key := r.GVR().String() + "/" + sub.Name
			if _, connect := cfg.ConnectSubresources[key]; connect {
				continue
			}
			cfg.CreateSubresources[key] = CreateHandler{}
			cfg.UpdateSubresources[key] = nil
		}
		cfg.Stores[r.GVR()] = st
	}
	return cfg
}

// marked answers with the route's name in X-Route and its namespace, name
// and path parameters (those the handlers read) in the body.
func marked(id string) restful.RouteFunction {
	return func(req *restful.Request, resp *restful.Response) {
		params := map[string]string{}
		for _, p := range []string{"namespace", "name", "path"} {
			if v, ok := req.PathParameters()[p]; ok {
				params[p] = v
			}
		}
		b, _ := json.Marshal(params)
		resp.Header().Set("X-Route", id)
		_, _ = resp.Write(b)
	}
}

// TestShapeRoutesChooseAsPerResourceRoutes: go-restful, given the route
// table's shape routes, chooses for every request what it chose when it
// was given one route per resource, subresource and method (as the
// server registered them before the table): the same route with the same
// namespace, name and path parameters, or the same 404 or 405 Status. The
// requests are every route's path with its parameters replaced by words
// that are other routes' segments or empty, with one or three more
// segments, one less, and a trailing slash, in every method.
func TestShapeRoutesChooseAsPerResourceRoutes(t *testing.T) {
	s := &Server{cfg: routeTestConfig()}
	table, err := s.builtinRoutes()
	if err != nil {
		t.Fatal(err)
	}

	// Before: a web service per group version, a route per table entry.
	before := restful.NewContainer()
	before.Router(restful.CurlyRouter{})
	before.ServiceErrorHandler(serviceError)
	services := map[string]*restful.WebService{}
	paths := map[string]bool{}
	keys := make([]routeKey, 0, len(table.routes))
	for k := range table.routes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { // registration order does not matter without duplicates
		a, b := keys[i], keys[j]
		return a.root+a.shape.expand(a.resource, a.sub)+a.method < b.root+b.shape.expand(b.resource, b.sub)+b.method
	})
	for _, k := range keys {
		ws := services[k.root]
		if ws == nil {
			ws = new(restful.WebService)
			ws.Path(k.root)
			services[k.root] = ws
		}
		p := k.shape.expand(k.resource, k.sub)
		id := k.method + " " + k.root + p
		ws.Route(ws.Method(k.method).Path(p).Consumes("*/*").Produces("*/*").To(marked(id)))
		table.routes[k] = marked(id)
		paths[strings.TrimSuffix(k.root+p, "/")] = true
	}
	for _, ws := range services {
		before.Add(ws)
	}
	if len(paths) < 200 {
		t.Fatalf("only %d route paths", len(paths))
	}

	// After: the shape routes in two web services, as New builds them.
	after := restful.NewContainer()
	after.Router(restful.CurlyRouter{})
	after.ServiceErrorHandler(serviceError)
	nroutes := 0
	for _, root := range []string{"/api/{version}", "/apis/{group}/{version}"} {
		ws := new(restful.WebService)
		ws.Path(root)
		table.install(ws)
		nroutes += len(ws.Routes())
		after.Add(ws)
	}
	t.Logf("%d routes before, %d after", len(table.routes), nroutes)

	requests := map[string]bool{}
	words := []string{"x", "", "namespaces", "status", "scale", "finalize", "pods", "binding", "proxy", "nodes"}
	for p := range paths {
		parts := strings.Split(p, "/")
		for i, w := range words {
			q := make([]string, len(parts))
			for j, part := range parts {
				q[j] = part
				if strings.HasPrefix(part, "{") {
					q[j] = words[(i+j)%len(words)]
				}
			}
			u := strings.Join(q, "/")
			requests[u] = true
			requests[u+"/"] = true
			requests[u+"/"+w] = true
			requests[u+"/"+w+"/a/b"] = true
			if k := strings.LastIndex(u, "/"); k > 0 {
				requests[u[:k]] = true
			}
		}
	}
	roots := map[string]bool{}
	for _, gv := range api.GroupVersions {
		roots[gvRoot(api.Resource{GroupVersion: gv})] = true
	}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions, "FOO"}
	compared, found := 0, 0
	for u := range requests {
		root := ""
		for r := range roots {
			if strings.HasPrefix(u, r+"/") {
				root = r
			}
		}
		if root == "" || strings.Contains(u, "//") {
			// The server's mux sends it elsewhere, or redirects it
			// to the clean path first.
			continue
		}
		for _, m := range methods {
			want, got := httptest.NewRecorder(), httptest.NewRecorder()
			before.ServeHTTP(want, httptest.NewRequest(m, u, nil))
			after.ServeHTTP(got, httptest.NewRequest(m, u, nil))
			compared++
			if want.Code == http.StatusOK {
				found++
			}
			if want.Code != got.Code || want.Header().Get("X-Route") != got.Header().Get("X-Route") || want.Body.String() != got.Body.String() {
				t.Errorf("%s %s: per-resource routes %d %q %s; shape routes %d %q %s", m, u,
					want.Code, want.Header().Get("X-Route"), want.Body, got.Code, got.Header().Get("X-Route"), got.Body)
			}
		}
	}
	if found < len(table.routes) {
		t.Errorf("only %d requests of %d found a route; %d routes", found, compared, len(table.routes))
	}
	t.Logf("%d route paths, %d requests compared, %d found a route", len(paths), compared, found)
}
