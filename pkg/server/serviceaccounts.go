package server

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/auth/satoken"
	"github.com/tinykube/tinykube/pkg/pki"
	"github.com/tinykube/tinykube/pkg/registry"
	"github.com/tinykube/tinykube/pkg/registry/core/serviceaccount"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// DefaultServiceAccountIssuer is the "iss" of service-account tokens
// unless --service-account-issuer says otherwise: the one kubeadm-style
// clusters use, the in-cluster URL of the API server.
const DefaultServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// serviceAccountTokens is the server's service-account token machinery:
// what signs TokenRequests and what authenticates their tokens, both with
// the key pair in pki/ (sa.key).
type serviceAccountTokens struct {
	signer       *satoken.Signer
	verifier     *satoken.Verifier
	apiAudiences []string
}

func newServiceAccountTokens(cfg Config, bundle *pki.Bundle) (*serviceAccountTokens, error) {
	issuer := cfg.ServiceAccountIssuer
	if issuer == "" {
		issuer = DefaultServiceAccountIssuer
	}
	auds := cfg.APIAudiences
	if len(auds) == 0 {
		// kube-apiserver's default: the API accepts tokens for its issuer.
		auds = []string{issuer}
	}
	signer, err := satoken.NewSigner(issuer, bundle.ServiceAccountKey)
	if err != nil {
		return nil, fmt.Errorf("service-account signing key: %w", err)
	}
	verifier, err := satoken.NewVerifier([]string{issuer}, bundle.ServiceAccountKey.Public())
	if err != nil {
		return nil, fmt.Errorf("service-account key: %w", err)
	}
	return &serviceAccountTokens{signer: signer, verifier: verifier, apiAudiences: auds}, nil
}

// authenticator authenticates the tokens against the objects in reg.
func (t *serviceAccountTokens) authenticator(reg *registry.Registry) authn.Authenticator {
	objects := storeObjects{serviceAccounts: reg.Store("", "serviceaccounts"), pods: reg.Store("", "pods"),
		secrets: reg.Store("", "secrets"), nodes: reg.Store("", "nodes")}
	return authn.NewBearerToken(authn.NewServiceAccountTokens(t.verifier, t.apiAudiences, objects))
}

// tokenRequest is serviceaccounts/token on reg's stores.
func (t *serviceAccountTokens) tokenRequest(reg *registry.Registry) *serviceaccount.Token {
	return &serviceaccount.Token{
		ServiceAccounts: reg.Store("", "serviceaccounts"), Pods: reg.Store("", "pods"),
		Secrets: reg.Store("", "secrets"), Nodes: reg.Store("", "nodes"),
		Signer: t.signer, APIAudiences: t.apiAudiences,
	}
}

// storeObjects reads the objects a token names from the watch cache, as
// upstream's authenticator reads its informers (falling back to etcd on
// a miss, so an object created through another server is found).
type storeObjects struct{ serviceAccounts, pods, secrets, nodes *generic.Store }

var _ authn.ServiceAccountGetter = storeObjects{}

func get[T any](ctx context.Context, s *generic.Store, ns, name string) (T, error) {
	var zero T
	obj, err := s.GetFromCache(ctx, ns, name)
	if err != nil {
		return zero, err
	}
	return obj.(T), nil
}

func (o storeObjects) ServiceAccount(ctx context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	return get[*corev1.ServiceAccount](ctx, o.serviceAccounts, ns, name)
}

func (o storeObjects) Pod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	return get[*corev1.Pod](ctx, o.pods, ns, name)
}

func (o storeObjects) Secret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	return get[*corev1.Secret](ctx, o.secrets, ns, name)
}

func (o storeObjects) Node(ctx context.Context, name string) (*corev1.Node, error) {
	return get[*corev1.Node](ctx, o.nodes, "", name)
}
