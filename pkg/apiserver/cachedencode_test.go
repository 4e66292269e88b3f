package apiserver

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/bench"
	"github.com/tinykube/tinykube/pkg/storage"
)

var podGVK = corev1.SchemeGroupVersion.WithKind("Pod")

// testPod is a pod as the watch cache holds one: kind set, with maps,
// quantities, managedFields and characters JSON escapes.
func testPod(i int) *corev1.Pod {
	grace := int64(30)
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("p%05d", i), Namespace: "ns", UID: types.UID(fmt.Sprint("uid-", i)),
			ResourceVersion: strconv.Itoa(100 + i), Generation: 1,
			CreationTimestamp: metav1.Unix(1700000000, 0),
			Labels:            map[string]string{"app": "web", "tier": fmt.Sprint("t", i%3), "z": "1"},
			Annotations:       map[string]string{"note": `<b>&"quoted"</b> ünïcode`},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "test", Operation: metav1.ManagedFieldsOperationUpdate,
				APIVersion: "v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{".":{}}}}`)}}},
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "img", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			}}},
			TerminationGracePeriodSeconds: &grace,
		},
	}
}

func cachedPods(n int) ([]*storage.CachedObject, []corev1.Pod) {
	var cos []*storage.CachedObject
	var pods []corev1.Pod
	for i := range n {
		p := testPod(i)
		cos = append(cos, storage.NewCachedObject(p))
		pods = append(pods, *p)
	}
	return cos, pods
}

// TestWriteCachedListMatchesSerializer: a list written from cached item
// encodings is byte for byte the serializer's encoding of the same list,
// in JSON and protobuf, empty or not, with and without a continue token.
func TestWriteCachedListMatchesSerializer(t *testing.T) {
	remaining := int64(7)
	for _, mediaType := range []string{mediaTypeJSON, mediaTypeProtobuf} {
		info := mustSerializer(mediaType)
		for _, tc := range []struct {
			name string
			n    int
			cont string
			rem  *int64
		}{
			{"empty", 0, "", nil},
			{"one", 1, "", nil},
			{"many", 300, "", nil},
			{"page", 3, "dG9rZW4", &remaining},
		} {
			t.Run(mediaType+"/"+tc.name, func(t *testing.T) {
				cos, pods := cachedPods(tc.n)
				// Encode some items first, as earlier requests would have.
				for _, co := range cos[:tc.n/2] {
					if _, err := encodeCached(co, info, podGVK); err != nil {
						t.Fatal(err)
					}
				}
				cl := &storage.CachedObjectList{ResourceVersion: "12345", Continue: tc.cont, RemainingItemCount: tc.rem, Items: cos}
				rec := httptest.NewRecorder()
				if err := writeCachedList(rec, cl, &corev1.PodList{}, corev1.SchemeGroupVersion.WithKind("PodList"), podGVK, info); err != nil {
					t.Fatal(err)
				}

				want := &corev1.PodList{Items: pods}
				want.ResourceVersion, want.Continue, want.RemainingItemCount = "12345", tc.cont, tc.rem
				if want.Items == nil {
					want.Items = []corev1.Pod{}
				}
				var wantBuf bytes.Buffer
				if err := info.Serializer.Encode(withKind(want, kindOf(want, corev1.SchemeGroupVersion)), &wantBuf); err != nil {
					t.Fatal(err)
				}
				got := rec.Body.Bytes()
				if !bytes.Equal(got, wantBuf.Bytes()) {
					t.Fatalf("bytes differ (%d vs %d):\n got %q\nwant %q", len(got), wantBuf.Len(), truncate(got), truncate(wantBuf.Bytes()))
				}
				if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(got)) {
					t.Errorf("Content-Length %s for %d bytes", cl, len(got))
				}
				if ct := rec.Header().Get("Content-Type"); ct != mediaType {
					t.Errorf("Content-Type %q", ct)
				}
				decoded := &corev1.PodList{}
				if _, _, err := info.Serializer.Decode(got, nil, decoded); err != nil {
					t.Fatal(err)
				}
				for i := range decoded.Items {
					// Protobuf items carry no kind.
					decoded.Items[i].TypeMeta = want.Items[i].TypeMeta
				}
				if !equality.Semantic.DeepEqual(decoded.Items, want.Items) {
					t.Errorf("decoded items differ")
				}
			})
		}
	}
}

