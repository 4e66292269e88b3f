package serviceaccount

import (
	"context"
	"fmt"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/auth/satoken"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Expirations, as upstream.
const (
	// MinExpirationSeconds and MaxExpirationSeconds bound
	// spec.expirationSeconds.
	MinExpirationSeconds = 10 * 60
	MaxExpirationSeconds = 1 << 32
	// WarnOnlyExpirationSeconds is what ServiceAccount admission asks for
	// in the projected token volume (an hour and 7 s): such a pod-bound
	// token for the API audiences is issued for ExtendedExpirationSeconds
	// instead, with warnafter at the hour, so that clients that do not
	// reload their token keep working (kube-apiserver's
	// --service-account-extend-token-expiration, on by default).
	WarnOnlyExpirationSeconds = 60*60 + 7
	ExtendedExpirationSeconds = 24 * 365 * 60 * 60
)

var tokenRequestKind = authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")

// Token serves serviceaccounts/token.
type Token struct {
	ServiceAccounts, Pods, Secrets, Nodes *generic.Store
	Signer                                *satoken.Signer
	// APIAudiences are the audiences of a request that names none.
	APIAudiences []string
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Create issues a token for the service account ns/name as req asks,
// upstream's TokenREST.Create: the body's name and namespace, if set,
// must match the URL; the account must exist (and match the body's uid,
// if set); spec.audiences default to the API audiences; a bound object
// (Pod, Secret or Node) must exist and match boundObjectRef.uid, and a
// pod must run as this account. The answer is req with its metadata
// filled from the account and status.token/expirationTimestamp set.
func (t *Token) Create(ctx context.Context, ns, name string, req *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
	gk := tokenRequestKind.GroupKind()
	if req.Name != "" && req.Name != name {
		return nil, apierrors.NewInvalid(gk, name, field.ErrorList{field.Invalid(field.NewPath("metadata", "name"), req.Name, "must match the service account name if specified")})
	}
	if req.Namespace != "" && req.Namespace != ns {
		return nil, apierrors.NewInvalid(gk, name, field.ErrorList{field.Invalid(field.NewPath("metadata", "namespace"), req.Namespace, "must match the service account namespace if specified")})
	}
	obj, err := t.ServiceAccounts.Get(ctx, ns, name, nil)
	if err != nil {
		return nil, err
	}
	sa := obj.(*corev1.ServiceAccount)
	if req.UID != "" && req.UID != sa.UID {
		return nil, apierrors.NewConflict(schema.GroupResource{Group: gk.Group, Resource: gk.Kind}, name,
			fmt.Errorf("the UID in the token request (%s) does not match the UID of the service account (%s)", req.UID, sa.UID))
	}
	out := req.DeepCopy()
	if len(out.Spec.Audiences) == 0 {
		out.Spec.Audiences = slices.Clone(t.APIAudiences)
	}
	if out.Spec.ExpirationSeconds == nil {
		out.Spec.ExpirationSeconds = new(int64(60 * 60))
	}
	out.Name, out.Namespace, out.UID = sa.Name, sa.Namespace, sa.UID
	now := time.Now()
	if t.Now != nil {
		now = t.Now()
	}
	out.CreationTimestamp = metav1.NewTime(now)
	out.Status = authenticationv1.TokenRequestStatus{}
	if errs := validateTokenRequest(out); len(errs) > 0 {
		return nil, apierrors.NewInvalid(gk, "", errs)
	}

	exp := *out.Spec.ExpirationSeconds
	var pod *corev1.Pod
	var bind func(*satoken.Kubernetes)
	if ref := out.Spec.BoundObjectRef; ref != nil {
		if pod, bind, err = t.bound(ctx, ns, name, ref); err != nil {
			return nil, err
		}
	}
	tokenExp, warnAfter := exp, int64(0)
	if pod != nil && exp == WarnOnlyExpirationSeconds && subset(out.Spec.Audiences, t.APIAudiences) {
		tokenExp, warnAfter = ExtendedExpirationSeconds, exp
	}
	claims := satoken.NewClaims(sa, now, time.Duration(tokenExp)*time.Second, out.Spec.Audiences)
	if bind != nil {
		bind(claims.Kubernetes)
	}
	if warnAfter != 0 {
		claims.Kubernetes.WarnAfter = now.Add(time.Duration(warnAfter) * time.Second).Unix()
	}
	token, err := t.Signer.Sign(claims)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("failed to generate token: %w", err))
	}
	out.Status = authenticationv1.TokenRequestStatus{
		Token:               token,
		ExpirationTimestamp: metav1.NewTime(now.Add(time.Duration(exp) * time.Second)),
	}
	return out, nil
}

