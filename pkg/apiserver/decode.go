package apiserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	restful "github.com/emicklei/go-restful/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
)

// MaxRequestBodyBytes is upstream's limit on request bodies (3 MiB).
const MaxRequestBodyBytes = 3 * 1024 * 1024

// readBody reads the whole request body, answering 413 past the limit.
func readBody(req *restful.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(req.Request.Body, MaxRequestBodyBytes+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", MaxRequestBodyBytes))
		}
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if len(body) > MaxRequestBodyBytes {
		return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", MaxRequestBodyBytes))
	}
	return body, nil
}

// FieldValidation returns the request's field validation directive:
// Strict, Warn (the default) or Ignore; another value is a 400.
func FieldValidation(r *http.Request) (string, error) {
	v := r.URL.Query().Get("fieldValidation")
	switch v {
	case "":
		return metav1.FieldValidationWarn, nil
	case metav1.FieldValidationStrict, metav1.FieldValidationWarn, metav1.FieldValidationIgnore:
		return v, nil
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("fieldValidation must be one of %q, %q or %q, got %q",
		metav1.FieldValidationIgnore, metav1.FieldValidationWarn, metav1.FieldValidationStrict, v))
}

// decodeBody decodes a request body of the expected kind, applying the
// fieldValidation directive and upstream defaulting. Warnings (unknown or
// duplicate fields under Warn) are written as Warning headers.
func decodeBody(r *http.Request, w http.ResponseWriter, body []byte, want schema.GroupVersionKind, into runtime.Object) (runtime.Object, error) {
	info, err := requestSerializer(r)
	if err != nil {
		return nil, err
	}
	validation, err := FieldValidation(r)
	if err != nil {
		return nil, err
	}
	return decodeAs(w, info, validation, body, want, into)
}

func decodeAs(w http.ResponseWriter, info runtime.SerializerInfo, validation string, body []byte, want schema.GroupVersionKind, into runtime.Object) (runtime.Object, error) {
	decoder := info.Serializer
	strict := info.StrictSerializer != nil && validation != metav1.FieldValidationIgnore
	if strict {
		decoder = info.StrictSerializer
	}
	obj, gvk, err := decoder.Decode(body, &want, into)
	if err != nil && strict && runtime.IsStrictDecodingError(err) {
		if validation == metav1.FieldValidationStrict {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		for _, msg := range strictErrors(err) {
			AddWarning(w, msg)
		}
		obj, gvk, err = info.Serializer.Decode(body, &want, into)
	}
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v",
			want.Kind, want.Version, want.Kind, err))
	}
	if gvk.Kind != want.Kind {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (must be of type %s): kind %q", want.Kind, gvk.Kind))
	}
	if gvk.GroupVersion() != want.GroupVersion() {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)",
			gvk.GroupVersion(), want.GroupVersion()))
	}
	api.Scheme.Default(obj)
	obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	return obj, nil
}

// strictErrors splits a strict decoding error into one message per field.
func strictErrors(err error) []string {
	if sde, ok := runtime.AsStrictDecodingError(err); ok {
		var out []string
		for _, e := range sde.Errors() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{strings.TrimPrefix(err.Error(), "strict decoding error: ")}
}

// AddWarning adds an RFC 7234 warning header, as upstream's warning.AddWarning.
func AddWarning(w http.ResponseWriter, msg string) {
	w.Header().Add("Warning", fmt.Sprintf("299 - %q", msg))
}
