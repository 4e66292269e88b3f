package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/api"
)

// TestListEncodings: JSON and protobuf lists, written from the watch
// cache's per-object encodings, carry what the typed-list path (YAML
// here) carries — for full lists, selectors, pages with continue tokens
// and empty lists — and Table and PartialObjectMetadataList still work.
func TestListEncodings(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	createNamespace(t, s, "enc")
	createNamespace(t, s, "enc-empty")
	var last *corev1.Pod
	for i := range 7 {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("p%d", i), Labels: map[string]string{"app": []string{"web", "db"}[i%2]},
				Annotations: map[string]string{"note": `<b>&"x"</b> ünï`},
			},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img"}}},
		}
		var err error
		if last, err = s.Client.CoreV1().Pods("enc").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c := newRawClient(t, s, s.RESTConfig)
	get := func(path, accept string) []byte {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", accept)
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s (%s): %d %s", path, accept, resp.StatusCode, truncate(body))
		}
		if resp.ContentLength >= 0 && resp.ContentLength != int64(len(body)) {
			t.Fatalf("GET %s: Content-Length %d, body %d bytes", path, resp.ContentLength, len(body))
		}
		return body
	}
	decode := func(body []byte, mediaType string) *corev1.PodList {
		t.Helper()
		info, ok := runtime.SerializerInfoForMediaType(api.Codecs.SupportedMediaTypes(), mediaType)
		if !ok {
			t.Fatalf("no serializer for %s", mediaType)
		}
		l := &corev1.PodList{}
		if _, _, err := info.Serializer.Decode(body, nil, l); err != nil {
			t.Fatalf("decoding %s: %v", mediaType, err)
		}
		for i := range l.Items {
			l.Items[i].TypeMeta = metav1.TypeMeta{} // protobuf items carry no kind
		}
		return l
	}
	base := "/api/v1/namespaces/enc/pods?resourceVersion=" + last.ResourceVersion
	for _, path := range []string{base, base + "&labelSelector=app%3Dweb", base + "&fieldSelector=metadata.name%3Dp3",
		"/api/v1/namespaces/enc/pods?resourceVersion=0", "/api/v1/pods?labelSelector=app%3Dweb"} {
		want := decode(get(path, "application/yaml"), "application/yaml")
		for _, mediaType := range []string{"application/json", "application/vnd.kubernetes.protobuf"} {
			got := decode(get(path, mediaType), mediaType)
			// resourceVersions may differ (writes elsewhere move the cache on).
			if got.ResourceVersion == "" || !equality.Semantic.DeepEqual(got.Items, want.Items) {
				t.Errorf("%s as %s: %d items at %s, want %d at %s (the YAML list)", path, mediaType,
					len(got.Items), got.ResourceVersion, len(want.Items), want.ResourceVersion)
			}
		}
	}

	// Pages (served from etcd) add up to the full list.
	full := decode(get(base, "application/yaml"), "application/yaml")
	for _, mediaType := range []string{"application/json", "application/vnd.kubernetes.protobuf"} {
		var items []corev1.Pod
		cont := ""
		for range 10 {
			page := decode(get("/api/v1/namespaces/enc/pods?limit=3&continue="+url.QueryEscape(cont), mediaType), mediaType)
			items = append(items, page.Items...)
			if cont = page.Continue; cont == "" {
				break
			}
			if page.RemainingItemCount == nil {
				t.Errorf("%s page with a continue token has no remainingItemCount", mediaType)
			}
		}
		if !equality.Semantic.DeepEqual(items, full.Items) {
			t.Errorf("%s: pages hold %d items, want the %d of the full list", mediaType, len(items), len(full.Items))
		}
	}

	// Empty lists are "items": [] in JSON, as upstream.
	if body := get("/api/v1/namespaces/enc-empty/pods?resourceVersion=0", "application/json"); !bytes.Contains(body, []byte(`"items":[]`)) {
		t.Errorf("empty list: %s", body)
	}
	if l := decode(get("/api/v1/namespaces/enc-empty/pods", "application/vnd.kubernetes.protobuf"), "application/vnd.kubernetes.protobuf"); len(l.Items) != 0 || l.ResourceVersion == "" {
		t.Errorf("empty protobuf list: %d items, rv %q", len(l.Items), l.ResourceVersion)
	}

	// Tables and metadata lists keep the typed-list path.
	table := &metav1.Table{}
	body := get(base, "application/json;as=Table;v=v1;g=meta.k8s.io")
	if err := runtime.DecodeInto(api.Codecs.UniversalDeserializer(), body, table); err != nil || len(table.Rows) != 7 {
		t.Errorf("Table: %d rows, %v", len(table.Rows), err)
	}
	pml := &metav1.PartialObjectMetadataList{}
	body = get(base, "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io")
	if err := runtime.DecodeInto(api.Codecs.UniversalDeserializer(), body, pml); err != nil || len(pml.Items) != 7 {
		t.Errorf("PartialObjectMetadataList: %d items, %v", len(pml.Items), err)
	}
}
