package registry

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/apiextensions/customresourcedefinition"
	"github.com/tinykube/tinykube/pkg/registry/apiregistration/apiservice"
	"github.com/tinykube/tinykube/pkg/registry/apps/deployment"
	"github.com/tinykube/tinykube/pkg/registry/batch/job"
	"github.com/tinykube/tinykube/pkg/registry/certificates/certificatesigningrequest"
	"github.com/tinykube/tinykube/pkg/registry/certificates/clustertrustbundle"
	"github.com/tinykube/tinykube/pkg/registry/certificates/podcertificaterequest"
	"github.com/tinykube/tinykube/pkg/registry/core/event"
	"github.com/tinykube/tinykube/pkg/registry/core/namespace"
	"github.com/tinykube/tinykube/pkg/registry/core/node"
	"github.com/tinykube/tinykube/pkg/registry/core/pod"
	"github.com/tinykube/tinykube/pkg/registry/core/secret"
	"github.com/tinykube/tinykube/pkg/registry/core/service"
	"github.com/tinykube/tinykube/pkg/registry/generic"
	"github.com/tinykube/tinykube/pkg/registry/resource/devicetaintrule"
	"github.com/tinykube/tinykube/pkg/registry/resource/resourceslice"
)

// StrategyFunc builds the strategy of one row.
type StrategyFunc func(api.Resource) generic.Strategy

// strategies is the registry's half of a resource's row (the static half
// is api.Resources): the strategy constructor of every resource with
// behaviour of its own, keyed by group/resource. Rows not listed are
// served with generic.Default. Append a line here when adding a resource
// with a strategy package (docs/adding-a-resource.md); the row test
// checks every key names a served resource.
var strategies = map[schema.GroupResource]StrategyFunc{
	{Resource: "pods"}:                           strategy(pod.NewStrategy),
	{Resource: "namespaces"}:                     strategy(namespace.NewStrategy),
	{Resource: "services"}:                       strategy(service.NewStrategy),
	{Resource: "events"}:                         strategy(event.NewStrategy),
	{Group: "events.k8s.io", Resource: "events"}: strategy(event.NewEventsV1Strategy),
	{Resource: "secrets"}:                        strategy(secret.NewStrategy),
	{Resource: "nodes"}:                          strategy(node.NewStrategy),
	{Group: "batch", Resource: "jobs"}:           strategy(job.NewStrategy),
	{Group: "apps", Resource: "deployments"}:     strategy(deployment.NewStrategy),
	{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}: strategy(customresourcedefinition.NewStrategy),
	{Group: "apiregistration.k8s.io", Resource: "apiservices"}:             strategy(apiservice.NewStrategy),
	{Group: "certificates.k8s.io", Resource: "certificatesigningrequests"}: strategy(certificatesigningrequest.NewStrategy),
	{Group: "certificates.k8s.io", Resource: "clustertrustbundles"}:        strategy(clustertrustbundle.NewStrategy),
	{Group: "certificates.k8s.io", Resource: "podcertificaterequests"}:     strategy(podcertificaterequest.NewStrategy),
	{Group: "resource.k8s.io", Resource: "devicetaintrules"}:               strategy(devicetaintrule.NewStrategy),
	{Group: "resource.k8s.io", Resource: "resourceslices"}:                 strategy(resourceslice.NewStrategy),
}

// strategy adapts a resource package's NewStrategy, which returns its own
// concrete type, to a StrategyFunc.
func strategy[S generic.Strategy](newStrategy func(api.Resource) S) StrategyFunc {
	return func(r api.Resource) generic.Strategy { return newStrategy(r) }
}

// StrategyFor returns the strategy of a served resource's row.
func StrategyFor(r api.Resource) generic.Strategy {
	if f, ok := strategies[r.GVR().GroupResource()]; ok {
		return f(r)
	}
	return generic.Default{Resource: r}
}

// StrategyResources lists the resources with a strategy of their own (for
// the row test: a key naming no served resource is a typo that would
// silently fall back to generic.Default).
func StrategyResources() []schema.GroupResource {
	out := make([]schema.GroupResource, 0, len(strategies))
	for gr := range strategies {
		out = append(out, gr)
	}
	return out
}