// bound looks up the object ref binds the token to and returns how to name
// it in the claims (and the pod, for a pod).
func (t *Token) bound(ctx context.Context, ns, saName string, ref *authenticationv1.BoundObjectReference) (*corev1.Pod, func(*satoken.Kubernetes), error) {
	gvk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind)
	var uid string
	var pod *corev1.Pod
	var bind func(*satoken.Kubernetes)
	switch {
	case gvk.Group == "" && gvk.Kind == "Pod":
		obj, err := t.Pods.Get(ctx, ns, ref.Name, nil)
		if err != nil {
			return nil, nil, err
		}
		pod = obj.(*corev1.Pod)
		if pod.Spec.ServiceAccountName != saName {
			return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token for serviceaccount %q to pod running with different serviceaccount name.", saName))
		}
		uid = string(pod.UID)
		podRef := &satoken.Ref{Name: pod.Name, UID: uid}
		var nodeRef *satoken.Ref
		if nodeName := pod.Spec.NodeName; nodeName != "" {
			// The pod's node, for information: its name even when the
			// Node object is gone.
			nodeRef = &satoken.Ref{Name: nodeName}
			obj, err := t.Nodes.GetFromCache(ctx, "", nodeName)
			switch {
			case err == nil:
				nodeRef.UID = string(obj.(*corev1.Node).UID)
			case !apierrors.IsNotFound(err):
				return nil, nil, apierrors.NewInternalError(err)
			}
		}
		bind = func(k *satoken.Kubernetes) { k.Pod, k.Node = podRef, nodeRef }
	case gvk.Group == "" && gvk.Kind == "Node":
		obj, err := t.Nodes.Get(ctx, "", ref.Name, nil)
		if err != nil {
			return nil, nil, err
		}
		n := obj.(*corev1.Node)
		uid = string(n.UID)
		bind = func(k *satoken.Kubernetes) { k.Node = &satoken.Ref{Name: n.Name, UID: uid} }
	case gvk.Group == "" && gvk.Kind == "Secret":
		obj, err := t.Secrets.Get(ctx, ns, ref.Name, nil)
		if err != nil {
			return nil, nil, err
		}
		s := obj.(*corev1.Secret)
		uid = string(s.UID)
		bind = func(k *satoken.Kubernetes) { k.Secret = &satoken.Ref{Name: s.Name, UID: uid} }
	default:
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to object of type %s", gvk.String()))
	}
	if ref.UID != "" && string(ref.UID) != uid {
		return nil, nil, apierrors.NewConflict(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, ref.Name,
			fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	return pod, bind, nil
}

// validateTokenRequest is upstream's ValidateTokenRequest for what this
// server serves (tokens bound to webhook configurations are not).
func validateTokenRequest(tr *authenticationv1.TokenRequest) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	exp := *tr.Spec.ExpirationSeconds
	if exp < MinExpirationSeconds {
		errs = append(errs, field.Invalid(spec.Child("expirationSeconds"), exp, "may not specify a duration less than 10 minutes"))
	}
	if exp > MaxExpirationSeconds {
		errs = append(errs, field.Invalid(spec.Child("expirationSeconds"), exp, "may not specify a duration larger than 2^32 seconds"))
	}
	if len(tr.Spec.Attestations) != 0 {
		errs = append(errs, field.Invalid(spec.Child("attestations"), tr.Spec.Attestations, "attestations may only be specified with a webhook bound object reference"))
	}
	return errs
}

// subset reports whether every element of a is in b.
func subset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}
