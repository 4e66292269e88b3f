package integration

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry"
)

// upstreamDeleteReturnsObject lists the resources whose DELETE answers
// with the object in upstream kube-apiserver v1.37: those whose
// pkg/registry/<group>/<resource>/storage/storage.go sets
// ReturnDeletedObject: true. Every other built-in answers with a Status.
var upstreamDeleteReturnsObject = map[string]bool{
	"/namespaces": true, "/persistentvolumeclaims": true, "/persistentvolumes": true, "/pods": true,
	"/podtemplates": true, "/resourcequotas": true, "/services": true, "/serviceaccounts": true,
	"storage.k8s.io/csidrivers": true, "storage.k8s.io/csinodes": true, "storage.k8s.io/storageclasses": true,
	"storage.k8s.io/volumeattachments": true, "storage.k8s.io/volumeattributesclasses": true,
	"resource.k8s.io/deviceclasses": true, "resource.k8s.io/resourceclaims": true,
	"resource.k8s.io/resourceclaimtemplates": true, "resource.k8s.io/resourceslices": true,
}

// TestRowsAgree checks that every served resource's row (api.Resources
// and the registry's companion table) agrees with what the running
// server does: discovery lists it as the row says, OpenAPI documents its
// DELETE answer as the row says, its store lives at the row's key root,
// and a real DELETE answers with the object exactly where the row (and
// upstream) says so.
func TestRowsAgree(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()

	t.Run("upstream", func(t *testing.T) {
		for _, r := range api.Resources {
			if r.Stored() && r.ReturnsDeletedObject != upstreamDeleteReturnsObject[resourceKey(r)] {
				t.Errorf("%s: row ReturnsDeletedObject = %v, upstream %v", resourceKey(r), r.ReturnsDeletedObject, !r.ReturnsDeletedObject)
			}
		}
	})

	t.Run("discovery", func(t *testing.T) {
		_, lists, err := s.Client.Discovery().ServerGroupsAndResources()
		if err != nil {
			t.Fatal(err)
		}
		served := map[schema.GroupVersionResource]metav1.APIResource{}
		for _, l := range lists {
			gv, err := schema.ParseGroupVersion(l.GroupVersion)
			if err != nil {
				t.Fatal(err)
			}
			for _, ar := range l.APIResources {
				served[gv.WithResource(ar.Name)] = ar
			}
		}
		rows := map[schema.GroupVersionResource]bool{}
		for _, r := range api.Resources {
			rows[r.GVR()] = true
			ar, ok := served[r.GVR()]
			if !ok {
				t.Errorf("%v: in the rows, not in discovery", r.GVR())
				continue
			}
			if ar.Kind != r.Kind || ar.Namespaced != r.Namespaced || ar.SingularName != r.SingularName ||
				!sameSet(ar.Verbs, r.Verbs) || !sameSet(ar.ShortNames, r.ShortNames) || !sameSet(ar.Categories, r.Categories) {
				t.Errorf("%v: discovery %+v disagrees with the row %+v", r.GVR(), ar, r)
			}
			for _, sub := range r.Subresources {
				sar, ok := served[r.GroupVersion.WithResource(r.Name+"/"+sub.Name)]
				if !ok {
					t.Errorf("%v: subresource %s not in discovery", r.GVR(), sub.Name)
					continue
				}
				if !sameSet(sar.Verbs, sub.Verbs) || sar.Kind != sub.Kind.Kind {
					t.Errorf("%v/%s: discovery %+v disagrees with the row %+v", r.GVR(), sub.Name, sar, sub)
				}
			}
		}
		for gvr := range served {
			if !strings.Contains(gvr.Resource, "/") && !rows[gvr] {
				t.Errorf("%v: in discovery, not in the rows", gvr)
			}
		}
	})

	t.Run("openapi", func(t *testing.T) {
		raw, err := s.Client.Discovery().RESTClient().Get().AbsPath("/openapi/v2").
			SetHeader("Accept", "application/json").DoRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Paths map[string]struct {
				Delete *struct {
					Responses map[string]struct {
						Schema struct {
							Ref string `json:"$ref"`
						} `json:"schema"`
					} `json:"responses"`
				} `json:"delete"`
			} `json:"paths"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		for _, r := range api.Resources {
			if !slices.Contains(r.Verbs, "delete") {
				continue
			}
			path := itemPath(r)
			op := doc.Paths[path].Delete
			if op == nil {
				t.Errorf("%s: no DELETE %s in /openapi/v2", resourceKey(r), path)
				continue
			}
			ref := op.Responses["200"].Schema.Ref
			returnsObject := strings.HasSuffix(ref, "."+r.Kind)
			returnsStatus := strings.HasSuffix(ref, ".meta.v1.Status")
			if returnsObject != r.ReturnsDeletedObject || returnsObject == returnsStatus {
				t.Errorf("%s: DELETE documents %q, row ReturnsDeletedObject = %v", resourceKey(r), ref, r.ReturnsDeletedObject)
			}
		}
	})

	t.Run("registry", func(t *testing.T) {
		reg := s.Registry
		for _, r := range api.Resources {
			st := reg.Stores[r.GVR()]
			if !r.Stored() {
				if st != nil {
					t.Errorf("%v: create-only row has a store", r.GVR())
				}
				continue
			}
			if st == nil {
				t.Errorf("%v: no store", r.GVR())
				continue
			}
			if st.KeyRoot != r.StorageKeyRoot() {
				t.Errorf("%v: store key root %q, row %q", r.GVR(), st.KeyRoot, r.StorageKeyRoot())
			}
			if st.Strategy.TracksGeneration() != r.TracksGeneration {
				t.Errorf("%v: strategy TracksGeneration %v, row %v", r.GVR(), st.Strategy.TracksGeneration(), r.TracksGeneration)
			}
			want := reg.Admission.Names()
			if r.GroupVersion.Group == "rbac.authorization.k8s.io" {
				// RBAC's escalation and bind checks run first
				// (pkg/server/rbac.go).
				want = append([]string{"RBACEscalation"}, want...)
			}
			if got := st.Admission.Names(); !slices.Equal(got, want) {
				t.Errorf("%v: store admission %v, want the server's chain %v", r.GVR(), got, want)
			}
		}
		// Every strategy in the registry's table belongs to a row: a
		// typo there would silently serve generic.Default.
		for _, gr := range registry.StrategyResources() {
			found := false
			for _, r := range api.Resources {
				found = found || r.GVR().GroupResource() == gr
			}
			if !found {
				t.Errorf("strategy for %v, which no row serves", gr)
			}
		}
	})

	// A real create and DELETE of every stored resource: the object is
	// where the row's key root says, and DELETE answers with the object
	// exactly where the row says so.
	t.Run("delete", func(t *testing.T) {
		createNamespace(t, s, "rows")
		dyn, err := dynamic.NewForConfig(s.RESTConfig)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range crudResources() {
			t.Run(resourceKey(r), func(t *testing.T) {
				name := "row-" + r.SingularName
				ri := dyn.Resource(r.GVR())
				var c dynamic.ResourceInterface = ri
				ns := ""
				if r.Namespaced {
					ns = "rows"
					c = ri.Namespace(ns)
				}
				if _, err := c.Create(ctx, fixture(t, r, ns, name), metav1.CreateOptions{}); err != nil {
					t.Fatalf("create: %v", err)
				}
				key := r.StorageKeyRoot() + "/" + name
				if r.Namespaced {
					key = r.StorageKeyRoot() + "/" + ns + "/" + name
				}
				st := s.Registry.Stores[r.GVR()]
				if err := st.Storage.Get(ctx, key, "", st.New()); err != nil {
					t.Errorf("reading %s from storage: %v", key, err)
				}
				raw, err := s.Client.Discovery().RESTClient().Delete().AbsPath(objectPath(r, ns, name)).DoRaw(ctx)
				if err != nil {
					t.Fatalf("delete: %v", err)
				}
				var tm metav1.TypeMeta
				if err := json.Unmarshal(raw, &tm); err != nil {
					t.Fatal(err)
				}
				want := "Status"
				if r.ReturnsDeletedObject {
					want = r.Kind
				}
				if tm.Kind != want {
					t.Errorf("DELETE answered a %s, row says %s", tm.Kind, want)
				}
			})
		}
	})
}

// itemPath is the OpenAPI path of one object of r.
func itemPath(r api.Resource) string {
	ns := ""
	if r.Namespaced {
		ns = "{namespace}"
	}
	return objectPath(r, ns, "{name}")
}

// objectPath is the URL path of object name of r in namespace ns.
func objectPath(r api.Resource, ns, name string) string {
	p := "/api/v1"
	if r.GroupVersion.Group != "" {
		p = "/apis/" + r.GroupVersion.String()
	}
	if r.Namespaced {
		p += "/namespaces/" + ns
	}
	return p + "/" + r.Name + "/" + name
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
