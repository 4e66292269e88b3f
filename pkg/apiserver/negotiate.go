package apiserver

import (
	"fmt"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/munnerz/goautoneg"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/printers"
)

// Output shapes a client can ask for with Accept parameters
// (application/json;as=Table;v=v1;g=meta.k8s.io).
type outputAs string

const (
	asObject          outputAs = ""
	asTable           outputAs = "Table"
	asPartialMeta     outputAs = "PartialObjectMetadata"
	asPartialMetaList outputAs = "PartialObjectMetadataList"
)

// output is the negotiated response format.
type output struct {
	info runtime.SerializerInfo
	as   outputAs
	// table, if set, builds Tables instead of printers.ToTable (custom
	// resources print their CRD's columns).
	table tablePrinter
}

// toTable converts obj with the endpoint's table printer, or with the
// built-in printers when it has none.
func (o output) toTable(obj runtime.Object, opts *metav1.TableOptions, noHeaders bool) (*metav1.Table, error) {
	if o.table != nil {
		return o.table.ToTable(obj, opts, noHeaders)
	}
	return printers.ToTable(obj, opts, noHeaders)
}

// tablePrinter converts an object or list to a Table (printers.ToTable's
// contract); Types are one.
type tablePrinter interface {
	ToTable(obj runtime.Object, opts *metav1.TableOptions, noHeaders bool) (*metav1.Table, error)
}

// negotiate picks the response serializer and shape from Accept. list says
// whether the endpoint returns a list (PartialObjectMetadataList) or one
// object. An Accept nothing matches is 406.
func negotiate(r *http.Request, list bool) (output, error) {
	return negotiateFor(r, list, false)
}

// negotiateFor is negotiate; noProtobuf leaves protobuf out of the
// candidates for the object itself (custom resources have no protobuf
// form: a client that also accepts JSON gets JSON, one that accepts only
// protobuf a 406). Tables and PartialObjectMetadata, which do, may still
// be protobuf, as upstream.
func negotiateFor(r *http.Request, list, noProtobuf bool) (output, error) {
	header := r.Header.Get("Accept")
	if header == "" {
		header = "application/json"
	}
	for _, clause := range goautoneg.ParseAccept(header) {
		info, ok := serializerFor(clause.Type + "/" + clause.SubType)
		as := outputAs(clause.Params["as"])
		if !ok || (noProtobuf && as == asObject && info.MediaType == runtime.ContentTypeProtobuf) {
			continue
		}
		switch as {
		case asObject:
		case asTable:
			if clause.Params["g"] != "meta.k8s.io" || (clause.Params["v"] != "v1" && clause.Params["v"] != "v1beta1") {
				continue
			}
		case asPartialMeta, asPartialMetaList:
			if clause.Params["g"] != "meta.k8s.io" || clause.Params["v"] != "v1" {
				continue
			}
			if (as == asPartialMetaList) != list {
				continue
			}
		default:
			continue
		}
		return output{info: info, as: as}, nil
	}
	return output{}, errNotAcceptable()
}

// errNotAcceptable is the 406 for an Accept the endpoint cannot serve.
func errNotAcceptable() error {
	return apierrors.NewGenericServerResponse(http.StatusNotAcceptable, "", schema.GroupResource{}, "", "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf", 0, false)
}

// serializerFor maps a media type (or wildcard) to a serializer.
func serializerFor(mediaType string) (runtime.SerializerInfo, bool) {
	switch mediaType {
	case "*/*", "application/*":
		mediaType = runtime.ContentTypeJSON
	}
	for _, info := range api.Codecs.SupportedMediaTypes() {
		if info.MediaType == mediaType {
			return info, true
		}
	}
	return runtime.SerializerInfo{}, false
}

// requestSerializer picks the decoder for a request body by Content-Type.
// An unknown type is 415.
func requestSerializer(r *http.Request) (runtime.SerializerInfo, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		ct = runtime.ContentTypeJSON
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		for _, info := range api.Codecs.SupportedMediaTypes() {
			if info.MediaType == mt {
				return info, nil
			}
		}
	}
	return runtime.SerializerInfo{}, unsupportedMediaType(ct)
}

// withKind returns obj with apiVersion/kind set. Objects may be shared
// with the watch cache, so a shallow copy takes the TypeMeta, never obj.
func withKind(obj runtime.Object, gvk schema.GroupVersionKind) runtime.Object {
	if obj.GetObjectKind().GroupVersionKind() == gvk {
		return obj
	}
	if u, ok := obj.(*unstructured.Unstructured); ok {
		// A shallow copy of the struct would share (and then change)
		// the object's map: copy its top level.
		out := &unstructured.Unstructured{Object: maps.Clone(u.Object)}
		out.SetGroupVersionKind(gvk)
		return out
	}
	v := reflect.ValueOf(obj)
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	out := cp.Interface().(runtime.Object)
	out.GetObjectKind().SetGroupVersionKind(gvk)
	return out
}

// kindOf returns the GroupVersionKind to write for obj: the scheme's
// preferred one (metav1 types live in several group versions).
func kindOf(obj runtime.Object, preferred schema.GroupVersion) schema.GroupVersionKind {
	kinds, _, err := api.Scheme.ObjectKinds(obj)
	if err != nil || len(kinds) == 0 {
		return obj.GetObjectKind().GroupVersionKind()
	}
	for _, k := range kinds {
		if k.GroupVersion() == preferred {
			return k
		}
	}
	for _, k := range kinds {
		if k.Group == "meta.k8s.io" || (k.Group == "" && k.Version == "v1") {
			return k
		}
	}
	return kinds[0]
}

func isYAML(info runtime.SerializerInfo) bool { return strings.Contains(info.MediaType, "yaml") }

// unsupportedMediaType is upstream's 415 for a body or patch type the
// server does not read.
func unsupportedMediaType(mediaType string) error {
	return UnsupportedMediaTypeOf(acceptedMediaTypes())
}

// UnsupportedMediaTypeOf is the 415 naming the media types accepted.
func UnsupportedMediaTypeOf(accepted []string) error {
	return apierrors.NewGenericServerResponse(http.StatusUnsupportedMediaType, "", schema.GroupResource{}, "",
		fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s", strings.Join(accepted, ", ")), 0, false)
}

func acceptedMediaTypes() []string {
	var out []string
	for _, info := range api.Codecs.SupportedMediaTypes() {
		out = append(out, info.MediaType)
	}
	return out
}
