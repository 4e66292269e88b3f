package apiserver

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/bench"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// TestShallowConverterSameFields: the field manager records the same
// managedFields through shallowConverter as through the scheme's deep
// copies, for creates, updates and applies, and leaves its inputs alone.
func TestShallowConverterSameFields(t *testing.T) {
	replicas := int32(3)
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "ns", Labels: map[string]string{"app": "d"}},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "d"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "d"}},
				Spec: bench.NewPod("ns", "x", "run", "crud").Spec}},
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns", Annotations: map[string]string{"a": "b"}}, Data: map[string]string{"k": "v"}}
	for _, tc := range []struct {
		obj    runtime.Object
		change func(runtime.Object)
		apply  string
	}{
		{bench.NewPod("ns", "p", "run", "crud"), func(o runtime.Object) {
			p := o.(*corev1.Pod)
			p.Labels["extra"] = "1"
			p.Spec.Containers[0].Image = "other"
		}, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"applied":"yes"}}}`},
		{deploy, func(o runtime.Object) { *o.(*appsv1.Deployment).Spec.Replicas = 5 },
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"ns"},"spec":{"replicas":7}}`},
		{cm, func(o runtime.Object) {
			o.(*corev1.ConfigMap).Data["k2"] = "v2"
			delete(o.(*corev1.ConfigMap).Data, "k")
		},
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ns"},"data":{"k3":"v3"}}`},
	} {
		gvks, _, err := api.Scheme.ObjectKinds(tc.obj)
		if err != nil {
			t.Fatal(err)
		}
		gvk := gvks[0]
		t.Run(gvk.Kind, func(t *testing.T) {
			managers := map[string]*managedfields.FieldManager{}
			for name, conv := range map[string]runtime.ObjectConvertor{"scheme": api.Scheme, "shallow": shallowConverter{api.Scheme}} {
				fm, err := managedfields.NewDefaultFieldManager(typeConverter(), conv, api.Scheme, api.Scheme, gvk, gvk.GroupVersion(), "", nil)
				if err != nil {
					t.Fatal(err)
				}
				managers[name] = fm
			}
			steps := func(fm *managedfields.FieldManager) []runtime.Object {
				empty, _ := api.Scheme.New(gvk)
				created := fm.UpdateNoErrors(empty, tc.obj.DeepCopyObject(), "creator")
				live := created.DeepCopyObject()
				next := created.DeepCopyObject()
				tc.change(next)
				updated := fm.UpdateNoErrors(live, next, "updater")
				if !reflect.DeepEqual(live, created) {
					t.Errorf("update changed the live object")
				}
				patch := &unstructured.Unstructured{}
				if err := patch.UnmarshalJSON([]byte(tc.apply)); err != nil {
					t.Fatal(err)
				}
				applied, err := fm.Apply(updated.DeepCopyObject(), patch, "applier", true)
				if err != nil {
					t.Fatal(err)
				}
				out := []runtime.Object{created, updated, applied}
				for _, o := range out {
					m := objectMeta(o)
					fields := m.GetManagedFields()
					for i := range fields {
						fields[i].Time = nil
					}
					m.SetManagedFields(fields)
					o.GetObjectKind().SetGroupVersionKind(gvk)
				}
				return out
			}
			want, got := steps(managers["scheme"]), steps(managers["shallow"])
			for i, step := range []string{"create", "update", "apply"} {
				if !reflect.DeepEqual(want[i], got[i]) {
					t.Errorf("%s: shallow converter gives\n%#v\nscheme gives\n%#v", step, got[i], want[i])
				}
				if len(objectMeta(got[i]).GetManagedFields()) == 0 {
					t.Errorf("%s: no managedFields", step)
				}
			}
		})
	}
}

// TestTrackFieldsWithoutLiveManagedFields: an update whose body carries
// the live managedFields records exactly what the field manager records
// when it also walks the live object's managedFields.
func TestTrackFieldsWithoutLiveManagedFields(t *testing.T) {
	var pods api.Resource
	for _, r := range api.Resources {
		if r.GroupVersion.Group == "" && r.Name == "pods" {
			pods = r
		}
	}
	store := &generic.Store{Resource: pods}
	e := &endpoint{store: store, types: schemeTypes{resource: pods, new: store.New}}
	fm, err := e.fields()
	if err != nil {
		t.Fatal(err)
	}
	claim := func(p *corev1.Pod) {
		p.ManagedFields = append(p.ManagedFields, metav1.ManagedFieldsEntry{Manager: "odd", Operation: metav1.ManagedFieldsOperationUpdate,
			APIVersion: "v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:managedFields":{}}}`)}})
	}
	for name, tc := range map[string]struct {
		prepare func(live *corev1.Pod) // after the creates, before the update
		change  func(p *corev1.Pod)
		manager string
	}{
		"same manager adds":           {change: func(p *corev1.Pod) { p.Labels["new"] = "1" }, manager: "creator"},
		"other manager takes a field": {change: func(p *corev1.Pod) { p.Labels["app.kubernetes.io/name"] = "x" }, manager: "other"},
		"removes fields":              {change: func(p *corev1.Pod) { delete(p.Labels, "pod-template-hash"); p.Spec.Containers[0].Args = nil }, manager: "other"},
		"no change":                   {change: func(p *corev1.Pod) {}, manager: "other"},
		"a set names managedFields":   {prepare: claim, change: func(p *corev1.Pod) { p.Labels["new"] = "1" }, manager: "other"},
	} {
		t.Run(name, func(t *testing.T) {
			created := fm.UpdateNoErrors(&corev1.Pod{}, bench.NewPod("ns", "p", "run", "crud"), "creator").(*corev1.Pod)
			second := created.DeepCopy()
			second.Annotations = map[string]string{"by": "second"}
			live := fm.UpdateNoErrors(created, second, "second").(*corev1.Pod)
			live.UID = "uid"
			if tc.prepare != nil {
				tc.prepare(live)
			}
			body := live.DeepCopy()
			tc.change(body)
			want := fm.UpdateNoErrors(live.DeepCopy(), body.DeepCopy(), tc.manager)
			got, err := e.trackFields(live, body, tc.manager)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range []runtime.Object{want, got} {
				fields := objectMeta(o).GetManagedFields()
				for i := range fields {
					fields[i].Time = nil
				}
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("got managedFields\n%v\nwant\n%v", objectMeta(got).GetManagedFields(), objectMeta(want).GetManagedFields())
			}
			if len(live.ManagedFields) == 0 {
				t.Error("the live object lost its managedFields")
			}
		})
	}
}
