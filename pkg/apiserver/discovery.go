package apiserver

import (
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
)

// Discovery documents (legacy, per group version). Aggregated discovery is
// not served: clients that ask for it get these plain documents and fall
// back, as COMPAT.md describes.

func (s *Server) serveAPIVersions(w http.ResponseWriter, r *http.Request) {
	if mt, ok := wantsAggregated(r); ok {
		core, _ := aggregated()
		s.serveAggregated(w, r, core, mt)
		return
	}
	addr := r.Host
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "443")
	}
	writeJSON(w, r, &metav1.APIVersions{
		TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
		Versions: []string{"v1"},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
			{ClientCIDR: "0.0.0.0/0", ServerAddress: addr},
		},
	})
}

func (s *Server) serveAPIGroupList(w http.ResponseWriter, r *http.Request) {
	if mt, ok := wantsAggregated(r); ok {
		_, groups := aggregated()
		if crs := s.customResources(); crs.aggregatedAll != nil {
			groups = crs.aggregatedAll
		}
		s.serveAggregated(w, r, groups, mt)
		return
	}
	list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	for _, gv := range api.GroupVersions {
		if gv.Group == "" || !preferred(gv) {
			continue
		}
		list.Groups = append(list.Groups, apiGroup(gv))
	}
	for _, g := range s.customResources().groups {
		list.Groups = append(list.Groups, *g)
	}
	writeJSON(w, r, list)
}

// apiGroup describes gv's group: its versions in api.GroupVersions
// order, the first preferred (autoscaling: v2, then v1).
func apiGroup(gv schema.GroupVersion) metav1.APIGroup {
	g := metav1.APIGroup{Name: gv.Group}
	for _, v := range api.GroupVersions {
		if v.Group == gv.Group {
			g.Versions = append(g.Versions, metav1.GroupVersionForDiscovery{GroupVersion: v.String(), Version: v.Version})
		}
	}
	g.PreferredVersion = g.Versions[0]
	return g
}

// preferred reports whether gv is its group's preferred version (the
// first of the group in api.GroupVersions).
func preferred(gv schema.GroupVersion) bool {
	for _, v := range api.GroupVersions {
		if v.Group == gv.Group {
			return v == gv
		}
	}
	return false
}

func (s *Server) serveAPIGroup(gv schema.GroupVersion) http.HandlerFunc {
	g := apiGroup(gv)
	g.TypeMeta = metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}
	return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, r, &g) }
}

// resourceList builds the APIResourceList of one group version.
func resourceList(gv schema.GroupVersion) *metav1.APIResourceList {
	return resourceListOf(gv, api.Resources, storageVersionHash)
}

// resourceListOf builds the APIResourceList of gv from those of
// resources in it; hash gives each one's storageVersionHash.
func resourceListOf(gv schema.GroupVersion, resources []api.Resource, hash func(api.Resource) string) *metav1.APIResourceList {
	list := &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv.String()}
	for _, r := range resources {
		if r.GroupVersion != gv {
			continue
		}
		list.APIResources = append(list.APIResources, metav1.APIResource{
			Name: r.Name, SingularName: r.SingularName, Namespaced: r.Namespaced, Kind: r.Kind,
			Verbs: r.Verbs, ShortNames: r.ShortNames, Categories: r.Categories,
			StorageVersionHash: hash(r),
		})
		for _, sub := range r.Subresources {
			ar := metav1.APIResource{Name: r.Name + "/" + sub.Name, Namespaced: r.Namespaced, Kind: sub.Kind.Kind, Verbs: sub.Verbs}
			if sub.Kind.GroupVersion() != gv {
				ar.Group, ar.Version = sub.Kind.Group, sub.Kind.Version
			}
			list.APIResources = append(list.APIResources, ar)
		}
	}
	sort.SliceStable(list.APIResources, func(i, j int) bool { return list.APIResources[i].Name < list.APIResources[j].Name })
	return list
}

func (s *Server) serveResourceList(gv schema.GroupVersion) http.HandlerFunc {
	list := resourceList(gv)
	return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, r, list) }
}

// writeJSON writes a discovery document; protobuf is honoured as upstream.
func writeJSON(w http.ResponseWriter, r *http.Request, obj runtime.Object) {
	out, err := negotiate(r, false)
	if err != nil || out.as != asObject {
		out = output{info: mustSerializer("application/json")}
	}
	encodeTo(w, http.StatusOK, obj, out.info)
}

// storageVersionHash is upstream's opaque hash of the storage version
// (first 8 bytes of sha256("<group>/<version>/<kind>"), base64).
func storageVersionHash(r api.Resource) string {
	sv := api.StorageVersion(r)
	sum := sha256.Sum256([]byte(sv.Group + "/" + sv.Version + "/" + sv.Kind))
	return base64.StdEncoding.EncodeToString(sum[:8])
}
