package apiserver

import (
	"path"
	"strings"

	restful "github.com/emicklei/go-restful/v3"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// gvRoot is the URL root of a group version: /api/v1 or /apis/<g>/<v>.
func gvRoot(r api.Resource) string {
	if r.GroupVersion.Group == "" {
		return "/api/" + r.GroupVersion.Version
	}
	return "/apis/" + r.GroupVersion.Group + "/" + r.GroupVersion.Version
}

// installResource adds the routes of one resource and its subresources to
// its group version's web service:
//
//	GET    …/namespaces/{namespace}/pods            list or watch
//	POST   …/namespaces/{namespace}/pods            create
//	DELETE …/namespaces/{namespace}/pods            deletecollection
//	GET    …/pods                                   list or watch in all namespaces
//	GET|PUT|PATCH|DELETE …/namespaces/{namespace}/pods/{name}
//	GET|PUT|PATCH …/pods/{name}/status, …/scale, …/ephemeralcontainers;
//	POST …/binding, …/eviction
//
// types are the resource's Types: the scheme's (builtinTypes) or a
// custom resource version's.
func (s *Server) installResource(ws *restful.WebService, store *generic.Store, types Types) {
	r := store.Resource
	main := &endpoint{store: store, strategy: store.Strategy, types: types}
	collection := "/" + r.Name
	if r.Namespaced {
		collection = "/namespaces/{namespace}/" + r.Name
	}
	item := collection + "/{name}"
	route := func(b *restful.RouteBuilder, op string) *restful.RouteBuilder {
		return b.Operation(op + r.Kind).Consumes("*/*").Produces("*/*")
	}
	has := func(verb string) bool {
		for _, v := range r.Verbs {
			if v == verb {
				return true
			}
		}
		return false
	}
	if special, ok := s.cfg.SpecialCreates[r.GVR()]; ok {
		ws.Route(route(ws.POST(collection), "create").To(special))
		return
	}
	if has("list") {
		ws.Route(route(ws.GET(collection), "list").To(main.list))
		if r.Namespaced {
			ws.Route(route(ws.GET("/"+r.Name), "listAllNamespaces").To(main.list))
		}
	}
	if has("create") {
		ws.Route(route(ws.POST(collection), "create").To(main.create))
	}
	if has("deletecollection") {
		ws.Route(route(ws.DELETE(collection), "deletecollection").To(main.deleteCollection))
	}
	if has("get") {
		ws.Route(route(ws.GET(item), "read").To(main.get))
		ws.Route(route(ws.PUT(item), "replace").To(main.update))
		ws.Route(route(ws.PATCH(item), "patch").To(main.patch))
		ws.Route(route(ws.DELETE(item), "delete").To(main.delete))
	}
	prefix := r.GVR().String() + "/"
	for key, h := range s.cfg.ConnectSubresources {
		sub, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		p := path.Join(item, sub)
		for _, m := range h.Methods {
			ws.Route(route(ws.Method(m).Path(p), "connect"+sub).To(h.route))
			if h.SubPath {
				ws.Route(route(ws.Method(m).Path(p+"/{path:*}"), "connect"+sub+"WithPath").To(h.route))
			}
		}
	}
	for _, sub := range r.Subresources {
		p := path.Join(item, sub.Name)
		switch sub.Name {
		case "status":
			e := &endpoint{store: store, sub: "status", strategy: generic.ForStatus(store.Strategy), types: types}
			ws.Route(route(ws.GET(p), "readStatus").To(e.get))
			ws.Route(route(ws.PUT(p), "replaceStatus").To(e.update))
			ws.Route(route(ws.PATCH(p), "patchStatus").To(e.patch))
		case "approval":
			// CSRs: writes change status.conditions only.
			a, ok := store.Strategy.(interface{ ApprovalStrategy() generic.Strategy })
			if !ok {
				continue
			}
			e := &endpoint{store: store, sub: "approval", strategy: a.ApprovalStrategy(), types: types}
			ws.Route(route(ws.GET(p), "readApproval").To(e.get))
			ws.Route(route(ws.PUT(p), "replaceApproval").To(e.update))
			ws.Route(route(ws.PATCH(p), "patchApproval").To(e.patch))
		case "scale":
			e := &scaleEndpoint{endpoint: endpoint{store: store, sub: "scale", strategy: store.Strategy, types: types}}
			ws.Route(route(ws.GET(p), "readScale").To(e.get))
			ws.Route(route(ws.PUT(p), "replaceScale").To(e.update))
			ws.Route(route(ws.PATCH(p), "patchScale").To(e.patch))
		default:
			if ss, ok := store.Strategy.(generic.SubresourceStrategist); ok {
				if strategy := ss.SubresourceStrategy(sub.Name); strategy != nil {
					// pods/ephemeralcontainers: the object itself,
					// written through the subresource's strategy.
					e := &endpoint{store: store, sub: sub.Name, strategy: strategy, types: types}
					ws.Route(route(ws.GET(p), "read"+sub.Name).To(e.get))
					ws.Route(route(ws.PUT(p), "replace"+sub.Name).To(e.update))
					ws.Route(route(ws.PATCH(p), "patch"+sub.Name).To(e.patch))
					continue
				}
			}
			key := r.GVR().String() + "/" + sub.Name
			for _, verb := range sub.Verbs {
				switch verb {
				case "create":
					if h, ok := s.cfg.CreateSubresources[key]; ok {
						ws.Route(route(ws.POST(p), "create"+sub.Name).To(h.Serve))
					}
				case "update":
					if strategy, ok := s.cfg.UpdateSubresources[key]; ok {
						e := &endpoint{store: store, sub: sub.Name, strategy: strategy, types: types}
						ws.Route(route(ws.PUT(p), "replace"+sub.Name).To(e.update))
					}
				}
			}
		}
	}
}

// builtinTypes are the Types of a built-in resource served from store.
func (s *Server) builtinTypes(store *generic.Store) Types {
	return schemeTypes{resource: store.Resource, new: store.New, returnsDeleted: store.Resource.ReturnsDeletedObject, scaler: store.Scaler}
}
