package apiserver

import (
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/auth/authn"
)

// TokenReviewHandler serves authentication.k8s.io/v1 tokenreviews: a
// webhook or proxy POSTs a bearer token in spec.token and the server
// answers in status who that token authenticates as, with the same
// authenticator it uses for its own requests. Nothing is stored.
//
// As upstream, the token is asked about for spec.audiences, or the
// server's apiAudiences when the review names none: a service-account
// token is accepted for the audiences it shares with those, a token-file
// token only if they include an API audience; status.audiences are the
// audiences it was accepted for. An unknown token is status.authenticated
// false with the authenticator's error in status.error, not a failed
// request.
func TokenReviewHandler(a authn.Authenticator, apiAudiences []string) (schema.GroupVersionResource, restful.RouteFunction) {
	gv := authenticationv1.SchemeGroupVersion
	return gv.WithResource("tokenreviews"), func(req *restful.Request, resp *restful.Response) {
		obj, out, err := readReview(req, resp, gv.WithKind("TokenReview"), &authenticationv1.TokenReview{})
		if err != nil {
			fail(resp, req, err)
			return
		}
		review := obj.(*authenticationv1.TokenReview)
		if review.Spec.Token == "" {
			fail(resp, req, apierrors.NewBadRequest("token is required for TokenReview in authentication"))
			return
		}
		review.Status = reviewToken(a, review.Spec, apiAudiences)
		writeObject(resp.ResponseWriter, req.Request, http.StatusCreated, review, gv, out)
	}
}

// reviewToken authenticates spec.Token as if it came in a request's
// Authorization header and nothing else.
func reviewToken(a authn.Authenticator, spec authenticationv1.TokenReviewSpec, apiAudiences []string) authenticationv1.TokenReviewStatus {
	var st authenticationv1.TokenReviewStatus
	if a == nil {
		return st
	}
	auds := spec.Audiences
	if len(auds) == 0 {
		auds = apiAudiences
	}
	u, ok, err := authn.ReviewToken(a, spec.Token, auds)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	if !ok {
		return st
	}
	st.Authenticated = true
	if !u.InGroup(authn.GroupAuthenticated) {
		u.Groups = append(u.Groups, authn.GroupAuthenticated)
	}
	st.User = authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups,
		Extra: map[string]authenticationv1.ExtraValue{}}
	for k, v := range u.Extra {
		st.User.Extra[k] = v
	}
	st.Audiences = u.Audiences
	return st
}
