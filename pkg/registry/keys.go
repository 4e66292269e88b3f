package registry

// keyRoots maps resources to their etcd key roots where upstream's differ
// from /registry/<resource>; keeping upstream's layout lets either server
// read the other's etcd.
var keyRoots = map[string]string{
	"services":               "/registry/services/specs",
	"endpoints":              "/registry/services/endpoints",
	"nodes":                  "/registry/minions",
	"replicationcontrollers": "/registry/controllers",
	// events.k8s.io/v1 Events are a different Go type from core/v1 Events;
	// upstream converts between them and stores both under
	// /registry/events. Until we convert, they live apart.
	"events.events.k8s.io": "/registry/events.k8s.io/events",
	// Upstream keeps Ingresses under the singular.
	"ingresses.networking.k8s.io": "/registry/ingress",
	// Upstream's apiextensions-apiserver keys its CRDs by group.
	"customresourcedefinitions.apiextensions.k8s.io": "/registry/apiextensions.k8s.io/customresourcedefinitions",
	// So does the kube-aggregator its APIServices.
	"apiservices.apiregistration.k8s.io": "/registry/apiregistration.k8s.io/apiservices",
}

// keyRoot returns the etcd key root of a resource.
func keyRoot(group, resource string) string {
	if group != "" {
		if k, ok := keyRoots[resource+"."+group]; ok {
			return k
		}
	} else if k, ok := keyRoots[resource]; ok {
		return k
	}
	return "/registry/" + resource
}