// TestWriteCachedEventMatchesSerializer: a watch event framed around a
// cached encoding is what the stream serializer writes for the event.
func TestWriteCachedEventMatchesSerializer(t *testing.T) {
	for _, mediaType := range []string{mediaTypeJSON, mediaTypeProtobuf} {
		info := mustSerializer(mediaType)
		co := storage.NewCachedObject(testPod(1))
		data, err := encodeCached(co, info, podGVK)
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range []watch.EventType{watch.Added, watch.Modified, watch.Deleted, watch.Bookmark} {
			var got, want bytes.Buffer
			if err := writeCachedEvent(&got, mediaType, typ, data); err != nil {
				t.Fatal(err)
			}
			we := &metav1.WatchEvent{Type: string(typ), Object: runtime.RawExtension{Raw: data}}
			if err := info.StreamSerializer.Serializer.Encode(we, &want); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s %s:\n got %q\nwant %q", mediaType, typ, truncate(got.Bytes()), truncate(want.Bytes()))
			}
		}
	}
}

// TestEncodeCachedOnce: the second encoding of an object is the first
// one's bytes, not a new encoding; kinds and formats are kept apart.
func TestEncodeCachedOnce(t *testing.T) {
	co := storage.NewCachedObject(testPod(1))
	js, pb := mustSerializer(mediaTypeJSON), mustSerializer(mediaTypeProtobuf)
	a, _ := encodeCached(co, js, podGVK)
	b, _ := encodeCached(co, js, podGVK)
	if &a[0] != &b[0] {
		t.Error("JSON encoded twice")
	}
	c, _ := encodeCached(co, pb, podGVK)
	if bytes.Equal(a, c) {
		t.Error("protobuf and JSON share an encoding")
	}
	other := corev1.SchemeGroupVersion.WithKind("Other")
	d, _ := encodeCached(co, js, other)
	if !bytes.Contains(d, []byte(`"kind":"Other"`)) || bytes.Contains(a, []byte(`"kind":"Other"`)) {
		t.Errorf("kinds mixed: %q / %q", truncate(a), truncate(d))
	}
	if co.Object().GetObjectKind().GroupVersionKind() != podGVK {
		t.Error("encoding changed the cached object's kind")
	}
}

// TestSplitUnknownRejectsGarbage: malformed protobuf envelopes are errors.
func TestSplitUnknownRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("k8s"), []byte("k8s\x00\x0a\x05ab"), []byte("{}")} {
		if _, _, _, err := splitUnknown(b); err == nil {
			t.Errorf("%q: no error", b)
		}
	}
}

// benchManagedFields is what a create by client-go records for a bench pod.
const benchManagedFields = `{"f:metadata":{"f:labels":{".":{},"f:app.kubernetes.io/component":{},"f:app.kubernetes.io/name":{},"f:bench.tinykube.io/phase":{},"f:bench.tinykube.io/run":{},"f:pod-template-hash":{}}},"f:spec":{"f:automountServiceAccountToken":{},"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:args":{},"f:env":{".":{},"k:{\"name\":\"LOG_LEVEL\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"POD_NAME\"}":{".":{},"f:name":{},"f:valueFrom":{".":{},"f:fieldRef":{}}}},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:name":{},"f:protocol":{}}},"f:readinessProbe":{".":{},"f:failureThreshold":{},"f:httpGet":{".":{},"f:path":{},"f:port":{},"f:scheme":{}},"f:periodSeconds":{},"f:successThreshold":{},"f:timeoutSeconds":{}},"f:resources":{".":{},"f:limits":{".":{},"f:cpu":{},"f:memory":{}},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:priority":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:serviceAccount":{},"f:serviceAccountName":{},"f:terminationGracePeriodSeconds":{},"f:tolerations":{}}}`

