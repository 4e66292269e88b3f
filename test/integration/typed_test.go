package integration

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// object is what every typed client's items are.
type object interface {
	runtime.Object
	metav1.Object
}

// typedIface is the method set every generated typed client shares.
type typedIface[T object, L runtime.Object] interface {
	Create(context.Context, T, metav1.CreateOptions) (T, error)
	Update(context.Context, T, metav1.UpdateOptions) (T, error)
	Delete(context.Context, string, metav1.DeleteOptions) error
	Get(context.Context, string, metav1.GetOptions) (T, error)
	List(context.Context, metav1.ListOptions) (L, error)
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error)
}

type statusIface[T object] interface {
	UpdateStatus(context.Context, T, metav1.UpdateOptions) (T, error)
}

type scaleIface interface {
	GetScale(context.Context, string, metav1.GetOptions) (*autoscalingv1.Scale, error)
	UpdateScale(context.Context, string, *autoscalingv1.Scale, metav1.UpdateOptions) (*autoscalingv1.Scale, error)
}

// typedClient erases a generated typed client's item type so one table
// drives every resource through kubernetes.Interface.
type typedClient struct {
	create       func(context.Context, runtime.Object) (object, error)
	update       func(context.Context, runtime.Object) (object, error)
	updateStatus func(context.Context, runtime.Object) (object, error) // nil without UpdateStatus
	get          func(context.Context, string) (object, error)
	list         func(context.Context, metav1.ListOptions) (runtime.Object, error)
	patch        func(context.Context, string, types.PatchType, []byte) (object, error)
	delete       func(context.Context, string) error
	scale        scaleIface // nil without GetScale/UpdateScale
}

func typed[T object, L runtime.Object](c typedIface[T, L]) typedClient {
	tc := typedClient{
		create: func(ctx context.Context, o runtime.Object) (object, error) {
			return c.Create(ctx, o.(T), metav1.CreateOptions{})
		},
		update: func(ctx context.Context, o runtime.Object) (object, error) {
			return c.Update(ctx, o.(T), metav1.UpdateOptions{})
		},
		get: func(ctx context.Context, name string) (object, error) { return c.Get(ctx, name, metav1.GetOptions{}) },
		list: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			return c.List(ctx, opts)
		},
		patch: func(ctx context.Context, name string, pt types.PatchType, data []byte) (object, error) {
			return c.Patch(ctx, name, pt, data, metav1.PatchOptions{})
		},
		delete: func(ctx context.Context, name string) error { return c.Delete(ctx, name, metav1.DeleteOptions{}) },
	}
	if s, ok := any(c).(statusIface[T]); ok {
		tc.updateStatus = func(ctx context.Context, o runtime.Object) (object, error) {
			return s.UpdateStatus(ctx, o.(T), metav1.UpdateOptions{})
		}
	}
	if s, ok := any(c).(scaleIface); ok {
		tc.scale = s
	}
	return tc
}

