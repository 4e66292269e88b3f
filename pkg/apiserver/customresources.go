package apiserver

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	restful "github.com/emicklei/go-restful/v3"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Custom resources are served next to the go-restful routes of the
// built-in resources, which are fixed when the server starts: every path
// under /apis that no built-in group serves comes here. SetCustomResources
// swaps in a new immutable snapshot — routes (a go-restful container per
// group version, built with the same installResource as built-ins),
// discovery documents — whenever the set of established CRDs changes;
// requests read whichever snapshot is current, without locks.

// CustomResource is one served version of an established CRD: the store
// (over the CRD's shared watch cache) that serves it, whose Resource
// describes the version, and its Types (crtypes.New).
type CustomResource struct {
	Store *generic.Store
	Types Types
	// StorageKind is the kind of the CRD's storage version (discovery's
	// storageVersionHash).
	StorageKind schema.GroupVersionKind
	// Deprecated: requests get Warning as a Warning header.
	Deprecated bool
	Warning    string
	// ConversionError, if set, is the 500 every request to the version
	// gets (conversion webhooks are not called).
	ConversionError error
}

// crState is one snapshot of the served custom resources.
type crState struct {
	handlers map[schema.GroupVersion]http.Handler
	// warnings: deprecation warnings by group/version/resource.
	warnings map[schema.GroupVersionResource]string
	// failing: versions every request to which fails (webhook conversion).
	failing map[schema.GroupVersionResource]error
	// Discovery: legacy groups (in /apis order), per group and group
	// version documents, and the aggregated groups.
	groups        []*metav1.APIGroup
	groupByName   map[string]*metav1.APIGroup
	resourceLists map[schema.GroupVersion]*metav1.APIResourceList
	// aggregatedAll is /apis as aggregated discovery: the built-in
	// groups, then these (nil without custom resources).
	aggregatedAll *apidiscoveryv2.APIGroupDiscoveryList
}

var emptyCRState = &crState{}

func (s *Server) customResources() *crState {
	if st := s.crs.Load(); st != nil {
		return st
	}
	return emptyCRState
}

// SetCustomResources replaces the served custom resources with crs (every
// served version of every established CRD). Group versions that a
// built-in group already serves are not routed here. Safe for concurrent
// use with requests; callers serialize calls.
func (s *Server) SetCustomResources(crs []CustomResource) error {
	st := &crState{handlers: map[schema.GroupVersion]http.Handler{}, warnings: map[schema.GroupVersionResource]string{},
		failing:     map[schema.GroupVersionResource]error{},
		groupByName: map[string]*metav1.APIGroup{}, resourceLists: map[schema.GroupVersion]*metav1.APIResourceList{}}
	byGV := map[schema.GroupVersion][]CustomResource{}
	versionsOf := map[string][]string{}
	for _, cr := range crs {
		gv := cr.Store.Resource.GroupVersion
		if _, builtin := builtinGroups[gv.Group]; builtin || gv.Group == "" {
			continue
		}
		if len(byGV[gv]) == 0 {
			versionsOf[gv.Group] = append(versionsOf[gv.Group], gv.Version)
		}
		byGV[gv] = append(byGV[gv], cr)
	}
	for gv, list := range byGV {
		container := restful.NewContainer()
		container.Router(restful.CurlyRouter{})
		container.ServiceErrorHandler(serviceError)
		t := newRouteTable()
		var resources []api.Resource
		hashes := map[string]string{}
		for _, cr := range list {
			r := cr.Store.Resource
			if err := s.installResource(t, cr.Store, cr.Types); err != nil {
				return err
			}
			resources = append(resources, r)
			hashes[r.Name] = storageVersionHash(api.Resource{GroupVersion: cr.StorageKind.GroupVersion(), Kind: cr.StorageKind.Kind})
			if err := cr.ConversionError; err != nil {
				st.failing[r.GVR()] = err
			}
			if cr.Deprecated {
				st.warnings[r.GVR()] = cr.Warning
			}
		}
		ws := new(restful.WebService)
		ws.Path("/apis/" + gv.Group + "/" + gv.Version)
		t.install(ws)
		container.Add(ws)
		st.handlers[gv] = container
		st.resourceLists[gv] = resourceListOf(gv, resources, func(r api.Resource) string { return hashes[r.Name] })
	}

	groupNames := make([]string, 0, len(versionsOf))
	for g := range versionsOf {
		groupNames = append(groupNames, g)
	}
	sort.Strings(groupNames)
	for _, g := range groupNames {
		vs := versionsOf[g]
		// Upstream's version priority: GA before beta before alpha,
		// higher numbers first, then other names alphabetically.
		sort.Slice(vs, func(i, j int) bool { return version.CompareKubeAwareVersionStrings(vs[i], vs[j]) > 0 })
		group := &metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: g}
		agg := apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: g}}
		for _, v := range vs {
			gv := schema.GroupVersion{Group: g, Version: v}
			group.Versions = append(group.Versions, metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: v})
			var resources []api.Resource
			for _, cr := range byGV[gv] {
				resources = append(resources, cr.Store.Resource)
			}
			sort.Slice(resources, func(i, j int) bool { return resources[i].Name < resources[j].Name })
			agg.Versions = append(agg.Versions, apidiscoveryv2.APIVersionDiscovery{Version: v,
				Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent, Resources: resourcesDiscoveryOf(gv, resources)})
		}
		group.PreferredVersion = group.Versions[0]
		st.groups = append(st.groups, group)
		st.groupByName[g] = group
		if st.aggregatedAll == nil {
			_, builtin := aggregated()
			st.aggregatedAll = &apidiscoveryv2.APIGroupDiscoveryList{Items: append([]apidiscoveryv2.APIGroupDiscovery(nil), builtin.Items...)}
		}
		st.aggregatedAll.Items = append(st.aggregatedAll.Items, agg)
	}
	s.crs.Store(st)
	return nil
}

// builtinGroups are the groups the go-restful routes serve.
var builtinGroups = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, gv := range api.GroupVersions {
		m[gv.Group] = struct{}{}
	}
	return m
}()

// serveCustom serves every path under /apis the built-in routes do not:
// /apis/<group>, /apis/<group>/<version> and the resources under it for
// the current custom resources; anything else is upstream's 404.
func (s *Server) serveCustom(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "apis" {
		crNotFound(w, r)
		return
	}
	st := s.customResources()
	switch len(parts) {
	case 2:
		if g, ok := st.groupByName[parts[1]]; ok {
			writeJSON(w, r, g)
			return
		}
	case 3:
		if l, ok := st.resourceLists[schema.GroupVersion{Group: parts[1], Version: parts[2]}]; ok {
			writeJSON(w, r, l)
			return
		}
	default:
		gv := schema.GroupVersion{Group: parts[1], Version: parts[2]}
		if h, ok := st.handlers[gv]; ok {
			resource := parts[3]
			if resource == "namespaces" && len(parts) >= 6 {
				resource = parts[5]
			}
			if err, ok := st.failing[gv.WithResource(resource)]; ok {
				writeError(w, r, apierrors.NewInternalError(err))
				return
			}
			if msg, ok := st.warnings[gv.WithResource(resource)]; ok {
				w.Header().Add("Warning", fmt.Sprintf("299 - %q", msg))
			}
			h.ServeHTTP(w, r)
			return
		}
	}
	crNotFound(w, r)
}

// crNotFound is the 404 for a custom resource path that is not served.
func crNotFound(w http.ResponseWriter, r *http.Request) { writeError(w, r, errUnknownPath()) }
