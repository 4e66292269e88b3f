package admissionpolicy

import (
	"context"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// request is one write as the policies of a plugin see it; it reads the
// namespace and converts objects at most once, however many policies
// match.
type request struct {
	a          *generic.Attributes
	namespaces Lister

	nsDone bool
	ns     *corev1.Namespace
	nsErr  error

	object, old any
	converted   bool
	req         map[string]any
}

func newRequest(a *generic.Attributes, namespaces Lister) *request {
	return &request{a: a, namespaces: namespaces}
}

func (r *request) isNamespace() bool {
	return r.a.Resource.GroupVersion.Group == "" && r.a.Resource.Name == "namespaces"
}

// namespace is the write's namespace (nil for cluster-scoped writes and
// Namespaces themselves, as upstream).
func (r *request) namespace(ctx context.Context) (*corev1.Namespace, error) {
	if r.nsDone {
		return r.ns, r.nsErr
	}
	r.nsDone = true
	if r.a.Namespace == "" || r.isNamespace() || r.namespaces == nil {
		return nil, nil
	}
	obj, err := r.namespaces.GetFromCache(ctx, "", r.a.Namespace)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		r.nsErr = err
		return nil, err
	}
	r.ns, _ = obj.(*corev1.Namespace)
	return r.ns, nil
}

// objects returns the new and old object as JSON-shaped values.
func (r *request) objects() (obj, old any, err error) {
	if !r.converted {
		if r.object, err = toJSON(r.a.Object); err != nil {
			return nil, nil, err
		}
		if r.old, err = toJSON(r.a.Old); err != nil {
			return nil, nil, err
		}
		gvk := r.a.Resource.GVK()
		for _, o := range []any{r.object, r.old} {
			if m, ok := o.(map[string]any); ok {
				m["apiVersion"], m["kind"] = gvk.GroupVersion().String(), gvk.Kind
			}
		}
		r.converted = true
	}
	return r.object, r.old, nil
}

// invalidate drops the converted objects after a mutation.
func (r *request) invalidate() { r.converted = false }

// request is the CEL request variable (upstream's AdmissionRequest
// fields).
func (r *request) request(ctx context.Context) map[string]any {
	if r.req != nil {
		return r.req
	}
	gvr, gvk := r.a.Resource.GVR(), r.a.Resource.GVK()
	kind := map[string]any{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind}
	res := map[string]any{"group": gvr.Group, "version": gvr.Version, "resource": gvr.Resource}
	user := map[string]any{"username": "", "uid": "", "groups": []any{}, "extra": map[string]any{}}
	if u, ok := authn.UserFrom(ctx); ok {
		groups := []any{}
		for _, g := range u.Groups {
			groups = append(groups, g)
		}
		extra := map[string]any{}
		for k, vs := range u.Extra {
			l := []any{}
			for _, v := range vs {
				l = append(l, v)
			}
			extra[k] = l
		}
		user = map[string]any{"username": u.Name, "uid": u.UID, "groups": groups, "extra": extra}
	}
	r.req = map[string]any{
		"kind": kind, "resource": res, "subResource": r.a.Subresource,
		"requestKind": kind, "requestResource": res, "requestSubResource": r.a.Subresource,
		"name": r.a.Name, "namespace": r.a.Namespace, "operation": string(r.a.Operation),
		"userInfo": user, "dryRun": r.a.DryRun, "options": nil,
	}
	return r.req
}

// namespaceObject is the CEL namespaceObject: the write's Namespace
// without managedFields (null for cluster-scoped writes).
func (r *request) namespaceObject(ctx context.Context) (any, error) {
	ns, err := r.namespace(ctx)
	if err != nil || ns == nil {
		return nil, err
	}
	ns = ns.DeepCopy()
	ns.ManagedFields = nil
	return toJSON(ns)
}

// toJSON converts an object to the JSON shape CEL evaluates (nil stays
// nil).
func toJSON(obj any) (any, error) {
	if obj == nil {
		return nil, nil
	}
	if v := reflect.ValueOf(obj); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, nil
	}
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return runtime.DeepCopyJSON(u.Object), nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// metaOf is obj's metadata, nil if it has none.
func metaOf(obj any) metav1.Object {
	if obj == nil {
		return nil
	}
	if v := reflect.ValueOf(obj); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil
	}
	return m
}
