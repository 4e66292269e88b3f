package apiserver

import (
	"net/http"
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

// installResource adds the routes of one resource and its subresources
// to t, below its group version's root:
//
//	GET    …/namespaces/{namespace}/pods            list or watch
//	POST   …/namespaces/{namespace}/pods            create
//	DELETE …/namespaces/{namespace}/pods            deletecollection
//	GET    …/pods                                   list or watch in all namespaces
//	GET|PUT|PATCH|DELETE …/namespaces/{namespace}/pods/{name}
//	GET|PUT|PATCH …/pods/{name}/status, …/scale, …/ephemeralcontainers, …/resize;
//	POST …/binding, …/eviction
//
// types are the resource's Types: the scheme's (builtinTypes) or a
// custom resource version's.
func (s *Server) installResource(t *routeTable, store *generic.Store, types Types) error {
	r := store.Resource
	root := gvRoot(r)
	main := &endpoint{store: store, strategy: store.Strategy, types: types}
	collection, item, sub, subPath := shapeCollection, shapeItem, shapeSub, shapeSubPath
	if r.Namespaced {
		collection, item, sub, subPath = shapeNSCollection, shapeNSItem, shapeNSSub, shapeNSSubPath
	}
	var err error
	add := func(method string, sh shape, subresource string, fn restful.RouteFunction) {
		if err == nil {
			err = t.add(method, root, sh, r.Name, subresource, fn)
		}
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
		add(http.MethodPost, collection, "", special)
		return err
	}
	if has("list") {
		add(http.MethodGet, collection, "", main.list)
		if r.Namespaced {
			add(http.MethodGet, shapeCollection, "", main.list) // all namespaces
		}
	}
	if has("create") {
		add(http.MethodPost, collection, "", main.create)
	}
	if has("deletecollection") {
		add(http.MethodDelete, collection, "", main.deleteCollection)
	}
	if has("get") {
		add(http.MethodGet, item, "", main.get)
		add(http.MethodPut, item, "", main.update)
		add(http.MethodPatch, item, "", main.patch)
		add(http.MethodDelete, item, "", main.delete)
	}
	prefix := r.GVR().String() + "/"
	for key, h := range s.cfg.ConnectSubresources {
		name, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		for _, m := range h.Methods {
			add(m, sub, name, h.route)
			if h.SubPath {
				add(m, subPath, name, h.route)
			}
		}
	}
	for _, sr := range r.Subresources {
		switch sr.Name {
		case "status":
			e := &endpoint{store: store, sub: "status", strategy: generic.ForStatus(store.Strategy), types: types}
			add(http.MethodGet, sub, sr.Name, e.get)
			add(http.MethodPut, sub, sr.Name, e.update)
			add(http.MethodPatch, sub, sr.Name, e.patch)
		case "approval":
			// CSRs: writes change status.conditions only.
			a, ok := store.Strategy.(interface{ ApprovalStrategy() generic.Strategy })
			if !ok {
				continue
			}
			e := &endpoint{store: store, sub: "approval", strategy: a.ApprovalStrategy(), types: types}
			add(http.MethodGet, sub, sr.Name, e.get)
			add(http.MethodPut, sub, sr.Name, e.update)
			add(http.MethodPatch, sub, sr.Name, e.patch)
		case "scale":
			e := &scaleEndpoint{endpoint: endpoint{store: store, sub: "scale", strategy: store.Strategy, types: types}}
			add(http.MethodGet, sub, sr.Name, e.get)
			add(http.MethodPut, sub, sr.Name, e.update)
			add(http.MethodPatch, sub, sr.Name, e.patch)
		default:
			if ss, ok := store.Strategy.(generic.SubresourceStrategist); ok {
				if strategy := ss.SubresourceStrategy(sr.Name); strategy != nil {
					// pods/ephemeralcontainers, pods/resize: the object itself,
					// written through the subresource's strategy.
					e := &endpoint{store: store, sub: sr.Name, strategy: strategy, types: types}
					add(http.MethodGet, sub, sr.Name, e.get)
					add(http.MethodPut, sub, sr.Name, e.update)
					add(http.MethodPatch, sub, sr.Name, e.patch)
					continue
				}
			}
			key := r.GVR().String() + "/" + sr.Name
			for _, verb := range sr.Verbs {
				switch verb {
				case "create":
					if h, ok := s.cfg.CreateSubresources[key]; ok {
						add(http.MethodPost, sub, sr.Name, h.Serve)
					}
				case "update":
					if strategy, ok := s.cfg.UpdateSubresources[key]; ok {
						e := &endpoint{store: store, sub: sr.Name, strategy: strategy, types: types}
						add(http.MethodPut, sub, sr.Name, e.update)
					}
				}
			}
		}
	}
	return err
}

// builtinTypes are the Types of a built-in resource served from store.
func (s *Server) builtinTypes(store *generic.Store) Types {
	return schemeTypes{resource: store.Resource, new: store.New, returnsDeleted: store.Resource.ReturnsDeletedObject, scaler: store.Scaler}
}
