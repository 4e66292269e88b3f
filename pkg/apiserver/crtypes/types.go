package crtypes

import (
	"errors"
	"fmt"
	"mime"
	"net/http"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/managedfields"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/yaml"

	"github.com/tinykube/tinykube/pkg/apiserver"
	"github.com/tinykube/tinykube/pkg/registry/apiextensions/customresource"
)

// Types are the apiserver.Types of one served version of a CRD: its
// version (schema, scale paths), its Table printer and the
// structured-merge-diff schema of its field manager.
type Types struct {
	v     *customresource.Version
	table *customresource.Table
	// typeConverter returns the CRD's schema for the field manager (nil:
	// deduce types).
	typeConverter func() (managedfields.TypeConverter, error)
}

var _ apiserver.Types = (*Types)(nil)

// New returns the Types of version v, printed by table. typeConverter,
// if set, returns the structured-merge-diff schema of the CRD for
// managedFields and server-side apply (called on the first write);
// without it types are deduced from the objects.
func New(v *customresource.Version, table *customresource.Table, typeConverter func() (managedfields.TypeConverter, error)) *Types {
	return &Types{v: v, table: table, typeConverter: typeConverter}
}

// ToVersion gives obj (an object or list as the store returns it, at the
// storage version) the endpoint's apiVersion: conversion None. Shared
// (cached) objects are copied, never changed.
func (c *Types) ToVersion(obj runtime.Object) runtime.Object {
	gvk := c.v.Resource.GVK()
	switch o := obj.(type) {
	case *unstructured.Unstructured:
		return customresource.WithKind(o, gvk)
	case *unstructured.UnstructuredList:
		// Items stored before a change of storage version keep their
		// old apiVersion: each is looked at.
		out := &unstructured.UnstructuredList{Object: o.Object, Items: make([]unstructured.Unstructured, len(o.Items))}
		for i := range o.Items {
			out.Items[i] = *customresource.WithKind(&o.Items[i], gvk)
		}
		return out
	}
	return obj
}

// CheckPatch refuses strategic merge patches: custom resources have no
// patch strategies (upstream: 415).
func (c *Types) CheckPatch(pt types.PatchType) error {
	if pt == types.StrategicMergePatchType {
		return apiserver.UnsupportedMediaTypeOf(patchTypes)
	}
	return nil
}

// ApplyConfiguration parses an apply body. Custom resources stay
// unstructured: whole numbers must be int64, as JSON decoding makes
// them, not YAML's float64.
func (c *Types) ApplyConfiguration(body []byte) (map[string]any, error) {
	obj := map[string]any{}
	js, err := yaml.YAMLToJSON(body)
	if err == nil {
		err = utiljson.Unmarshal(js, &obj)
	}
	return obj, err
}

// AdmitApplied applies the schema's defaults to an applied object and
// prunes it, as Decode does a body.
func (c *Types) AdmitApplied(w http.ResponseWriter, validation string, obj runtime.Object) error {
	return c.admit(obj.(*unstructured.Unstructured), validation, nil, w)
}

// Protobuf is false: custom resources have no protobuf form.
func (c *Types) Protobuf() bool { return false }

// ToTable prints the CRD's additionalPrinterColumns.
func (c *Types) ToTable(obj runtime.Object, opts *metav1.TableOptions, noHeaders bool) (*metav1.Table, error) {
	return c.table.ToTable(obj, opts, noHeaders)
}

// ReturnsDeletedObject is false: a custom resource's DELETE answers with
// a Status, whatever its name.
func (c *Types) ReturnsDeletedObject() bool { return false }

// Scale reads the CRD's scale paths.
func (c *Types) Scale(obj runtime.Object) (*autoscalingv1.Scale, error) {
	return customresource.ScaleOf(obj.(*unstructured.Unstructured), c.v.Scale), nil
}

// SetReplicas writes the CRD's spec replicas path.
func (c *Types) SetReplicas(obj runtime.Object, replicas int32) error {
	return customresource.SetReplicas(obj.(*unstructured.Unstructured), c.v.Scale, replicas)
}

// The media types of custom resource bodies and patches, as upstream lists
// them in its 415s.
var (
	bodyTypes  = []string{runtime.ContentTypeJSON, runtime.ContentTypeYAML}
	patchTypes = []string{"application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"}
)

// Decode reads a custom resource from a request body (JSON or YAML; a
// protobuf body is 415, as upstream) and admits it: the schema's defaults,
// then pruning, whose dropped fields fieldValidation reports (Strict: 400
// `strict decoding error: unknown field "spec.foo"`, Warn: Warning
// headers, Ignore: nothing), as do duplicate fields.
func (c *Types) Decode(r *http.Request, w http.ResponseWriter, body []byte) (runtime.Object, error) {
	validation, err := apiserver.FieldValidation(r)
	if err != nil {
		return nil, err
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		ct = runtime.ContentTypeJSON
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, apiserver.UnsupportedMediaTypeOf(bodyTypes)
	}
	switch mt {
	case runtime.ContentTypeJSON:
	case runtime.ContentTypeYAML:
		converted, strictErr := yaml.YAMLToJSONStrict(body)
		if strictErr != nil {
			// Duplicate keys: an error, a warning or nothing, as other
			// unknown fields.
			if converted, err = yaml.YAMLToJSON(body); err != nil {
				return nil, c.cannotHandle(err)
			}
			switch validation {
			case metav1.FieldValidationStrict:
				return nil, c.cannotHandle(errors.New("strict decoding error: " + strictErr.Error()))
			case metav1.FieldValidationWarn:
				apiserver.AddWarning(w, strictErr.Error())
			}
		}
		body = converted
	default:
		return nil, apiserver.UnsupportedMediaTypeOf(bodyTypes)
	}
	return c.DecodePatched(w, validation, body)
}

