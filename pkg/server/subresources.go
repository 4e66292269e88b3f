package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"

	restful "github.com/emicklei/go-restful/v3"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/apiserver"
	"github.com/tinykube/tinykube/pkg/nodeproxy"
	"github.com/tinykube/tinykube/pkg/pki"
	"github.com/tinykube/tinykube/pkg/registry"
	"github.com/tinykube/tinykube/pkg/registry/core/namespace"
	"github.com/tinykube/tinykube/pkg/registry/core/pod"
	"github.com/tinykube/tinykube/pkg/registry/core/serviceaccount"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// AddSubresources registers in cfg the subresources and create-only
// resources whose behaviour lives in a resource's registry package, which
// the HTTP layer serves without knowing them: pods/binding and the
// bindings resource (pod.Bind), pods/eviction (pod.Evict),
// namespaces/finalize (namespace.NewFinalizeStrategy), and
// selfsubjectreviews.
func AddSubresources(cfg *apiserver.Config, reg *registry.Registry) {
	pods, pdbs, namespaces := reg.Store("", "pods"), reg.Store("policy", "poddisruptionbudgets"), reg.Store("", "namespaces")
	bind := apiserver.CreateHandler{
		Kind: corev1.SchemeGroupVersion.WithKind("Binding"), New: func() runtime.Object { return &corev1.Binding{} },
		NameMismatch: "the name of the binding does not match the name of the pod",
		Create: func(ctx context.Context, ns, _ string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
			return nil, pod.Bind(ctx, pods, ns, obj.(*corev1.Binding), dryRun)
		},
	}
	evict := apiserver.CreateHandler{
		Kind: policyv1.SchemeGroupVersion.WithKind("Eviction"), New: func() runtime.Object { return &policyv1.Eviction{} },
		NameMismatch: "name in URL does not match name in Eviction object",
		Create: func(ctx context.Context, ns, _ string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
			return nil, pod.Evict(ctx, pods, pdbs, ns, obj.(*policyv1.Eviction), dryRun)
		},
	}
	podsGVR := corev1.SchemeGroupVersion.WithResource("pods").String()
	if cfg.CreateSubresources == nil {
		cfg.CreateSubresources = map[string]apiserver.CreateHandler{}
	}
	cfg.CreateSubresources[podsGVR+"/binding"] = bind
	cfg.CreateSubresources[podsGVR+"/eviction"] = evict
	if cfg.UpdateSubresources == nil {
		cfg.UpdateSubresources = map[string]generic.Strategy{}
	}
	cfg.UpdateSubresources[corev1.SchemeGroupVersion.WithResource("namespaces").String()+"/finalize"] =
		namespace.NewFinalizeStrategy(namespaces.Resource)
	if cfg.SpecialCreates == nil {
		cfg.SpecialCreates = map[schema.GroupVersionResource]restful.RouteFunction{}
	}
	cfg.SpecialCreates[corev1.SchemeGroupVersion.WithResource("bindings")] = bind.Serve
	whoami, reviewSelf := apiserver.SelfSubjectReviewHandler()
	cfg.SpecialCreates[whoami] = reviewSelf
}

// AddServiceAccountToken registers serviceaccounts/token (TokenRequest,
// serviceaccount.Token) in cfg. Unlike a binding, the body's name may be
// empty: Token checks it.
func AddServiceAccountToken(cfg *apiserver.Config, t *serviceaccount.Token) {
	if cfg.CreateSubresources == nil {
		cfg.CreateSubresources = map[string]apiserver.CreateHandler{}
	}
	cfg.CreateSubresources[corev1.SchemeGroupVersion.WithResource("serviceaccounts").String()+"/token"] = apiserver.CreateHandler{
		Kind: authenticationv1.SchemeGroupVersion.WithKind("TokenRequest"), New: func() runtime.Object { return &authenticationv1.TokenRequest{} },
		Create: func(ctx context.Context, ns, name string, obj runtime.Object, _ bool) (runtime.Object, error) {
			// As upstream, a dry run issues the token all the same:
			// nothing is stored either way.
			return t.Create(ctx, ns, name, obj.(*authenticationv1.TokenRequest))
		},
	}
}

// addNodeProxy registers the connect subresources (pods/log, exec,
// attach, portforward, and the proxy subresources of pods, nodes and
// services; pkg/nodeproxy). The kubelets are reached with the
// kubelet-client certificate; their serving certificates are not
// verified, as upstream without --kubelet-certificate-authority.
func addNodeProxy(cfg *apiserver.Config, reg *registry.Registry, bundle *pki.Bundle, logger *slog.Logger) error {
	cert, err := tls.X509KeyPair(bundle.KubeletClientCertPEM, bundle.KubeletClientKeyPEM)
	if err != nil {
		return fmt.Errorf("kubelet client certificate: %w", err)
	}
	p, err := nodeproxy.New(nodeproxy.Config{
		Pods: reg.Store("", "pods"), Nodes: reg.Store("", "nodes"),
		Services: reg.Store("", "services"), Endpoints: reg.Store("", "endpoints"),
		ClientCert: cert, Logger: logger,
	})
	if err != nil {
		return err
	}
	p.Register(cfg)
	return nil
}
