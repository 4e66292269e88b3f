package apiserver

import (
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/authz"
)

// rulesReview serves authorization.k8s.io/v1 selfsubjectrulesreviews
// (kubectl auth can-i --list): the rules the authorizer grants the
// caller in spec.namespace. Like upstream, the answer carries the status
// only. An authorizer that cannot list its rules answers incomplete, with
// none.
func rulesReview(a authz.Authorizer) restful.RouteFunction {
	gv := authorizationv1.SchemeGroupVersion
	return func(req *restful.Request, resp *restful.Response) {
		obj, out, err := readReview(req, resp, gv.WithKind("SelfSubjectRulesReview"), &authorizationv1.SelfSubjectRulesReview{})
		if err != nil {
			fail(resp, req, err)
			return
		}
		u, ok := authn.UserFrom(reqCtx(req))
		if !ok {
			fail(resp, req, apierrors.NewBadRequest("no user present on request"))
			return
		}
		ns := obj.(*authorizationv1.SelfSubjectRulesReview).Spec.Namespace
		if ns == "" {
			fail(resp, req, apierrors.NewBadRequest("no namespace on request"))
			return
		}
		ret := &authorizationv1.SelfSubjectRulesReview{}
		st := &ret.Status
		st.ResourceRules, st.NonResourceRules = []authorizationv1.ResourceRule{}, []authorizationv1.NonResourceRule{}
		resolver, ok := a.(authz.RuleResolver)
		if a == nil {
			resolver, ok = authz.AlwaysAllow().(authz.RuleResolver)
		}
		if !ok {
			st.Incomplete, st.EvaluationError = true, "the authorizer cannot list its rules"
		} else {
			var res []authorizationv1.ResourceRule
			var nonRes []authorizationv1.NonResourceRule
			res, nonRes, st.Incomplete, err = resolver.RulesFor(reqCtx(req), u, ns)
			st.ResourceRules, st.NonResourceRules = append(st.ResourceRules, res...), append(st.NonResourceRules, nonRes...)
			if err != nil {
				st.EvaluationError = err.Error()
			}
		}
		writeObject(resp.ResponseWriter, req.Request, http.StatusCreated, ret, gv, out)
	}
}
