package apiserver

import (
	"fmt"
	"net/http"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/yaml"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/printers"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// schemeTypes are the Types of a built-in resource: its Go types in
// api.Scheme, every encoding the scheme has, the printers' Tables and
// client-go's OpenAPI models for managedFields, the store's Scaler.
type schemeTypes struct {
	resource api.Resource
	new      func() runtime.Object
	// returnsDeleted: DELETE answers with the deleted object.
	returnsDeleted bool
	// scaler serves …/scale (the store's; nil without one).
	scaler generic.Scaler
}

var _ Types = schemeTypes{}

func (t schemeTypes) Decode(r *http.Request, w http.ResponseWriter, body []byte) (runtime.Object, error) {
	return decodeBody(r, w, body, t.resource.GVK(), t.new())
}

func (t schemeTypes) DecodePatched(w http.ResponseWriter, validation string, patched []byte) (runtime.Object, error) {
	return decodeAs(w, mustSerializer(runtime.ContentTypeJSON), validation, patched, t.resource.GVK(), t.new())
}

func (schemeTypes) CheckPatch(types.PatchType) error { return nil }

func (schemeTypes) ApplyConfiguration(body []byte) (map[string]any, error) {
	obj := map[string]any{}
	err := yaml.Unmarshal(body, &obj)
	return obj, err
}

func (schemeTypes) AdmitApplied(http.ResponseWriter, string, runtime.Object) error { return nil }

func (schemeTypes) ToVersion(obj runtime.Object) runtime.Object { return obj }

func (schemeTypes) Protobuf() bool { return true }

func (schemeTypes) ToTable(obj runtime.Object, opts *metav1.TableOptions, noHeaders bool) (*metav1.Table, error) {
	return printers.ToTable(obj, opts, noHeaders)
}

func (t schemeTypes) ReturnsDeletedObject() bool { return t.returnsDeleted }

func (t schemeTypes) FieldManager(sub string) (*managedfields.FieldManager, error) {
	kind := t.resource.GVK()
	tc := typeConverter()
	if ownModelGroups[kind.Group] {
		var err error
		if tc, err = ownTypeConverter(); err != nil {
			return nil, err
		}
	}
	return managedfields.NewDefaultFieldManager(tc, shallowConverter{api.Scheme}, api.Scheme, api.Scheme,
		kind, kind.GroupVersion(), sub, nil)
}

func (t schemeTypes) Scale(obj runtime.Object) (*autoscalingv1.Scale, error) {
	if t.scaler == nil {
		return nil, fmt.Errorf("%T has no scale subresource", obj)
	}
	return t.scaler.Scale(obj)
}

func (t schemeTypes) SetReplicas(obj runtime.Object, replicas int32) error {
	if t.scaler == nil {
		return fmt.Errorf("%T has no scale subresource", obj)
	}
	return t.scaler.SetReplicas(obj, replicas)
}
