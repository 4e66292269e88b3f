package customresource

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Codec is the storage codec of one CRD: JSON, with apiVersion and kind of
// the storage version written into every object (conversion None), as
// upstream stores custom resources.
type Codec struct {
	// Kind is the storage version's group/version/kind.
	Kind schema.GroupVersionKind
	// Default, if set, fills in schema defaults of objects read back, as
	// upstream defaults what it reads from etcd: a default added to the
	// schema shows in objects stored before it.
	Default func(obj map[string]any)
}

var _ runtime.Codec = Codec{}

// Encode writes obj (an *unstructured.Unstructured) as JSON.
func (c Codec) Encode(obj runtime.Object, w io.Writer) error {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return fmt.Errorf("custom resource storage cannot encode %T", obj)
	}
	if u.GetAPIVersion() != c.Kind.GroupVersion().String() || u.GetKind() != c.Kind.Kind {
		u = &unstructured.Unstructured{Object: shallowCopy(u.Object)}
		u.SetGroupVersionKind(c.Kind)
	}
	return unstructured.UnstructuredJSONScheme.Encode(u, w)
}

// Decode reads a stored object into into (an *unstructured.Unstructured)
// or a new one.
func (c Codec) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := unstructured.UnstructuredJSONScheme.Decode(data, defaults, into)
	if err == nil && c.Default != nil {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			c.Default(u.Object)
		}
	}
	return obj, gvk, err
}

// Identifier implements runtime.Encoder.
func (c Codec) Identifier() runtime.Identifier { return "customresource-json" }

// shallowCopy copies the top level of m; values are shared.
func shallowCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// WithKind returns u with apiVersion and kind gvk: u itself if it already
// has them, else a copy sharing everything but the top-level map (u may be
// shared with the watch cache and is never modified).
func WithKind(u *unstructured.Unstructured, gvk schema.GroupVersionKind) *unstructured.Unstructured {
	if u.GetAPIVersion() == gvk.GroupVersion().String() && u.GetKind() == gvk.Kind {
		return u
	}
	out := &unstructured.Unstructured{Object: shallowCopy(u.Object)}
	out.SetGroupVersionKind(gvk)
	return out
}
