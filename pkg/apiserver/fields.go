package apiserver

import (
	"fmt"
	"strings"
	"sync"

	restful "github.com/emicklei/go-restful/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/applyconfigurations"

	"github.com/tinykube/tinykube/pkg/api"
)

// typeConverter is the structured-merge-diff schema of every built-in
// type (from client-go's embedded OpenAPI models). Built on first use: it
// takes a few hundred milliseconds and start-up must stay fast.
var typeConverter = sync.OnceValue(func() managedfields.TypeConverter {
	return applyconfigurations.NewTypeConverter(api.Scheme)
})

// fields returns the endpoint's field manager, built on first use.
func (e *endpoint) fields() (*managedfields.FieldManager, error) {
	e.fmOnce.Do(func() {
		kind := e.resource().GVK()
		if e.sub != "" && e.sub != "status" {
			return // scale, binding… have their own kinds and no managedFields of their own
		}
		e.fm, e.fmErr = managedfields.NewDefaultFieldManager(typeConverter(), api.Scheme, api.Scheme, api.Scheme,
			kind, kind.GroupVersion(), e.sub, nil)
	})
	return e.fm, e.fmErr
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
	return fm.UpdateNoErrors(live, obj, manager), nil
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