// benchPods are n pods shaped like `tinykube bench api`'s, with the
// server-set fields and managedFields a stored pod has (~2 KB each in
// protobuf, as in the live benchmark).
func benchPods(n int) []*corev1.Pod {
	pods := make([]*corev1.Pod, n)
	for i := range pods {
		p := bench.NewPod("bench", fmt.Sprintf("list-%06d", i), "run", "list")
		p.UID = types.UID(fmt.Sprintf("0b555731-7e9e-4208-af6b-%012d", i))
		p.ResourceVersion = strconv.Itoa(1000 + i)
		p.Generation = 1
		p.CreationTimestamp = metav1.Unix(1700000000, 0)
		created := metav1.Unix(1700000000, 0)
		p.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "main", Operation: metav1.ManagedFieldsOperationUpdate,
			APIVersion: "v1", Time: &created, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(benchManagedFields)}}}
		p.Spec.DeprecatedServiceAccount = p.Spec.ServiceAccountName
		p.Status.Phase = corev1.PodPending
		p.Status.QOSClass = corev1.PodQOSBurstable
		pods[i] = p
	}
	return pods
}

// discard is an http.ResponseWriter that drops the body.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkListEncode10k: writing a list of 10,000 pods — the serializer
// on a typed list (the path before encode-once), cached item encodings
// computed by the request (cold: every object changed since the last
// list) and reused (warm).
func BenchmarkListEncode10k(b *testing.B) {
	pods := benchPods(10000)
	listGVK := corev1.SchemeGroupVersion.WithKind("PodList")
	for _, mediaType := range []string{mediaTypeProtobuf, mediaTypeJSON} {
		info := mustSerializer(mediaType)
		b.Run(mediaType+"/serializer", func(b *testing.B) {
			list := &corev1.PodList{Items: make([]corev1.Pod, len(pods))}
			for i, p := range pods {
				list.Items[i] = *p
			}
			for b.Loop() {
				var buf bytes.Buffer
				if err := info.Serializer.Encode(withKind(list, listGVK), &buf); err != nil {
					b.Fatal(err)
				}
				_, _ = (&discard{}).Write(buf.Bytes())
			}
		})
		wrap := func() *storage.CachedObjectList {
			cl := &storage.CachedObjectList{ResourceVersion: "99999", Items: make([]*storage.CachedObject, len(pods))}
			for i, p := range pods {
				cl.Items[i] = storage.NewCachedObject(p)
			}
			return cl
		}
		b.Run(mediaType+"/cached-cold", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				cl := wrap()
				b.StartTimer()
				if err := writeCachedList(&discard{}, cl, &corev1.PodList{}, listGVK, podGVK, info); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(mediaType+"/cached-warm", func(b *testing.B) {
			cl := wrap()
			if err := writeCachedList(&discard{}, cl, &corev1.PodList{}, listGVK, podGVK, info); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := writeCachedList(&discard{}, cl, &corev1.PodList{}, listGVK, podGVK, info); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListDecode10k is the client's side of the same list: decoding
// it into a typed PodList, as client-go does. No server encoding can make
// a full list cheaper than this for the client.
func BenchmarkListDecode10k(b *testing.B) {
	pods := benchPods(10000)
	list := &corev1.PodList{Items: make([]corev1.Pod, len(pods))}
	for i, p := range pods {
		list.Items[i] = *p
	}
	for _, mediaType := range []string{mediaTypeProtobuf, mediaTypeJSON} {
		info := mustSerializer(mediaType)
		var buf bytes.Buffer
		if err := info.Serializer.Encode(withKind(list, corev1.SchemeGroupVersion.WithKind("PodList")), &buf); err != nil {
			b.Fatal(err)
		}
		b.Run(mediaType, func(b *testing.B) {
			b.SetBytes(int64(buf.Len()))
			for b.Loop() {
				if _, _, err := info.Serializer.Decode(buf.Bytes(), nil, &corev1.PodList{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCachedListEnvelopes: every served resource's list type has an
// envelope writeCachedList can splice items into, in JSON and protobuf,
// and an item encodes into it as the serializer would.
func TestCachedListEnvelopes(t *testing.T) {
	for _, r := range api.Resources {
		if !slices.Contains(r.Verbs, "list") {
			continue
		}
		listGVK := r.GroupVersion.WithKind(r.Kind + "List")
		for _, mediaType := range []string{mediaTypeJSON, mediaTypeProtobuf} {
			info := mustSerializer(mediaType)
			newList := func() runtime.Object {
				l, err := api.Scheme.New(listGVK)
				if err != nil {
					t.Fatalf("%s: %v", listGVK, err)
				}
				return l
			}
			item, err := api.Scheme.New(r.GVK())
			if err != nil {
				t.Fatal(err)
			}
			m, _ := meta.Accessor(item)
			m.SetName("x")
			m.SetLabels(map[string]string{"a": "b"})
			cl := &storage.CachedObjectList{ResourceVersion: "7", Items: []*storage.CachedObject{storage.NewCachedObject(item)}}
			rec := httptest.NewRecorder()
			if err := writeCachedList(rec, cl, newList(), listGVK, r.GVK(), info); err != nil {
				t.Errorf("%s as %s: %v", listGVK, mediaType, err)
				continue
			}
			want := newList()
			lm, _ := meta.ListAccessor(want)
			lm.SetResourceVersion("7")
			if err := meta.SetList(want, []runtime.Object{withKind(item, r.GVK())}); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := info.Serializer.Encode(withKind(want, listGVK), &buf); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rec.Body.Bytes(), buf.Bytes()) {
				t.Errorf("%s as %s:\n got %q\nwant %q", listGVK, mediaType, truncate(rec.Body.Bytes()), truncate(buf.Bytes()))
			}
		}
	}
}

// TestWriteCachedUnstructuredListMatchesSerializer: custom resource lists
// (unstructured, keys sorted: items before kind and metadata) are spliced
// from cached items too, byte for byte as the serializer writes them,
// each item at the list's version.
func TestWriteCachedUnstructuredListMatchesSerializer(t *testing.T) {
	info := mustSerializer(mediaTypeJSON)
	itemGVK := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	listGVK := itemGVK.GroupVersion().WithKind("WidgetList")
	for _, n := range []int{0, 1, 5} {
		var cos []*storage.CachedObject
		want := &unstructured.UnstructuredList{Object: map[string]any{}}
		for i := range n {
			u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1beta1", "kind": "Widget",
				"metadata": map[string]any{"name": fmt.Sprint("w", i), "resourceVersion": fmt.Sprint(10 + i)},
				"spec":     map[string]any{"size": `"big" <&>`, "n": int64(i)}}}
			cos = append(cos, storage.NewCachedObject(u))
			converted := u.DeepCopy()
			converted.SetAPIVersion("example.com/v1")
			want.Items = append(want.Items, *converted)
		}
		want.SetGroupVersionKind(listGVK)
		want.SetResourceVersion("42")
		want.SetContinue("dG9rZW4")
		var wantBuf bytes.Buffer
		if err := info.Serializer.Encode(want, &wantBuf); err != nil {
			t.Fatal(err)
		}
		empty := &unstructured.UnstructuredList{Object: map[string]any{}}
		rec := httptest.NewRecorder()
		list := &storage.CachedObjectList{ResourceVersion: "42", Continue: "dG9rZW4", Items: cos}
		if err := writeCachedList(rec, list, empty, listGVK, itemGVK, info); err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.String(); got != wantBuf.String() {
			t.Errorf("%d items:\n got %s\nwant %s", n, got, wantBuf.String())
		}
		// The cached objects keep their own apiVersion.
		for _, co := range cos {
			if co.Object().(*unstructured.Unstructured).GetAPIVersion() != "example.com/v1beta1" {
				t.Fatalf("cached object changed")
			}
		}
	}
}
