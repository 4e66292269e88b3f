package registry

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/cel"
	"github.com/tinykube/tinykube/pkg/registry/core/namespace"
	"github.com/tinykube/tinykube/pkg/registry/core/resourcequota"
	"github.com/tinykube/tinykube/pkg/registry/core/service"
	"github.com/tinykube/tinykube/pkg/registry/generic"
	"github.com/tinykube/tinykube/pkg/storage"
)

// StorageFunc returns the storage of one resource whose keys live under
// keyRoot. newFunc/newListFunc build empty objects of its kind.
type StorageFunc func(r api.Resource, keyRoot string, newFunc, newListFunc func() runtime.Object, attrs storage.AttrFunc) (storage.Interface, error)

// Config is what the registry is built from.
type Config struct {
	Storage StorageFunc
	// ServiceCIDR is the ClusterIP range (default 10.0.0.0/24).
	ServiceCIDR netip.Prefix
	// NodePortBase and NodePortCount give the NodePort range (default
	// 30000-32767).
	NodePortBase, NodePortCount int32
	// DisableAdmissionPlugins names plugins of admissionChain to leave
	// out (kube-apiserver's --disable-admission-plugins).
	DisableAdmissionPlugins []string
}

// Registry holds one store per served resource.
type Registry struct {
	Stores    map[schema.GroupVersionResource]*generic.Store
	Allocator *service.Allocator
	// Quota is resource quota admission (the ResourceQuota plugin).
	Quota *resourcequota.Admission
	// Admission is the admission chain every store runs
	// (admissionChain); stores built outside the registry (custom
	// resources) run it too.
	Admission generic.Chain
	// CEL compiles admission policies' expressions (one environment
	// per variable set, shared by every policy).
	CEL *cel.Compiler
}

// Store returns the store of a core/v1 or grouped resource.
func (r *Registry) Store(group, resource string) *generic.Store {
	for gvr, s := range r.Stores {
		if gvr.Group == group && gvr.Resource == resource {
			return s
		}
	}
	return nil
}

// Build creates the stores of every resource in api.Resources that is
// stored (create-only ones — bindings, selfsubjectreviews, access
// reviews — are not).
func Build(cfg Config) (*Registry, error) {
	if !cfg.ServiceCIDR.IsValid() {
		cfg.ServiceCIDR = netip.MustParsePrefix("10.0.0.0/24")
	}
	if cfg.NodePortBase == 0 {
		cfg.NodePortBase, cfg.NodePortCount = 30000, 2768
	}
	reg := &Registry{Stores: map[schema.GroupVersionResource]*generic.Store{}, CEL: cel.NewCompiler()}
	for _, r := range api.Resources {
		if !r.Stored() {
			continue
		}
		s := &generic.Store{Resource: r, KeyRoot: r.StorageKeyRoot(), Strategy: StrategyFor(r)}
		st, err := cfg.Storage(r, s.KeyRoot, s.New, s.NewList, s.Strategy.GetAttrs)
		if err != nil {
			return nil, fmt.Errorf("storage for %s: %w", r.Name, err)
		}
		s.Storage = st
		if s.Scaler, err = scalerFor(r); err != nil {
			return nil, err
		}
		reg.Stores[r.GVR()] = s
	}
	namespaces := reg.Store("", "namespaces")
	namespaces.BeforeDelete = namespace.CheckDelete
	reg.Quota = &resourcequota.Admission{Quotas: reg.Store("", "resourcequotas")}
	chain := admissionChain(reg)
	for _, name := range cfg.DisableAdmissionPlugins {
		if !slices.Contains(chain.Names(), name) {
			return nil, fmt.Errorf("disable-admission-plugins: plugin %q is unknown (known: %s)", name, strings.Join(chain.Names(), ", "))
		}
	}
	reg.Admission = chain.Without(cfg.DisableAdmissionPlugins...)
	for _, s := range reg.Stores {
		s.Admission = reg.Admission
	}
	// Allocation is the services store's own step, after admission.
	services := reg.Store("", "services")
	reg.Allocator = &service.Allocator{CIDR: cfg.ServiceCIDR, PortBase: cfg.NodePortBase, PortCount: cfg.NodePortCount,
		Services: services, IPAddresses: reg.Store("networking.k8s.io", "ipaddresses")}
	services.Allocator = reg.Allocator
	return reg, nil
}
