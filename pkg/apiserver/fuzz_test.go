package apiserver

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	restful "github.com/emicklei/go-restful/v3"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tinykube/tinykube/pkg/api"
)

var fuzzMediaTypes = []string{runtime.ContentTypeJSON, runtime.ContentTypeYAML, runtime.ContentTypeProtobuf}

var fuzzValidation = []string{metav1.FieldValidationStrict, metav1.FieldValidationWarn, metav1.FieldValidationIgnore}

// FuzzDecodeAs: request body decoding turns arbitrary bytes, in any
// served media type, under any fieldValidation, into an object or an
// error — never a panic.
func FuzzDecodeAs(f *testing.F) {
	for _, seed := range []string{
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v"}}`,
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a"},"spec":{"replicas":1,"bogus":2}}`,
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: i}]}",
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a","name":"b"}}`,
		`{"kind":"ConfigMap"`, `[]`, `null`, "k8s\x00\x0a\x02\x08\x01", "&a [*a, *a]", `{"metadata":{"creationTimestamp":"x"}}`,
	} {
		for i := range fuzzMediaTypes {
			f.Add([]byte(seed), uint8(i), uint8(i), uint8(i*5))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, media, validation, kind uint8) {
		info, ok := serializerFor(fuzzMediaTypes[int(media)%len(fuzzMediaTypes)])
		if !ok {
			t.Fatal("media type not served")
		}
		r := api.Resources[int(kind)%len(api.Resources)]
		into, err := api.Scheme.New(r.GVK())
		if err != nil {
			t.Fatal(err)
		}
		resp := restful.NewResponse(httptest.NewRecorder())
		obj, err := decodeAs(resp, info, fuzzValidation[int(validation)%len(fuzzValidation)], body, r.GVK(), into)
		if err == nil && obj == nil {
			t.Fatal("no object and no error")
		}
	})
}

// FuzzApplyPatch: JSON merge, strategic merge and JSON patches of any
// shape applied to a Deployment, then decoded as the server does, give a
// result or an error — never a panic.
func FuzzApplyPatch(f *testing.F) {
	for _, seed := range []struct {
		pt    types.PatchType
		patch string
	}{
		{types.MergePatchType, `{"spec":{"replicas":3},"metadata":{"labels":{"a":null}}}`},
		{types.MergePatchType, `{"spec":null}`},
		{types.StrategicMergePatchType, `{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"x"}]}}}}`},
		{types.StrategicMergePatchType, `{"spec":{"template":{"spec":{"containers":[{"$patch":"delete","name":"app"}]}}}}`},
		{types.StrategicMergePatchType, `{"$setElementOrder/containers":[{"name":"b"}],"$retainKeys":["x"]}`},
		{types.StrategicMergePatchType, `{"spec":{"template":{"spec":{"containers":{"$patch":"replace"}}}}}`},
		{types.JSONPatchType, `[{"op":"replace","path":"/spec/replicas","value":5}]`},
		{types.JSONPatchType, `[{"op":"move","from":"/spec","path":"/spec/template"}]`},
		{types.JSONPatchType, `[{"op":"copy","from":"/metadata","path":"/metadata/labels/x"},{"op":"test","path":"/kind","value":1}]`},
		{types.JSONPatchType, `[{"op":"remove","path":"/spec/template/spec/containers/-1"}]`},
	} {
		for i, pt := range []types.PatchType{types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType} {
			if pt == seed.pt {
				f.Add([]byte(seed.patch), uint8(i))
			}
		}
	}
	replicas := int32(1)
	current, err := json.Marshal(&appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"a": "b"}},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	})
	if err != nil {
		f.Fatal(err)
	}
	gvk := appsv1.SchemeGroupVersion.WithKind("Deployment")
	jsonInfo := mustSerializer(runtime.ContentTypeJSON)
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		pt := []types.PatchType{types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType}[int(which)%3]
		var p jsonpatch.Patch
		if pt == types.JSONPatchType {
			var err error
			if p, err = decodeJSONPatch(body); err != nil {
				return
			}
		}
		patched, err := applyPatch(pt, current, body, p, &appsv1.Deployment{})
		if err != nil {
			return
		}
		resp := restful.NewResponse(httptest.NewRecorder())
		_, _ = decodeAs(resp, jsonInfo, metav1.FieldValidationStrict, patched, gvk, &appsv1.Deployment{})
	})
}
