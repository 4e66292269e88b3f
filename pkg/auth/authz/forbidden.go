package authz

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// htmlEscaper keeps user-controlled names in the message from being
// rendered as markup by a browser that sniffs the response.
var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Forbidden returns the 403 Status kube-apiserver sends when a request
// described by a is not allowed, e.g. for a get of pod x in default:
//
//	pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "default"
//
// reason, if not empty, is appended after ": ".
func Forbidden(a Attributes, reason string) *metav1.Status {
	msg := htmlEscaper.Replace(forbiddenMessage(a))
	if reason != "" {
		msg += ": " + reason
	}
	var gr schema.GroupResource
	if a.ResourceRequest {
		gr = schema.GroupResource{Group: a.APIGroup, Resource: a.Resource}
	}
	status := apierrors.NewForbidden(gr, a.Name, errorString(msg)).ErrStatus
	status.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	return &status
}

// errorString is an error whose message is exactly the string, so that
// NewForbidden's formatting applies to a message we built.
type errorString string

func (e errorString) Error() string { return string(e) }

func forbiddenMessage(a Attributes) string {
	user := ""
	if a.User != nil {
		user = a.User.Name
	}
	if !a.ResourceRequest {
		return fmt.Sprintf("User %q cannot %s path %q", user, a.Verb, a.Path)
	}
	resource := a.Resource
	if a.Subresource != "" {
		resource += "/" + a.Subresource
	}
	if a.Namespace != "" {
		return fmt.Sprintf("User %q cannot %s resource %q in API group %q in the namespace %q", user, a.Verb, resource, a.APIGroup, a.Namespace)
	}
	return fmt.Sprintf("User %q cannot %s resource %q in API group %q at the cluster scope", user, a.Verb, resource, a.APIGroup)
}

// WriteForbidden writes Forbidden(a, reason) as a JSON response.
func WriteForbidden(w http.ResponseWriter, a Attributes, reason string) {
	writeStatus(w, Forbidden(a, reason))
}

func writeStatus(w http.ResponseWriter, s *metav1.Status) {
	body, err := json.Marshal(s)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(int(s.Code))
	_, _ = w.Write(append(body, '\n'))
}
