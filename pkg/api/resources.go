package api

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Verbs as discovery lists them.
var (
	verbsAll        = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	verbsGetPatchUp = []string{"get", "patch", "update"}
)

// Subresource describes /<resource>/<name>/<sub>.
type Subresource struct {
	Name string // "status", "scale", "binding", "eviction", "ephemeralcontainers", "resize", "finalize", "token"
	// Kind is the object the subresource reads and writes; for status it
	// is the parent's kind, for scale autoscaling/v1 Scale.
	Kind  schema.GroupVersionKind
	Verbs []string
}

// Resource is the row of one served resource: every static fact about it
// that discovery, OpenAPI, routing and the registry read. Behaviour (the
// strategy, admission) sits in the registry's companion table
// (pkg/registry/rows.go), keyed by the row's group/resource; validation
// in pkg/api/validation's table, keyed by kind. docs/adding-a-resource.md
// is the recipe.
type Resource struct {
	GroupVersion schema.GroupVersion
	Name         string // plural, lower case: "deployments"
	SingularName string
	Kind         string
	Namespaced   bool
	ShortNames   []string
	Categories   []string
	Verbs        []string
	Subresources []Subresource

	// KeyRoot is the etcd key prefix of the resource's objects, without
	// trailing slash; "" means upstream's default, /registry/<Name> (see
	// StorageKeyRoot). Set only where upstream's layout differs, so that
	// either server can read the other's etcd.
	//
	// Rows naming the same KeyRoot are one storage served under several
	// group versions (upstream keeps core/v1 and events.k8s.io/v1 Events
	// both under /registry/events, and autoscaling/v1 and v2
	// HorizontalPodAutoscalers under /registry/horizontalpodautoscalers):
	// the objects are stored in one version (StorageVersion) and each
	// row's store reads and writes them through a conversion
	// (pkg/api/convert).
	KeyRoot string
	// TracksGeneration: metadata.generation starts at 1 on create and is
	// bumped when the spec changes (upstream's strategies that do so);
	// otherwise it stays 0.
	TracksGeneration bool
	// ReturnsDeletedObject: DELETE answers with the object (as it was
	// last stored, or with its deletionTimestamp set while finalizers or
	// a grace period hold it) rather than a Status, exactly where
	// upstream's store sets ReturnDeletedObject.
	ReturnsDeletedObject bool
	// StoredAsJSON: the objects are stored in etcd as JSON, where
	// upstream's server for them does (the apiextensions-apiserver's CRDs,
	// the kube-aggregator's APIServices); the rest are protobuf. Reads
	// accept either, and YAML (storagecodec.go).
	StoredAsJSON bool
}

// GVR returns the resource's group/version/resource.
func (r Resource) GVR() schema.GroupVersionResource { return r.GroupVersion.WithResource(r.Name) }

// GVK returns the resource's group/version/kind.
func (r Resource) GVK() schema.GroupVersionKind { return r.GroupVersion.WithKind(r.Kind) }

// StorageKeyRoot returns the etcd key root of the resource's objects.
func (r Resource) StorageKeyRoot() string {
	if r.KeyRoot != "" {
		return r.KeyRoot
	}
	return "/registry/" + r.Name
}

// Stored reports whether the resource has objects in storage; create-only
// resources (bindings, reviews) do not.
func (r Resource) Stored() bool {
	return !(len(r.Verbs) == 1 && r.Verbs[0] == "create")
}

// Sub returns the named subresource, if served.
func (r Resource) Sub(name string) (Subresource, bool) {
	for _, s := range r.Subresources {
		if s.Name == name {
			return s, true
		}
	}
	return Subresource{}, false
}

