package apiserver

import (
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/auth/authn"
)

// SelfSubjectReviewHandler serves authentication.k8s.io/v1
// selfsubjectreviews (kubectl auth whoami): the caller's own user info,
// as the authenticator found it. Nothing is stored; the body is ignored.
func SelfSubjectReviewHandler() (schema.GroupVersionResource, restful.RouteFunction) {
	gv := authenticationv1.SchemeGroupVersion
	return gv.WithResource("selfsubjectreviews"), func(req *restful.Request, resp *restful.Response) {
		u, ok := authn.UserFrom(reqCtx(req))
		if !ok {
			fail(resp, req, apierrors.NewUnauthorized("Unauthorized"))
			return
		}
		extra := map[string]authenticationv1.ExtraValue{}
		for k, v := range u.Extra {
			extra[k] = v
		}
		review := &authenticationv1.SelfSubjectReview{Status: authenticationv1.SelfSubjectReviewStatus{
			UserInfo: authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups, Extra: extra}}}
		review.CreationTimestamp = metav1.Now()
		out, err := negotiate(req.Request, false)
		if err != nil {
			fail(resp, req, err)
			return
		}
		writeObject(resp.ResponseWriter, req.Request, http.StatusCreated, review, gv, out)
	}
}
