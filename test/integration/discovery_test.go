package integration

import (
	"fmt"
	"testing"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestDiscovery checks both discovery forms: client-go's aggregated
// request (one document for /apis) and the legacy per-group documents,
// with the short names and categories kubectl relies on.
func TestDiscovery(t *testing.T) {
	s := testserver.Start(t, "")
	dc, err := discovery.NewDiscoveryClientForConfig(s.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	for _, l := range lists {
		for _, r := range l.APIResources {
			found[l.GroupVersion+"/"+r.Name] = append(r.ShortNames, r.Categories...)
		}
	}
	for key, want := range map[string][]string{
		"v1/pods":                   {"po", "all"},
		"apps/v1/deployments":       {"deploy", "all"},
		"v1/services":               {"svc", "all"},
		"batch/v1/cronjobs":         {"cj", "all"},
		"apps/v1/deployments/scale": nil,
		// Served at two versions, v2 preferred.
		"autoscaling/v2/horizontalpodautoscalers": {"hpa", "all"},
		"autoscaling/v1/horizontalpodautoscalers": {"hpa", "all"},
		// The rest of v1.37's GA surface (resources_v137_test.go).
		"v1/componentstatuses":                            {"cs"},
		"storage.k8s.io/v1/volumeattributesclasses":       {"vac"},
		"networking.k8s.io/v1/ipaddresses":                {"ip"},
		"storage.k8s.io/v1/csistoragecapacities":          nil,
		"networking.k8s.io/v1/servicecidrs":               nil,
		"certificates.k8s.io/v1/clustertrustbundles":      nil,
		"certificates.k8s.io/v1/podcertificaterequests":   nil,
		"authorization.k8s.io/v1/selfsubjectrulesreviews": nil,
	} {
		got, ok := found[key]
		if !ok {
			t.Errorf("discovery lacks %s", key)
			continue
		}
		if len(want) > 0 && fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: short names+categories %v, want %v", key, got, want)
		}
	}

	// The aggregated document is served with its own content type.
	cfg := rest.CopyConfig(s.RESTConfig)
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	rc, err := rest.UnversionedRESTClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := rc.Get().AbsPath("/apis").SetHeader("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList").Do(t.Context())
	var ct string
	res.ContentType(&ct)
	raw, err := res.Raw()
	if err != nil {
		t.Fatal(err)
	}
	if ct != "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" {
		t.Errorf("aggregated content type %q", ct)
	}
	if len(raw) == 0 {
		t.Error("empty aggregated document")
	}
	// A plain Accept gets the legacy APIGroupList.
	legacy := rc.Get().AbsPath("/apis").SetHeader("Accept", "application/json").Do(t.Context())
	legacy.ContentType(&ct)
	if ct != "application/json" {
		t.Errorf("legacy content type %q", ct)
	}
}
