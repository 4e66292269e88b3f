package generic

import (
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
)

// Operation is the kind of write being admitted.
type Operation string

// The operations admission sees (upstream's admission.Operation values).
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
)

// Attributes describe one write being admitted, as upstream's
// admission.Attributes do.
type Attributes struct {
	Operation Operation
	Resource  api.Resource
	// Subresource is "" for the main endpoint, "status" for /status.
	Subresource string
	Namespace   string
	Name        string
	// Object is the object to be stored; a mutating plugin may change it.
	Object runtime.Object
	// Old is the stored object an update replaces; nil on create.
	Old    runtime.Object
	DryRun bool
}

// Plugin is one named admission step. Admit sees every write the chain
// runs on and decides itself which resources and operations it handles
// (returning nil for the rest). It may mutate a.Object (mutating
// plugins: LimitRanger, Priority) or refuse the write with an API error
// (validating plugins: NamespaceLifecycle, ResourceQuota). On update it
// may run more than once for one request: once per compare-and-swap
// attempt.
type Plugin struct {
	Name  string
	Admit func(ctx context.Context, a *Attributes) error
}

// Chain is admission: plugins run in list order, and the first error
// refuses the write. It runs at step 4 of the write path (writepath.go),
// after validation and before the write. The server's order is the list
// in pkg/registry/admission.go, which follows upstream's: mutating
// plugins first, then validating ones, ResourceQuota last.
type Chain []Plugin

// Without returns the chain less the plugins named (a plugin disabled by
// configuration, as kube-apiserver's --disable-admission-plugins).
func (c Chain) Without(names ...string) Chain {
	var out Chain
	for _, p := range c {
		if !slices.Contains(names, p.Name) {
			out = append(out, p)
		}
	}
	return out
}

// Admit runs the chain on a.
func (c Chain) Admit(ctx context.Context, a *Attributes) error {
	for _, p := range c {
		if err := p.Admit(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// Names lists the plugins in order.
func (c Chain) Names() []string {
	out := make([]string, len(c))
	for i, p := range c {
		out[i] = p.Name
	}
	return out
}
