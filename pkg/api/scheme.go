package api

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	resourcev1 "k8s.io/api/resource/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/tinykube/tinykube/pkg/api/convert"
	"github.com/tinykube/tinykube/pkg/api/defaults"
)

// Scheme knows every Go type the server reads or writes: the served API
// groups, plus the meta.k8s.io types (Status, Table, WatchEvent,
// DeleteOptions…) registered into each group version.
var Scheme = runtime.NewScheme()

// Codecs builds serializers (JSON, YAML, protobuf) for the types in Scheme.
var Codecs = serializer.NewCodecFactory(Scheme)

// ParameterCodec decodes query parameters into option structs (ListOptions…).
var ParameterCodec = runtime.NewParameterCodec(Scheme)

// GroupVersions lists the served group versions in discovery order: the
// core group first, so a bare "events" resolves to core/v1. Only group
// versions with resources are listed: clients fail discovery on an empty
// one (kubectl 1.32: "received empty response for: autoscaling/v1").
// HorizontalPodAutoscalers are served at autoscaling/v2 (preferred, and
// stored) and v1, converted (pkg/api/convert).
var GroupVersions = []schema.GroupVersion{
	corev1.SchemeGroupVersion,
	admissionregistrationv1.SchemeGroupVersion,
	apiextensionsv1.SchemeGroupVersion,
	apiregistrationv1.SchemeGroupVersion,
	appsv1.SchemeGroupVersion,
	authenticationv1.SchemeGroupVersion,
	authorizationv1.SchemeGroupVersion,
	autoscalingv2.SchemeGroupVersion,
	autoscalingv1.SchemeGroupVersion,
	batchv1.SchemeGroupVersion,
	certificatesv1.SchemeGroupVersion,
	coordinationv1.SchemeGroupVersion,
	discoveryv1.SchemeGroupVersion,
	eventsv1.SchemeGroupVersion,
	flowcontrolv1.SchemeGroupVersion,
	networkingv1.SchemeGroupVersion,
	nodev1.SchemeGroupVersion,
	policyv1.SchemeGroupVersion,
	rbacv1.SchemeGroupVersion,
	resourcev1.SchemeGroupVersion,
	schedulingv1.SchemeGroupVersion,
	storagev1.SchemeGroupVersion,
	storagemigrationv1.SchemeGroupVersion,
}

func init() {
	// The scheme is immutable after init; this is the one place types are
	// registered.
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
	utilruntime.Must(metav1.AddMetaToScheme(Scheme))
	// Option bodies may also be sent as meta.k8s.io/v1 (kubectl delete
	// sends DeleteOptions so), as upstream's metainternalversion registers.
	Scheme.AddKnownTypes(metav1.SchemeGroupVersion, &metav1.ListOptions{}, &metav1.GetOptions{},
		&metav1.DeleteOptions{}, &metav1.CreateOptions{}, &metav1.UpdateOptions{}, &metav1.PatchOptions{})
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, authenticationv1.AddToScheme,
		autoscalingv1.AddToScheme, autoscalingv2.AddToScheme, batchv1.AddToScheme, coordinationv1.AddToScheme,
		discoveryv1.AddToScheme, eventsv1.AddToScheme, policyv1.AddToScheme,
		rbacv1.AddToScheme, schedulingv1.AddToScheme, storagev1.AddToScheme,
		apidiscoveryv2.AddToScheme, admissionregistrationv1.AddToScheme, flowcontrolv1.AddToScheme,
		storagemigrationv1.AddToScheme, authorizationv1.AddToScheme,
		apiextensionsv1.AddToScheme,   // with upstream's v1 defaulting (defaults.go of the types package)
		apiregistrationv1.AddToScheme, // defaulting: spec.service.port 443
		certificatesv1.AddToScheme, networkingv1.AddToScheme, nodev1.AddToScheme,
		resourcev1.AddToScheme,
	} {
		utilruntime.Must(add(Scheme))
	}
	utilruntime.Must(convert.Register(Scheme))
	utilruntime.Must(defaults.RegisterDefaults(Scheme))
	for _, gv := range GroupVersions {
		utilruntime.Must(Scheme.SetVersionPriority(gv))
	}
	utilruntime.Must(Scheme.SetVersionPriority(autoscalingv2.SchemeGroupVersion, autoscalingv1.SchemeGroupVersion))
}
