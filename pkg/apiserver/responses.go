package apiserver

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
)

var (
	metaGV     = schema.GroupVersion{Group: "meta.k8s.io", Version: "v1"}
	statusKind = schema.GroupVersionKind{Version: "v1", Kind: "Status"}
)

// writeObject encodes obj (of group version gv) in the negotiated format.
func writeObject(w http.ResponseWriter, r *http.Request, code int, obj runtime.Object, gv schema.GroupVersion, out output) {
	obj, err := transform(r, obj, out)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if out.as != asObject {
		gv = metaGV
	}
	encodeTo(w, code, withKind(obj, kindOf(obj, gv)), out.info)
}

// transform turns obj into the shape the client asked for.
func transform(r *http.Request, obj runtime.Object, out output) (runtime.Object, error) {
	switch out.as {
	case asTable:
		opts, err := tableOptions(r)
		if err != nil {
			return nil, err
		}
		table, err := out.toTable(obj, opts, false)
		if err != nil {
			return nil, err
		}
		if lm, err := meta.ListAccessor(obj); err == nil && meta.IsListType(obj) {
			table.ResourceVersion = lm.GetResourceVersion()
			table.Continue = lm.GetContinue()
			table.RemainingItemCount = lm.GetRemainingItemCount()
		} else if m, err := meta.Accessor(obj); err == nil {
			table.ResourceVersion = m.GetResourceVersion()
		}
		return table, nil
	case asPartialMeta:
		return partialMeta(obj)
	case asPartialMetaList:
		items, err := meta.ExtractList(obj)
		if err != nil {
			return nil, err
		}
		lm, err := meta.ListAccessor(obj)
		if err != nil {
			return nil, err
		}
		list := &metav1.PartialObjectMetadataList{}
		list.ResourceVersion = lm.GetResourceVersion()
		list.Continue = lm.GetContinue()
		list.RemainingItemCount = lm.GetRemainingItemCount()
		list.Items = make([]metav1.PartialObjectMetadata, 0, len(items))
		for _, item := range items {
			p, err := partialMeta(item)
			if err != nil {
				return nil, err
			}
			list.Items = append(list.Items, *p)
		}
		return list, nil
	}
	return obj, nil
}

func partialMeta(obj runtime.Object) (*metav1.PartialObjectMetadata, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	p := &metav1.PartialObjectMetadata{}
	p.ObjectMeta = metav1.ObjectMeta{
		Name: m.GetName(), GenerateName: m.GetGenerateName(), Namespace: m.GetNamespace(),
		UID: m.GetUID(), ResourceVersion: m.GetResourceVersion(), Generation: m.GetGeneration(),
		CreationTimestamp: m.GetCreationTimestamp(), DeletionTimestamp: m.GetDeletionTimestamp(),
		DeletionGracePeriodSeconds: m.GetDeletionGracePeriodSeconds(), Labels: m.GetLabels(),
		Annotations: m.GetAnnotations(), OwnerReferences: m.GetOwnerReferences(),
		Finalizers: m.GetFinalizers(), ManagedFields: m.GetManagedFields(),
	}
	p.SetGroupVersionKind(metaGV.WithKind("PartialObjectMetadata"))
	return p, nil
}

// encodeTo serializes obj, which already carries its kind.
func encodeTo(w http.ResponseWriter, code int, obj runtime.Object, info runtime.SerializerInfo) {
	var buf bytes.Buffer
	if err := info.Serializer.Encode(obj, &buf); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", info.MediaType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// writeError writes err as a metav1.Status, in JSON unless the client
// asked for protobuf or YAML.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	out, nerr := negotiate(r, false)
	if nerr != nil || out.as != asObject {
		out = output{info: mustSerializer(runtime.ContentTypeJSON)}
	}
	if status.Code == http.StatusTooManyRequests || status.Code == http.StatusServiceUnavailable {
		if d := status.Details; d != nil && d.RetryAfterSeconds > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(d.RetryAfterSeconds)))
		}
	}
	encodeTo(w, int(status.Code), withKind(status, statusKind), out.info)
}

// errorStatus converts any error to a Status; unknown errors are 500s.
func errorStatus(err error) *metav1.Status {
	var apiStatus apierrors.APIStatus
	if errors.As(err, &apiStatus) {
		s := apiStatus.Status()
		if s.Code == 0 {
			s.Code = http.StatusInternalServerError
		}
		s.Status = metav1.StatusFailure
		return &s
	}
	s := apierrors.NewInternalError(err).Status()
	return &s
}

func mustSerializer(mediaType string) runtime.SerializerInfo {
	info, ok := serializerFor(mediaType)
	if !ok {
		panic("no serializer for " + mediaType)
	}
	return info
}

// tableOptions reads includeObject from the query.
func tableOptions(r *http.Request) (*metav1.TableOptions, error) {
	opts := &metav1.TableOptions{}
	if err := api.ParameterCodec.DecodeParameters(r.URL.Query(), metaGV, opts); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	return opts, nil
}