// DecodePatched decodes and admits a JSON body (requests, patched
// objects).
func (c *Types) DecodePatched(w http.ResponseWriter, validation string, body []byte) (runtime.Object, error) {
	obj, gvk, err := unstructured.UnstructuredJSONScheme.Decode(body, nil, &unstructured.Unstructured{})
	if err != nil {
		return nil, c.cannotHandle(err)
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (must be of type %s)", c.v.Resource.Kind))
	}
	want := c.v.Resource.GVK()
	if gvk.Kind != want.Kind {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (must be of type %s): kind %q", want.Kind, gvk.Kind))
	}
	if gvk.GroupVersion() != want.GroupVersion() {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)",
			gvk.GroupVersion(), want.GroupVersion()))
	}
	var unknown []string
	if validation != metav1.FieldValidationIgnore {
		var probe any
		if strictErrs, err := kjson.UnmarshalStrict(body, &probe, kjson.DisallowDuplicateFields); err == nil {
			for _, e := range strictErrs {
				unknown = append(unknown, e.Error())
			}
		}
	}
	if err := c.admit(u, validation, unknown, w); err != nil {
		return nil, err
	}
	return u, nil
}

// admit checks metadata, applies defaults and prunes u, reporting the
// dropped fields (and the strict errors already found) per validation.
func (c *Types) admit(u *unstructured.Unstructured, validation string, strictErrs []string, w http.ResponseWriter) error {
	if md, ok := u.Object["metadata"]; ok {
		m, isMap := md.(map[string]any)
		if !isMap {
			return c.cannotHandle(errors.New("metadata must be an object"))
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &metav1.ObjectMeta{}); err != nil {
			return c.cannotHandle(err)
		}
	}
	c.v.Schema.Default(u.Object)
	for _, p := range c.v.Schema.Prune(u.Object) {
		strictErrs = append(strictErrs, fmt.Sprintf("unknown field %q", p))
	}
	if len(strictErrs) == 0 || validation == metav1.FieldValidationIgnore {
		return nil
	}
	if validation == metav1.FieldValidationStrict {
		errs := make([]error, len(strictErrs))
		for i, s := range strictErrs {
			errs[i] = errors.New(s)
		}
		return c.cannotHandle(runtime.NewStrictDecodingError(errs))
	}
	if w != nil {
		for _, s := range strictErrs {
			apiserver.AddWarning(w, s)
		}
	}
	return nil
}

func (c *Types) cannotHandle(err error) error {
	k := c.v.Resource.Kind
	return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", k, c.v.Resource.GroupVersion.Version, k, err))
}

// FieldManager builds the managedFields tracker of a custom resource
// endpoint (sub "" or "status") on the CRD's schema, as upstream (list
// types and map keys merge as declared; undeclared fields are an apply
// error). Without a schema (or one the type converter rejects) it deduces
// types from the objects (maps and scalars, lists atomic).
func (c *Types) FieldManager(sub string) (*managedfields.FieldManager, error) {
	kind := c.v.Resource.GVK()
	tc := managedfields.NewDeducedTypeConverter()
	if c.typeConverter != nil {
		// A schema the converter cannot take must not make every write
		// fail: types are then deduced, as without a schema.
		if schemaTC, err := c.typeConverter(); err == nil {
			tc = schemaTC
		}
	}
	return managedfields.NewDefaultCRDFieldManager(tc, unstructuredConverter{},
		noDefaults{}, unstructuredCreater{}, kind, kind.GroupVersion(), sub, c.resetFields(sub))
}

// resetFields are the fields an endpoint resets, which therefore no
// manager owns through it (upstream's GetResetFields): status on the main
// endpoint when /status owns it, spec on /status.
func (c *Types) resetFields(sub string) map[fieldpath.APIVersion]fieldpath.Filter {
	var reset string
	switch {
	case sub == "status":
		reset = "spec"
	case sub == "" && c.v.Status:
		reset = "status"
	default:
		return nil
	}
	return map[fieldpath.APIVersion]fieldpath.Filter{
		fieldpath.APIVersion(c.v.Resource.GroupVersion.String()): fieldpath.NewExcludeSetFilter(fieldpath.NewSet(fieldpath.MakePathOrDie(reset))),
	}
}

// unstructuredConverter converts custom resources between versions of
// their CRD by changing apiVersion (conversion None).
type unstructuredConverter struct{}

var _ runtime.ObjectConvertor = unstructuredConverter{}

func (unstructuredConverter) Convert(in, out, context any) error {
	return errors.New("custom resources convert only by ConvertToVersion")
}

func (unstructuredConverter) ConvertToVersion(in runtime.Object, target runtime.GroupVersioner) (runtime.Object, error) {
	u, ok := in.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("cannot convert %T", in)
	}
	gvk, ok := target.KindForGroupVersionKinds([]schema.GroupVersionKind{u.GroupVersionKind()})
	if !ok {
		return nil, fmt.Errorf("%v is not convertible to %v", u.GroupVersionKind(), target)
	}
	out := u.DeepCopy()
	out.SetGroupVersionKind(gvk)
	return out, nil
}

func (unstructuredConverter) ConvertFieldLabel(gvk schema.GroupVersionKind, label, value string) (string, string, error) {
	return label, value, nil
}

type noDefaults struct{}

func (noDefaults) Default(runtime.Object) {}

type unstructuredCreater struct{}

func (unstructuredCreater) New(kind schema.GroupVersionKind) (runtime.Object, error) {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetGroupVersionKind(kind)
	return u, nil
}
