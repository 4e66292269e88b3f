package apiserver

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	restful "github.com/emicklei/go-restful/v3"
)

// A shape is the form of a resource path below its group version's root
// (/api/v1, /apis/<group>/<version>), with the resource and subresource
// as parameters.
type shape uint8

const (
	shapeRoot         shape = iota // /                 (the resource list)
	shapeCollection                // /pods
	shapeItem                      // /nodes/{name}
	shapeSub                       // /nodes/{name}/status
	shapeSubPath                   // /nodes/{name}/proxy/{path:*}
	shapeNSCollection              // /namespaces/{namespace}/pods
	shapeNSItem                    // /namespaces/{namespace}/pods/{name}
	shapeNSSub                     // /namespaces/{namespace}/pods/{name}/status
	shapeNSSubPath                 // /namespaces/{namespace}/pods/{name}/proxy/{path:*}
	numShapes
)

// shapeRoutes are the go-restful route paths of the shapes, and the
// positions of the resource and subresource among the path's segments
// below the root (-1: none).
var shapeRoutes = [numShapes]struct {
	path          string
	resource, sub int
}{
	shapeRoot:         {"/", -1, -1},
	shapeCollection:   {"/{resource}", 0, -1},
	shapeItem:         {"/{resource}/{name}", 0, -1},
	shapeSub:          {"/{resource}/{name}/{subresource}", 0, 2},
	shapeSubPath:      {"/{resource}/{name}/{subresource}/{path:*}", 0, 2},
	shapeNSCollection: {"/namespaces/{namespace}/{resource}", 2, -1},
	shapeNSItem:       {"/namespaces/{namespace}/{resource}/{name}", 2, -1},
	shapeNSSub:        {"/namespaces/{namespace}/{resource}/{name}/{subresource}", 2, 4},
	shapeNSSubPath:    {"/namespaces/{namespace}/{resource}/{name}/{subresource}/{path:*}", 2, 4},
}

// expand is the path shape names for one resource and subresource: the
// route path go-restful would be given for it alone.
func (sh shape) expand(resource, sub string) string {
	p := shapeRoutes[sh].path
	p = strings.Replace(p, "{resource}", resource, 1)
	return strings.Replace(p, "{subresource}", sub, 1)
}

// routeKey names one served route: method, group version root and the
// path's shape, resource and subresource.
type routeKey struct {
	method, root  string
	shape         shape
	resource, sub string
}

// routeTable holds the routes of the resources as data, and gives
// go-restful one route per shape and method instead of one per resource,
// subresource and method. go-restful compiles a regular expression for
// every route it is given (≈ 3 KB each; the built-ins' ~1,000 routes were
// ~4 MB of the idle heap). Each shape route matches the path as the
// per-resource routes did, and its If condition passes only if the
// table serves the path's resource and subresource with the route's
// method, so go-restful's choice (and its 404 or 405) is the one it made
// among the per-resource routes: TestShapeRoutesChooseAsPerResourceRoutes
// compares the two.
type routeTable struct {
	routes map[routeKey]restful.RouteFunction
	// methods are the methods each shape is served with.
	methods [numShapes]map[string]bool
}

func newRouteTable() *routeTable {
	return &routeTable{routes: map[routeKey]restful.RouteFunction{}}
}

// add serves method on the path of shape sh below root for resource and
// subresource sub. A second add of one route is an error (go-restful
// would have chosen one of the two by the order of its sort).
func (t *routeTable) add(method, root string, sh shape, resource, sub string, fn restful.RouteFunction) error {
	k := routeKey{method: method, root: root, shape: sh, resource: resource, sub: sub}
	if _, dup := t.routes[k]; dup {
		return fmt.Errorf("route %s %s%s registered twice", method, root, sh.expand(resource, sub))
	}
	t.routes[k] = fn
	if t.methods[sh] == nil {
		t.methods[sh] = map[string]bool{}
	}
	t.methods[sh][method] = true
	return nil
}

// install adds the shape routes to ws, whose root path is literal
// (/apis/stable.example.com/v1) or has parameters in place of the group
// and version (/apis/{group}/{version}); the table's roots are literal.
func (t *routeTable) install(ws *restful.WebService) {
	for sh := shapeRoot; sh < numShapes; sh++ {
		methods := make([]string, 0, len(t.methods[sh]))
		for m := range t.methods[sh] {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			ws.Route(ws.Method(m).Path(shapeRoutes[sh].path).Consumes("*/*").Produces("*/*").
				If(func(r *http.Request) bool { _, ok := t.lookup(m, sh, r.URL.Path); return ok }).
				To(t.dispatch(m, sh)))
		}
	}
}

// dispatch serves the shape route of method and sh: it hands the request
// to the function its resource and subresource have in the table.
func (t *routeTable) dispatch(method string, sh shape) restful.RouteFunction {
	return func(req *restful.Request, resp *restful.Response) {
		fn, ok := t.lookup(method, sh, req.Request.URL.Path)
		if !ok { // not reached: the route's If condition is the same lookup
			serviceError(restful.NewError(404, "404: Not Found"), req, resp)
			return
		}
		fn(req, resp)
	}
}

// lookup finds the function serving method on path p read as shape sh.
// p is a clean path (the server's mux redirects others) that has matched
// sh's route as go-restful splits paths (slashes at both ends trimmed,
// then split at each slash); lookup does not allocate.
func (t *routeTable) lookup(method string, sh shape, p string) (restful.RouteFunction, bool) {
	if len(p) < 2 || p[0] != '/' {
		return nil, false
	}
	rest := strings.TrimRight(p[1:], "/")
	// The root: api/<version> or apis/<group>/<version>.
	n := 3
	if strings.HasPrefix(rest, "api/") {
		n = 2
	}
	k := routeKey{method: method, shape: sh}
	rootLen := 0
	for i := 0; i < n; i++ {
		j := strings.IndexByte(rest[rootLen:], '/')
		if j < 0 {
			if i < n-1 {
				return nil, false
			}
			j = len(rest) - rootLen
		}
		rootLen += j
		if i < n-1 {
			rootLen++
		}
	}
	k.root = p[:1+rootLen]
	below := strings.TrimPrefix(rest[rootLen:], "/")
	at := shapeRoutes[sh]
	for i := 0; i <= at.resource || i <= at.sub; i++ {
		seg, next, _ := strings.Cut(below, "/")
		switch i {
		case at.resource:
			k.resource = seg
		case at.sub:
			k.sub = seg
		}
		below = next
	}
	fn, ok := t.routes[k]
	return fn, ok
}
