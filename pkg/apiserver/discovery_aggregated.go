package apiserver

import (
	"bytes"
	"crypto/sha512"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/munnerz/goautoneg"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
)

// Aggregated discovery (apidiscovery.k8s.io/v2): the whole of /api or /apis
// in one document, so kubectl and client-go need two requests instead of
// one per group version. Clients that do not ask for it get the legacy
// documents.

var aggregatedGVK = apidiscoveryv2.SchemeGroupVersion.WithKind("APIGroupDiscoveryList")

// wantsAggregated returns the serializer media type ("application/json" or
// protobuf) if the client's preferred acceptable clause is aggregated
// discovery v2.
func wantsAggregated(r *http.Request) (string, bool) {
	for _, c := range goautoneg.ParseAccept(r.Header.Get("Accept")) {
		mt := c.Type + "/" + c.SubType
		if c.Params["as"] == "APIGroupDiscoveryList" && c.Params["g"] == "apidiscovery.k8s.io" && c.Params["v"] == "v2" {
			if _, ok := serializerFor(mt); ok && mt != "*/*" {
				return mt, true
			}
			continue
		}
		if _, ok := serializerFor(mt); ok {
			return "", false // a plain document is preferred
		}
	}
	return "", false
}

// aggregated builds the discovery documents for the core group (/api) and
// the named groups (/apis) once.
var aggregated = sync.OnceValues(func() (*apidiscoveryv2.APIGroupDiscoveryList, *apidiscoveryv2.APIGroupDiscoveryList) {
	core := &apidiscoveryv2.APIGroupDiscoveryList{}
	groups := &apidiscoveryv2.APIGroupDiscoveryList{}
	for _, gv := range api.GroupVersions {
		v := apidiscoveryv2.APIVersionDiscovery{Version: gv.Version, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent,
			Resources: resourcesDiscovery(gv)}
		list := groups
		if gv.Group == "" {
			list = core
		}
		// A group's later versions join its entry (preferred first).
		if n := len(list.Items); n > 0 && list.Items[n-1].Name == gv.Group {
			list.Items[n-1].Versions = append(list.Items[n-1].Versions, v)
			continue
		}
		list.Items = append(list.Items, apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: gv.Group},
			Versions: []apidiscoveryv2.APIVersionDiscovery{v}})
	}
	return core, groups
})

func resourcesDiscovery(gv schema.GroupVersion) []apidiscoveryv2.APIResourceDiscovery {
	return resourcesDiscoveryOf(gv, api.Resources)
}

// resourcesDiscoveryOf lists the aggregated discovery of resources in gv.
func resourcesDiscoveryOf(gv schema.GroupVersion, resources []api.Resource) []apidiscoveryv2.APIResourceDiscovery {
	var out []apidiscoveryv2.APIResourceDiscovery
	for _, r := range resources {
		if r.GroupVersion != gv {
			continue
		}
		scope := apidiscoveryv2.ScopeCluster
		if r.Namespaced {
			scope = apidiscoveryv2.ScopeNamespace
		}
		d := apidiscoveryv2.APIResourceDiscovery{Resource: r.Name, SingularResource: r.SingularName, Scope: scope,
			Verbs: r.Verbs, ShortNames: r.ShortNames, Categories: r.Categories,
			ResponseKind: &metav1.GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: r.Kind}}
		for _, s := range r.Subresources {
			d.Subresources = append(d.Subresources, apidiscoveryv2.APISubresourceDiscovery{Subresource: s.Name, Verbs: s.Verbs,
				ResponseKind: &metav1.GroupVersionKind{Group: s.Kind.Group, Version: s.Kind.Version, Kind: s.Kind.Kind}})
		}
		out = append(out, d)
	}
	return out
}

// aggregatedDoc is one aggregated discovery document as served: its
// encoding in one media type and its ETag.
type aggregatedDoc struct {
	list *apidiscoveryv2.APIGroupDiscoveryList // what was encoded
	body []byte
	etag string
}

// aggregatedCache keeps the last encoding of each document per media type:
// the documents change only when the set of custom resources does.
type aggregatedCache struct {
	mu   sync.Mutex
	docs map[string]*aggregatedDoc // by "<path> <media type>"
}

func (c *aggregatedCache) get(key string, list *apidiscoveryv2.APIGroupDiscoveryList, mediaType string) (*aggregatedDoc, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.docs[key]; d != nil && d.list == list {
		return d, nil
	}
	info, _ := serializerFor(mediaType)
	cp := *list
	cp.SetGroupVersionKind(aggregatedGVK)
	var buf bytes.Buffer
	if err := info.Serializer.Encode(&cp, &buf); err != nil {
		return nil, err
	}
	sum := sha512.Sum512(buf.Bytes())
	d := &aggregatedDoc{list: list, body: buf.Bytes(), etag: strconv.Quote(fmt.Sprintf("%X", sum[:]))}
	if c.docs == nil {
		c.docs = map[string]*aggregatedDoc{}
	}
	c.docs[key] = d
	return d, nil
}

// serveAggregated writes list as aggregated discovery in mediaType, with
// an ETag (a hash of the document) as upstream; a request whose
// If-None-Match carries it gets 304 Not Modified.
func (s *Server) serveAggregated(w http.ResponseWriter, r *http.Request, list *apidiscoveryv2.APIGroupDiscoveryList, mediaType string) {
	d, err := s.aggCache.get(r.URL.Path+" "+mediaType, list, mediaType)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Vary", "Accept")
	w.Header().Set("ETag", d.etag)
	if r.Header.Get("If-None-Match") == d.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", mediaType+";g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
	w.Header().Set("Content-Length", strconv.Itoa(len(d.body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(d.body)
}
