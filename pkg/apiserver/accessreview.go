package apiserver

import (
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/authz"
)

// AccessReviewHandlers serves authorization.k8s.io/v1 access reviews
// (kubectl auth can-i, controllers checking a user's rights): each asks
// a the question in its spec and answers in status. Nothing is stored.
//
//	selfsubjectaccessreviews   the caller's own rights
//	subjectaccessreviews       any user's rights
//	localsubjectaccessreviews  any user's rights within the URL's namespace
//	selfsubjectrulesreviews    the caller's rules in a namespace (rulesreview.go)
func AccessReviewHandlers(a authz.Authorizer) map[schema.GroupVersionResource]restful.RouteFunction {
	gv := authorizationv1.SchemeGroupVersion
	review := func(kind string, newObj func() runtime.Object, toAttrs func(*restful.Request, runtime.Object) (authz.Attributes, *authorizationv1.SubjectAccessReviewStatus, error)) restful.RouteFunction {
		return func(req *restful.Request, resp *restful.Response) {
			obj, out, err := readReview(req, resp, gv.WithKind(kind), newObj())
			if err != nil {
				fail(resp, req, err)
				return
			}
			attrs, status, err := toAttrs(req, obj)
			if err != nil {
				fail(resp, req, err)
				return
			}
			decision, reason, err := authz.Decision(authz.Allow), "", error(nil)
			if a != nil {
				decision, reason, err = a.Authorize(reqCtx(req), attrs)
			}
			status.Allowed = decision == authz.Allow
			status.Denied = decision == authz.Deny
			status.Reason = reason
			if err != nil {
				status.EvaluationError = err.Error()
			}
			writeObject(resp.ResponseWriter, req.Request, http.StatusCreated, obj, gv, out)
		}
	}
	self := func(req *restful.Request, obj runtime.Object) (authz.Attributes, *authorizationv1.SubjectAccessReviewStatus, error) {
		r := obj.(*authorizationv1.SelfSubjectAccessReview)
		u, ok := authn.UserFrom(reqCtx(req))
		if !ok {
			return authz.Attributes{}, nil, apierrors.NewUnauthorized("Unauthorized")
		}
		attrs, err := reviewAttributes(reviewKind("SelfSubjectAccessReview"), r.Spec.ResourceAttributes, r.Spec.NonResourceAttributes)
		attrs.User = u
		return attrs, &r.Status, err
	}
	subject := func(local bool) func(*restful.Request, runtime.Object) (authz.Attributes, *authorizationv1.SubjectAccessReviewStatus, error) {
		return func(req *restful.Request, obj runtime.Object) (authz.Attributes, *authorizationv1.SubjectAccessReviewStatus, error) {
			var spec *authorizationv1.SubjectAccessReviewSpec
			var status *authorizationv1.SubjectAccessReviewStatus
			gk := reviewKind("SubjectAccessReview")
			if local {
				r := obj.(*authorizationv1.LocalSubjectAccessReview)
				gk = reviewKind("LocalSubjectAccessReview")
				ns, _ := scope(req)
				if r.Namespace == "" {
					r.Namespace = ns
				}
				switch {
				case r.Namespace != ns:
					return authz.Attributes{}, nil, apierrors.NewBadRequest("namespace of the review does not match the namespace in the URL")
				case r.Spec.ResourceAttributes == nil || r.Spec.ResourceAttributes.Namespace != ns:
					return authz.Attributes{}, nil, apierrors.NewInvalid(gk, r.Name, field.ErrorList{field.Invalid(
						field.NewPath("spec", "resourceAttributes", "namespace"), nil, "must match metadata.namespace")})
				}
				spec, status = &r.Spec, &r.Status
			} else {
				r := obj.(*authorizationv1.SubjectAccessReview)
				spec, status = &r.Spec, &r.Status
			}
			if spec.User == "" && len(spec.Groups) == 0 {
				return authz.Attributes{}, nil, apierrors.NewInvalid(gk, "", field.ErrorList{field.Invalid(
					field.NewPath("spec", "user"), spec.User, "at least one of user or group must be specified")})
			}
			attrs, err := reviewAttributes(gk, spec.ResourceAttributes, spec.NonResourceAttributes)
			extra := map[string][]string{}
			for k, v := range spec.Extra {
				extra[k] = v
			}
			attrs.User = &authn.User{Name: spec.User, UID: spec.UID, Groups: spec.Groups, Extra: extra}
			return attrs, status, err
		}
	}
	return map[schema.GroupVersionResource]restful.RouteFunction{
		gv.WithResource("selfsubjectaccessreviews"): review("SelfSubjectAccessReview",
			func() runtime.Object { return &authorizationv1.SelfSubjectAccessReview{} }, self),
		gv.WithResource("subjectaccessreviews"): review("SubjectAccessReview",
			func() runtime.Object { return &authorizationv1.SubjectAccessReview{} }, subject(false)),
		gv.WithResource("localsubjectaccessreviews"): review("LocalSubjectAccessReview",
			func() runtime.Object { return &authorizationv1.LocalSubjectAccessReview{} }, subject(true)),
		gv.WithResource("selfsubjectrulesreviews"): rulesReview(a),
	}
}

func reviewKind(k string) schema.GroupKind {
	return authorizationv1.SchemeGroupVersion.WithKind(k).GroupKind()
}

// reviewAttributes turns a review's spec into the authorizer's question;
// exactly one of the two attribute sets must be given.
func reviewAttributes(gk schema.GroupKind, res *authorizationv1.ResourceAttributes, nonRes *authorizationv1.NonResourceAttributes) (authz.Attributes, error) {
	switch {
	case (res == nil) == (nonRes == nil):
		return authz.Attributes{}, apierrors.NewInvalid(gk, "", field.ErrorList{field.Invalid(
			field.NewPath("spec", "resourceAttributes"), nil, "exactly one of nonResourceAttributes or resourceAttributes must be specified")})
	case res != nil:
		return authz.Attributes{ResourceRequest: true, Verb: res.Verb, APIGroup: res.Group, APIVersion: res.Version,
			Resource: res.Resource, Subresource: res.Subresource, Namespace: res.Namespace, Name: res.Name}, nil
	}
	return authz.Attributes{Verb: nonRes.Verb, Path: nonRes.Path}, nil
}

// readReview negotiates the response and decodes the body of a review
// (access or token review: created, answered, never stored). Reviews have
// no table columns: upstream answers a Table request with 406, as for any
// resource without a table convertor.
func readReview(req *restful.Request, resp *restful.Response, gvk schema.GroupVersionKind, into runtime.Object) (runtime.Object, output, error) {
	out, err := negotiate(req.Request, false)
	if err == nil && out.as != asObject {
		err = errNotAcceptable()
	}
	if err != nil {
		return nil, out, err
	}
	body, err := readBody(req)
	if err != nil {
		return nil, out, err
	}
	obj, err := decodeBody(req.Request, resp, body, gvk, into)
	return obj, out, err
}