var (
	gvCore         = schema.GroupVersion{Version: "v1"}
	gvAdmission    = schema.GroupVersion{Group: "admissionregistration.k8s.io", Version: "v1"}
	gvApiext       = schema.GroupVersion{Group: "apiextensions.k8s.io", Version: "v1"}
	gvApireg       = schema.GroupVersion{Group: "apiregistration.k8s.io", Version: "v1"}
	gvApps         = schema.GroupVersion{Group: "apps", Version: "v1"}
	gvAuthn        = schema.GroupVersion{Group: "authentication.k8s.io", Version: "v1"}
	gvAuthz        = schema.GroupVersion{Group: "authorization.k8s.io", Version: "v1"}
	gvAutoscaling  = schema.GroupVersion{Group: "autoscaling", Version: "v2"}
	gvAutoscaling1 = schema.GroupVersion{Group: "autoscaling", Version: "v1"}
	gvBatch        = schema.GroupVersion{Group: "batch", Version: "v1"}
	gvCertificates = schema.GroupVersion{Group: "certificates.k8s.io", Version: "v1"}
	gvCoordination = schema.GroupVersion{Group: "coordination.k8s.io", Version: "v1"}
	gvDiscovery    = schema.GroupVersion{Group: "discovery.k8s.io", Version: "v1"}
	gvEvents       = schema.GroupVersion{Group: "events.k8s.io", Version: "v1"}
	gvFlowcontrol  = schema.GroupVersion{Group: "flowcontrol.apiserver.k8s.io", Version: "v1"}
	gvNetworking   = schema.GroupVersion{Group: "networking.k8s.io", Version: "v1"}
	gvNode         = schema.GroupVersion{Group: "node.k8s.io", Version: "v1"}
	gvPolicy       = schema.GroupVersion{Group: "policy", Version: "v1"}
	gvRBAC         = schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}
	gvResource     = schema.GroupVersion{Group: "resource.k8s.io", Version: "v1"}
	gvScheduling   = schema.GroupVersion{Group: "scheduling.k8s.io", Version: "v1"}
	gvStorage      = schema.GroupVersion{Group: "storage.k8s.io", Version: "v1"}
	gvMigration    = schema.GroupVersion{Group: "storagemigration.k8s.io", Version: "v1"}

	scaleKind = schema.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}
)

func status(gv schema.GroupVersion, kind string) Subresource {
	return Subresource{Name: "status", Kind: gv.WithKind(kind), Verbs: verbsGetPatchUp}
}

func scale() Subresource {
	return Subresource{Name: "scale", Kind: scaleKind, Verbs: verbsGetPatchUp}
}

func res(gv schema.GroupVersion, plural, singular, kind string, namespaced bool, short []string, all bool, subs ...Subresource) Resource {
	r := Resource{GroupVersion: gv, Name: plural, SingularName: singular, Kind: kind, Namespaced: namespaced,
		ShortNames: short, Verbs: verbsAll, Subresources: subs}
	if all {
		r.Categories = []string{"all"}
	}
	return r
}

func withVerbs(r Resource, verbs ...string) Resource {
	r.Verbs = verbs
	return r
}

// at stores the resource under keyRoot instead of /registry/<plural>.
func (r Resource) at(keyRoot string) Resource {
	r.KeyRoot = keyRoot
	return r
}

// json stores the resource's objects as JSON, as upstream does.
func (r Resource) json() Resource {
	r.StoredAsJSON = true
	return r
}

// generation marks a resource whose metadata.generation tracks its spec.
func (r Resource) generation() Resource {
	r.TracksGeneration = true
	return r
}

// deleteReturnsObject marks a resource whose DELETE answers with the object.
func (r Resource) deleteReturnsObject() Resource {
	r.ReturnsDeletedObject = true
	return r
}

// extension puts the resource in the api-extensions category (kubectl get
// api-extensions): the resources that extend the API or its admission.
func (r Resource) extension() Resource {
	r.Categories = []string{"api-extensions"}
	return r
}

