package apiserver

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	restful "github.com/emicklei/go-restful/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/klog/v2"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/openapi"
)

// typeConverter is the structured-merge-diff schema of every built-in
// type (from client-go's embedded OpenAPI models). Built on first use: it
// takes a few hundred milliseconds and start-up must stay fast.
var typeConverter = sync.OnceValue(func() managedfields.TypeConverter {
	return applyconfigurations.NewTypeConverter(api.Scheme)
})

// ownModelGroups are the groups whose types client-go's embedded models
// do not have: CRDs (apiextensions.k8s.io) and APIServices
// (apiregistration.k8s.io).
var ownModelGroups = map[string]bool{"apiextensions.k8s.io": true, "apiregistration.k8s.io": true}

// ownTypeConverter is the schema of the ownModelGroups types, from our
// own OpenAPI definitions (pkg/openapi), built on the first write of one.
var ownTypeConverter = sync.OnceValues(func() (managedfields.TypeConverter, error) {
	var resources []api.Resource
	for _, r := range api.Resources {
		if ownModelGroups[r.GroupVersion.Group] {
			resources = append(resources, r)
		}
	}
	schemas, err := openapi.NewBuilder(api.Scheme, resources).Schemas()
	if err != nil {
		return nil, err
	}
	return managedfields.NewTypeConverter(schemas, false)
})

// fields returns the endpoint's field manager, built on first use.
func (e *endpoint) fields() (*managedfields.FieldManager, error) {
	e.fmOnce.Do(func() {
		if !e.writesObject() {
			return // scale, binding… have their own kinds and no managedFields of their own
		}
		e.fm, e.fmErr = e.types.FieldManager(e.sub)
	})
	return e.fm, e.fmErr
}

// shallowConverter is api.Scheme for the field manager without its
// deep copies. managedfields "converts" the live and the new object to
// their own version before walking them, on every write; for a typed
// object already at that version the scheme answers with a deep copy
// carrying apiVersion and kind. The field manager only reads what it
// gets (it walks it into a typed value, or hands it back as the result
// in place of an object nobody else holds), so a shallow copy — the
// top-level struct, nested data shared — with the kind set is as good.
// Real conversions and unstructured objects go to the scheme.
type shallowConverter struct{ *runtime.Scheme }

func (c shallowConverter) ConvertToVersion(in runtime.Object, target runtime.GroupVersioner) (runtime.Object, error) {
	if _, ok := in.(runtime.Unstructured); !ok {
		if kinds, _, err := c.ObjectKinds(in); err == nil {
			if gvk, ok := target.KindForGroupVersionKinds(kinds); ok && gvk.Version != runtime.APIVersionInternal && slices.Contains(kinds, gvk) {
				v := reflect.ValueOf(in)
				if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
					out := reflect.New(v.Elem().Type())
					out.Elem().Set(v.Elem())
					obj := out.Interface().(runtime.Object)
					obj.GetObjectKind().SetGroupVersionKind(gvk)
					return obj, nil
				}
			}
		}
	}
	return c.Scheme.ConvertToVersion(in, target)
}

// manager returns the field manager name of a write: the fieldManager
// parameter, else the user agent's program name, as upstream.
func (e *endpoint) manager(req *restful.Request, fieldManager string) (string, error) {
	if len(fieldManager) > 128 {
		return "", apierrors.NewBadRequest(fmt.Sprintf("fieldManager: Too long: may not be more than 128 bytes"))
	}
	if fieldManager != "" {
		return fieldManager, nil
	}
	ua := req.Request.UserAgent()
	if i := strings.Index(ua, "/"); i >= 0 {
		ua = ua[:i]
	}
	if len(ua) > 128 {
		ua = ua[:128]
	}
	return ua, nil
}

// trackFields records in obj's managedFields what manager changed between
// live and obj.
func (e *endpoint) trackFields(live, obj runtime.Object, manager string) (runtime.Object, error) {
	fm, err := e.fields()
	if err != nil || fm == nil {
		return obj, err
	}
	if e.sub != "" || !sameManagedFields(live, obj) {
		out, err := fm.Update(live, obj, manager)
		if err != nil {
			// As UpdateNoErrors, the live managedFields stay; but not
			// logged as an error: the cause is a body its schema
			// rejects (a custom resource with a string where an integer
			// belongs), which validation then refuses with a 422. That
			// is the client's mistake, not the server's.
			klog.V(4).InfoS("managedFields not updated; keeping the live object's", "err", err)
			if la, lerr := meta.Accessor(live); lerr == nil {
				if na, nerr := meta.Accessor(obj); nerr == nil {
					na.SetManagedFields(la.GetManagedFields())
				}
			}
			return obj, nil
		}
		return out, nil
	}
	// The body carries the live object's managedFields (a client writing
	// back what it read): the field manager takes them from the body, so
	// it need not walk the live copy's — usually the biggest part of the
	// object. Without them the comparison of live and new differs only
	// under metadata.managedFields, which stripMeta keeps out of every
	// manager's set unless a set already names it (then we go the long
	// way). On failure, as UpdateNoErrors, the live managedFields stay.
	out, err := fm.Update(withoutManagedFields(live), obj, manager)
	if err != nil {
		objectMeta(obj).SetManagedFields(objectMeta(live).GetManagedFields())
		return obj, nil
	}
	return out, nil
}

// sameManagedFields reports whether obj carries live's non-empty
// managedFields unchanged, none of whose sets mentions a managedFields
// field.
func sameManagedFields(live, obj runtime.Object) bool {
	lf, nf := objectMeta(live).GetManagedFields(), objectMeta(obj).GetManagedFields()
	if len(lf) == 0 || !reflect.DeepEqual(lf, nf) {
		return false
	}
	for _, f := range lf {
		if f.FieldsV1 == nil || bytes.Contains(f.FieldsV1.Raw, []byte(`"f:managedFields"`)) {
			return false
		}
	}
	return true
}

// withoutManagedFields returns a shallow copy of obj (a pointer to a
// struct) with no managedFields; obj is untouched.
func withoutManagedFields(obj runtime.Object) runtime.Object {
	v := reflect.ValueOf(obj).Elem()
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	out := c.Interface().(runtime.Object)
	objectMeta(out).SetManagedFields(nil)
	return out
}

func objectMeta(obj runtime.Object) metav1.Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		panic(fmt.Sprintf("%T is not an API object", obj)) // broken invariant
	}
	return m
}

func badRequest(what string, err error) error {
	return apierrors.NewBadRequest(fmt.Sprintf("invalid %s: %v", what, err))
}