// typedClientFor returns the generated client of a resource (by
// "<group>/<resource>") in namespace ns.
func typedClientFor(cs kubernetes.Interface, key, ns string) (typedClient, error) {
	core, apps, batch := cs.CoreV1(), cs.AppsV1(), cs.BatchV1()
	rbac := cs.RbacV1()
	switch key {
	case "/configmaps":
		return typed(core.ConfigMaps(ns)), nil
	case "/endpoints":
		return typed(core.Endpoints(ns)), nil
	case "/events":
		return typed(core.Events(ns)), nil
	case "/limitranges":
		return typed(core.LimitRanges(ns)), nil
	case "/namespaces":
		return typed(core.Namespaces()), nil
	case "/nodes":
		return typed(core.Nodes()), nil
	case "/persistentvolumeclaims":
		return typed(core.PersistentVolumeClaims(ns)), nil
	case "/persistentvolumes":
		return typed(core.PersistentVolumes()), nil
	case "/pods":
		return typed(core.Pods(ns)), nil
	case "/podtemplates":
		return typed(core.PodTemplates(ns)), nil
	case "/replicationcontrollers":
		return typed(core.ReplicationControllers(ns)), nil
	case "/resourcequotas":
		return typed(core.ResourceQuotas(ns)), nil
	case "/secrets":
		return typed(core.Secrets(ns)), nil
	case "/serviceaccounts":
		return typed(core.ServiceAccounts(ns)), nil
	case "/services":
		return typed(core.Services(ns)), nil
	case "admissionregistration.k8s.io/mutatingadmissionpolicies":
		return typed(cs.AdmissionregistrationV1().MutatingAdmissionPolicies()), nil
	case "admissionregistration.k8s.io/mutatingadmissionpolicybindings":
		return typed(cs.AdmissionregistrationV1().MutatingAdmissionPolicyBindings()), nil
	case "admissionregistration.k8s.io/mutatingwebhookconfigurations":
		return typed(cs.AdmissionregistrationV1().MutatingWebhookConfigurations()), nil
	case "admissionregistration.k8s.io/validatingadmissionpolicies":
		return typed(cs.AdmissionregistrationV1().ValidatingAdmissionPolicies()), nil
	case "admissionregistration.k8s.io/validatingadmissionpolicybindings":
		return typed(cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings()), nil
	case "admissionregistration.k8s.io/validatingwebhookconfigurations":
		return typed(cs.AdmissionregistrationV1().ValidatingWebhookConfigurations()), nil
	case "apps/controllerrevisions":
		return typed(apps.ControllerRevisions(ns)), nil
	case "apps/daemonsets":
		return typed(apps.DaemonSets(ns)), nil
	case "apps/deployments":
		return typed(apps.Deployments(ns)), nil
	case "apps/replicasets":
		return typed(apps.ReplicaSets(ns)), nil
	case "apps/statefulsets":
		return typed(apps.StatefulSets(ns)), nil
	case "autoscaling/horizontalpodautoscalers":
		return typed(cs.AutoscalingV2().HorizontalPodAutoscalers(ns)), nil
	case "batch/cronjobs":
		return typed(batch.CronJobs(ns)), nil
	case "batch/jobs":
		return typed(batch.Jobs(ns)), nil
	case "coordination.k8s.io/leases":
		return typed(cs.CoordinationV1().Leases(ns)), nil
	case "discovery.k8s.io/endpointslices":
		return typed(cs.DiscoveryV1().EndpointSlices(ns)), nil
	case "events.k8s.io/events":
		return typed(cs.EventsV1().Events(ns)), nil
	case "flowcontrol.apiserver.k8s.io/flowschemas":
		return typed(cs.FlowcontrolV1().FlowSchemas()), nil
	case "flowcontrol.apiserver.k8s.io/prioritylevelconfigurations":
		return typed(cs.FlowcontrolV1().PriorityLevelConfigurations()), nil
	case "policy/poddisruptionbudgets":
		return typed(cs.PolicyV1().PodDisruptionBudgets(ns)), nil
	case "rbac.authorization.k8s.io/clusterrolebindings":
		return typed(rbac.ClusterRoleBindings()), nil
	case "rbac.authorization.k8s.io/clusterroles":
		return typed(rbac.ClusterRoles()), nil
	case "rbac.authorization.k8s.io/rolebindings":
		return typed(rbac.RoleBindings(ns)), nil
	case "rbac.authorization.k8s.io/roles":
		return typed(rbac.Roles(ns)), nil
	case "scheduling.k8s.io/priorityclasses":
		return typed(cs.SchedulingV1().PriorityClasses()), nil
	case "storage.k8s.io/storageclasses":
		return typed(cs.StorageV1().StorageClasses()), nil
	case "storage.k8s.io/csidrivers":
		return typed(cs.StorageV1().CSIDrivers()), nil
	case "storage.k8s.io/csinodes":
		return typed(cs.StorageV1().CSINodes()), nil
	case "storage.k8s.io/volumeattachments":
		return typed(cs.StorageV1().VolumeAttachments()), nil
	case "networking.k8s.io/ingresses":
		return typed(cs.NetworkingV1().Ingresses(ns)), nil
	case "networking.k8s.io/ingressclasses":
		return typed(cs.NetworkingV1().IngressClasses()), nil
	case "networking.k8s.io/networkpolicies":
		return typed(cs.NetworkingV1().NetworkPolicies(ns)), nil
	case "node.k8s.io/runtimeclasses":
		return typed(cs.NodeV1().RuntimeClasses()), nil
	case "certificates.k8s.io/certificatesigningrequests":
		return typed(cs.CertificatesV1().CertificateSigningRequests()), nil
	case "resource.k8s.io/deviceclasses":
		return typed(cs.ResourceV1().DeviceClasses()), nil
	case "resource.k8s.io/devicetaintrules":
		return typed(cs.ResourceV1().DeviceTaintRules()), nil
	case "resource.k8s.io/resourceclaims":
		return typed(cs.ResourceV1().ResourceClaims(ns)), nil
	case "resource.k8s.io/resourceclaimtemplates":
		return typed(cs.ResourceV1().ResourceClaimTemplates(ns)), nil
	case "resource.k8s.io/resourceslices":
		return typed(cs.ResourceV1().ResourceSlices()), nil
	case "storage.k8s.io/csistoragecapacities":
		return typed(cs.StorageV1().CSIStorageCapacities(ns)), nil
	case "storage.k8s.io/volumeattributesclasses":
		return typed(cs.StorageV1().VolumeAttributesClasses()), nil
	case "networking.k8s.io/servicecidrs":
		return typed(cs.NetworkingV1().ServiceCIDRs()), nil
	case "certificates.k8s.io/clustertrustbundles":
		return typed(cs.CertificatesV1().ClusterTrustBundles()), nil
	case "certificates.k8s.io/podcertificaterequests":
		return typed(cs.CertificatesV1().PodCertificateRequests(ns)), nil
	case "storagemigration.k8s.io/storageversionmigrations":
		return typed(cs.StoragemigrationV1().StorageVersionMigrations()), nil
	}
	return typedClient{}, fmt.Errorf("no typed client for %s: add it to typedClientFor", key)
}