// Resources lists every served resource, core group first, in the order
// discovery shows them. Short names, the "all" category, key roots,
// generation tracking and which DELETEs return the object match upstream
// v1.37 (pkg/registry/*/*/storage/storage.go there).
var Resources = []Resource{
	{GroupVersion: gvCore, Name: "bindings", SingularName: "binding", Kind: "Binding", Namespaced: true, Verbs: []string{"create"}},
	withVerbs(res(gvCore, "componentstatuses", "componentstatus", "ComponentStatus", false, []string{"cs"}, false), "get", "list"),
	res(gvCore, "configmaps", "configmap", "ConfigMap", true, []string{"cm"}, false),
	res(gvCore, "endpoints", "endpoints", "Endpoints", true, []string{"ep"}, false).at("/registry/services/endpoints"),
	res(gvCore, "events", "event", "Event", true, []string{"ev"}, false),
	res(gvCore, "limitranges", "limitrange", "LimitRange", true, []string{"limits"}, false),
	withVerbs(res(gvCore, "namespaces", "namespace", "Namespace", false, []string{"ns"}, false,
		status(gvCore, "Namespace"),
		Subresource{Name: "finalize", Kind: gvCore.WithKind("Namespace"), Verbs: []string{"update"}}),
		"create", "delete", "get", "list", "patch", "update", "watch").deleteReturnsObject(),
	res(gvCore, "nodes", "node", "Node", false, []string{"no"}, false, status(gvCore, "Node")).at("/registry/minions"),
	res(gvCore, "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, []string{"pvc"}, false,
		status(gvCore, "PersistentVolumeClaim")).deleteReturnsObject(),
	res(gvCore, "persistentvolumes", "persistentvolume", "PersistentVolume", false, []string{"pv"}, false,
		status(gvCore, "PersistentVolume")).deleteReturnsObject(),
	res(gvCore, "pods", "pod", "Pod", true, []string{"po"}, true,
		status(gvCore, "Pod"),
		Subresource{Name: "binding", Kind: gvCore.WithKind("Binding"), Verbs: []string{"create"}},
		Subresource{Name: "ephemeralcontainers", Kind: gvCore.WithKind("Pod"), Verbs: verbsGetPatchUp},
		Subresource{Name: "eviction", Kind: gvPolicy.WithKind("Eviction"), Verbs: []string{"create"}},
		Subresource{Name: "resize", Kind: gvCore.WithKind("Pod"), Verbs: verbsGetPatchUp}).
		generation().deleteReturnsObject(),
	res(gvCore, "podtemplates", "podtemplate", "PodTemplate", true, nil, false).deleteReturnsObject(),
	res(gvCore, "replicationcontrollers", "replicationcontroller", "ReplicationController", true, []string{"rc"}, true,
		scale(), status(gvCore, "ReplicationController")).at("/registry/controllers").generation(),
	res(gvCore, "resourcequotas", "resourcequota", "ResourceQuota", true, []string{"quota"}, false,
		status(gvCore, "ResourceQuota")).deleteReturnsObject(),
	res(gvCore, "secrets", "secret", "Secret", true, nil, false),
	res(gvCore, "serviceaccounts", "serviceaccount", "ServiceAccount", true, []string{"sa"}, false,
		Subresource{Name: "token", Kind: gvAuthn.WithKind("TokenRequest"), Verbs: []string{"create"}}).deleteReturnsObject(),
	res(gvCore, "services", "service", "Service", true, []string{"svc"}, true, status(gvCore, "Service")).
		at("/registry/services/specs").deleteReturnsObject(),

	// Admission policies and webhook configurations are stored and
	// served; the server does not enforce them yet.
	res(gvAdmission, "mutatingadmissionpolicies", "mutatingadmissionpolicy", "MutatingAdmissionPolicy", false, nil, false).generation().extension(),
	res(gvAdmission, "mutatingadmissionpolicybindings", "mutatingadmissionpolicybinding", "MutatingAdmissionPolicyBinding", false, nil, false).generation().extension(),
	res(gvAdmission, "mutatingwebhookconfigurations", "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", false, nil, false).extension(),
	res(gvAdmission, "validatingadmissionpolicies", "validatingadmissionpolicy", "ValidatingAdmissionPolicy", false, nil, false,
		status(gvAdmission, "ValidatingAdmissionPolicy")).generation().extension(),
	res(gvAdmission, "validatingadmissionpolicybindings", "validatingadmissionpolicybinding", "ValidatingAdmissionPolicyBinding", false, nil, false).generation().extension(),
	res(gvAdmission, "validatingwebhookconfigurations", "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", false, nil, false).extension(),

	// Upstream's apiextensions-apiserver keys its CRDs by group; so does
	// the kube-aggregator its APIServices.
	res(gvApiext, "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false, []string{"crd", "crds"}, false,
		status(gvApiext, "CustomResourceDefinition")).
		at("/registry/apiextensions.k8s.io/customresourcedefinitions").generation().extension().json(),
	res(gvApireg, "apiservices", "apiservice", "APIService", false, nil, false, status(gvApireg, "APIService")).
		at("/registry/apiregistration.k8s.io/apiservices").extension().json(),

	res(gvApps, "controllerrevisions", "controllerrevision", "ControllerRevision", true, nil, false),
	res(gvApps, "daemonsets", "daemonset", "DaemonSet", true, []string{"ds"}, true, status(gvApps, "DaemonSet")).generation(),
	res(gvApps, "deployments", "deployment", "Deployment", true, []string{"deploy"}, true,
		scale(), status(gvApps, "Deployment")).generation(),
	res(gvApps, "replicasets", "replicaset", "ReplicaSet", true, []string{"rs"}, true,
		scale(), status(gvApps, "ReplicaSet")).generation(),
	res(gvApps, "statefulsets", "statefulset", "StatefulSet", true, []string{"sts"}, true,
		scale(), status(gvApps, "StatefulSet")).generation(),

	{GroupVersion: gvAuthn, Name: "selfsubjectreviews", SingularName: "selfsubjectreview", Kind: "SelfSubjectReview",
		Verbs: []string{"create"}},
	{GroupVersion: gvAuthn, Name: "tokenreviews", SingularName: "tokenreview", Kind: "TokenReview",
		Verbs: []string{"create"}},

	{GroupVersion: gvAuthz, Name: "localsubjectaccessreviews", SingularName: "localsubjectaccessreview", Kind: "LocalSubjectAccessReview",
		Namespaced: true, Verbs: []string{"create"}},
	{GroupVersion: gvAuthz, Name: "selfsubjectaccessreviews", SingularName: "selfsubjectaccessreview", Kind: "SelfSubjectAccessReview",
		Verbs: []string{"create"}},
	{GroupVersion: gvAuthz, Name: "selfsubjectrulesreviews", SingularName: "selfsubjectrulesreview", Kind: "SelfSubjectRulesReview",
		Verbs: []string{"create"}},
	{GroupVersion: gvAuthz, Name: "subjectaccessreviews", SingularName: "subjectaccessreview", Kind: "SubjectAccessReview",
		Verbs: []string{"create"}},

	res(gvAutoscaling, "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, []string{"hpa"}, true,
		status(gvAutoscaling, "HorizontalPodAutoscaler")),
	// The same HorizontalPodAutoscalers at v1 (stored as v2).
	res(gvAutoscaling1, "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, []string{"hpa"}, true,
		status(gvAutoscaling1, "HorizontalPodAutoscaler")),

	res(gvBatch, "cronjobs", "cronjob", "CronJob", true, []string{"cj"}, true, status(gvBatch, "CronJob")).generation(),
	res(gvBatch, "jobs", "job", "Job", true, nil, true, status(gvBatch, "Job")).generation(),

	// No signer runs: a CSR is stored, approved or denied through
	// /approval, and its certificate set through /status by whoever signs.
	res(gvCertificates, "certificatesigningrequests", "certificatesigningrequest", "CertificateSigningRequest", false, []string{"csr"}, false,
		Subresource{Name: "approval", Kind: gvCertificates.WithKind("CertificateSigningRequest"), Verbs: verbsGetPatchUp},
		status(gvCertificates, "CertificateSigningRequest")),
	res(gvCertificates, "clustertrustbundles", "clustertrustbundle", "ClusterTrustBundle", false, nil, false),
	res(gvCertificates, "podcertificaterequests", "podcertificaterequest", "PodCertificateRequest", true, nil, false,
		status(gvCertificates, "PodCertificateRequest")),

	res(gvCoordination, "leases", "lease", "Lease", true, nil, false),

	res(gvDiscovery, "endpointslices", "endpointslice", "EndpointSlice", true, nil, false),

	// The same Events as core/v1's, under /registry/events: stored as
	// core/v1 Events and converted (api.StorageVersion, pkg/api/convert).
	res(gvEvents, "events", "event", "Event", true, []string{"ev"}, false),

	res(gvFlowcontrol, "flowschemas", "flowschema", "FlowSchema", false, nil, false, status(gvFlowcontrol, "FlowSchema")).generation(),
	res(gvFlowcontrol, "prioritylevelconfigurations", "prioritylevelconfiguration", "PriorityLevelConfiguration", false, nil, false,
		status(gvFlowcontrol, "PriorityLevelConfiguration")).generation(),

	res(gvNetworking, "ingressclasses", "ingressclass", "IngressClass", false, nil, false).generation(),
	// Upstream keeps Ingresses under the singular.
	res(gvNetworking, "ingresses", "ingress", "Ingress", true, []string{"ing"}, false, status(gvNetworking, "Ingress")).
		at("/registry/ingress").generation(),
	res(gvNetworking, "ipaddresses", "ipaddress", "IPAddress", false, []string{"ip"}, false),
	res(gvNetworking, "networkpolicies", "networkpolicy", "NetworkPolicy", true, []string{"netpol"}, false).generation(),
	res(gvNetworking, "servicecidrs", "servicecidr", "ServiceCIDR", false, nil, false, status(gvNetworking, "ServiceCIDR")),

	res(gvNode, "runtimeclasses", "runtimeclass", "RuntimeClass", false, nil, false),

	res(gvPolicy, "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, []string{"pdb"}, false,
		status(gvPolicy, "PodDisruptionBudget")).generation(),

	res(gvRBAC, "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, nil, false),
	res(gvRBAC, "clusterroles", "clusterrole", "ClusterRole", false, nil, false),
	res(gvRBAC, "rolebindings", "rolebinding", "RoleBinding", true, nil, false),
	res(gvRBAC, "roles", "role", "Role", true, nil, false),

	// Dynamic resource allocation: stored and served; no scheduler plugin
	// or driver allocates devices yet.
	res(gvResource, "deviceclasses", "deviceclass", "DeviceClass", false, nil, false).generation().deleteReturnsObject(),
	// v1 alone answers a DELETE with a Status (its beta versions return the object).
	res(gvResource, "devicetaintrules", "devicetaintrule", "DeviceTaintRule", false, nil, false,
		status(gvResource, "DeviceTaintRule")).generation(),
	res(gvResource, "resourceclaims", "resourceclaim", "ResourceClaim", true, nil, false,
		status(gvResource, "ResourceClaim")).deleteReturnsObject(),
	res(gvResource, "resourceclaimtemplates", "resourceclaimtemplate", "ResourceClaimTemplate", true, nil, false).deleteReturnsObject(),
	res(gvResource, "resourceslices", "resourceslice", "ResourceSlice", false, nil, false).generation().deleteReturnsObject(),

	res(gvScheduling, "priorityclasses", "priorityclass", "PriorityClass", false, []string{"pc"}, false),

	res(gvStorage, "csidrivers", "csidriver", "CSIDriver", false, nil, false).deleteReturnsObject(),
	res(gvStorage, "csinodes", "csinode", "CSINode", false, nil, false).deleteReturnsObject(),
	res(gvStorage, "csistoragecapacities", "csistoragecapacity", "CSIStorageCapacity", true, nil, false),
	res(gvStorage, "storageclasses", "storageclass", "StorageClass", false, []string{"sc"}, false).deleteReturnsObject(),
	res(gvStorage, "volumeattachments", "volumeattachment", "VolumeAttachment", false, nil, false,
		status(gvStorage, "VolumeAttachment")).deleteReturnsObject(),
	res(gvStorage, "volumeattributesclasses", "volumeattributesclass", "VolumeAttributesClass", false, []string{"vac"}, false).
		deleteReturnsObject(),

	res(gvMigration, "storageversionmigrations", "storageversionmigration", "StorageVersionMigration", false, nil, false,
		status(gvMigration, "StorageVersionMigration")),
}

// Lookup finds a served resource by group, version and plural name.
func Lookup(gvr schema.GroupVersionResource) (Resource, bool) {
	for _, r := range Resources {
		if r.GVR() == gvr {
			return r, true
		}
	}
	return Resource{}, false
}
