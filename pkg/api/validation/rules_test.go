package validation

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

type ruleCase struct {
	name  string
	kind  string // fixture to start from
	edit  func(obj runtime.Object)
	field string
	typ   field.ErrorType
}

func pod(o runtime.Object) *corev1.Pod                   { return o.(*corev1.Pod) }
func deploy(o runtime.Object) *appsv1.Deployment         { return o.(*appsv1.Deployment) }
func svc(o runtime.Object) *corev1.Service               { return o.(*corev1.Service) }
func job(o runtime.Object) *batchv1.Job                  { return o.(*batchv1.Job) }
func cron(o runtime.Object) *batchv1.CronJob             { return o.(*batchv1.CronJob) }
func sts(o runtime.Object) *appsv1.StatefulSet           { return o.(*appsv1.StatefulSet) }
func ds(o runtime.Object) *appsv1.DaemonSet              { return o.(*appsv1.DaemonSet) }
func rs(o runtime.Object) *appsv1.ReplicaSet             { return o.(*appsv1.ReplicaSet) }
func rc(o runtime.Object) *corev1.ReplicationController  { return o.(*corev1.ReplicationController) }
func pvc(o runtime.Object) *corev1.PersistentVolumeClaim { return o.(*corev1.PersistentVolumeClaim) }
func pv(o runtime.Object) *corev1.PersistentVolume       { return o.(*corev1.PersistentVolume) }
func om(o runtime.Object) metav1.Object                  { return o.(metav1.Object) }
func rb(o runtime.Object) *rbacv1.RoleBinding            { return o.(*rbacv1.RoleBinding) }
func crb(o runtime.Object) *rbacv1.ClusterRoleBinding    { return o.(*rbacv1.ClusterRoleBinding) }
func sc(o runtime.Object) *storagev1.StorageClass        { return o.(*storagev1.StorageClass) }
func pc(o runtime.Object) *schedulingv1.PriorityClass    { return o.(*schedulingv1.PriorityClass) }
func pdb(o runtime.Object) *policyv1.PodDisruptionBudget { return o.(*policyv1.PodDisruptionBudget) }
func cm(o runtime.Object) *corev1.ConfigMap              { return o.(*corev1.ConfigMap) }
func secret(o runtime.Object) *corev1.Secret             { return o.(*corev1.Secret) }
func node(o runtime.Object) *corev1.Node                 { return o.(*corev1.Node) }
func eps(o runtime.Object) *discoveryv1.EndpointSlice    { return o.(*discoveryv1.EndpointSlice) }
func ep(o runtime.Object) *corev1.Endpoints              { return o.(*corev1.Endpoints) }
func lr(o runtime.Object) *corev1.LimitRange             { return o.(*corev1.LimitRange) }
func rq(o runtime.Object) *corev1.ResourceQuota          { return o.(*corev1.ResourceQuota) }
func ctr(o runtime.Object) *corev1.Container             { return &pod(o).Spec.Containers[0] }
func tplCtr(o runtime.Object) *corev1.Container          { return &deploy(o).Spec.Template.Spec.Containers[0] }
func ptr[T any](v T) *T                                  { return &v }
func qty(s string) resource.Quantity                     { return resource.MustParse(s) }

var createCases = []ruleCase{
	// object meta
	{"name required", "Pod", func(o runtime.Object) { om(o).SetName("") }, "metadata.name", field.ErrorTypeRequired},
	{"name subdomain", "Pod", func(o runtime.Object) { om(o).SetName("Web_1") }, "metadata.name", field.ErrorTypeInvalid},
	{"namespace label", "Pod", func(o runtime.Object) { om(o).SetNamespace("a.b") }, "metadata.namespace", field.ErrorTypeInvalid},
	{"cluster-scoped namespace", "Node", func(o runtime.Object) { om(o).SetNamespace("default") }, "metadata.namespace", field.ErrorTypeForbidden},
	{"label key", "ConfigMap", func(o runtime.Object) { om(o).SetLabels(map[string]string{"a/b/c": "x"}) }, "metadata.labels", field.ErrorTypeInvalid},
	{"label value", "ConfigMap", func(o runtime.Object) { om(o).SetLabels(map[string]string{"a": "-x"}) }, "metadata.labels", field.ErrorTypeInvalid},
	{"annotation key", "ConfigMap", func(o runtime.Object) { om(o).SetAnnotations(map[string]string{"a b": "x"}) }, "metadata.annotations", field.ErrorTypeInvalid},
	{"annotations size", "ConfigMap", func(o runtime.Object) {
		om(o).SetAnnotations(map[string]string{"big": strings.Repeat("x", 256*1024)})
	}, "metadata.annotations", field.ErrorTypeTooLong},
	{"finalizer name", "ConfigMap", func(o runtime.Object) { om(o).SetFinalizers([]string{"a/b/c"}) }, "metadata.finalizers", field.ErrorTypeInvalid},
	{"ownerReference uid", "ConfigMap", func(o runtime.Object) {
		om(o).SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "p"}})
	}, "metadata.ownerReferences[0].uid", field.ErrorTypeRequired},
	{"namespace name is label", "Namespace", func(o runtime.Object) { om(o).SetName("team.a") }, "metadata.name", field.ErrorTypeInvalid},
	{"service name is DNS-1035", "Service", func(o runtime.Object) { om(o).SetName("1web") }, "metadata.name", field.ErrorTypeInvalid},
	{"role name path segment", "Role", func(o runtime.Object) { om(o).SetName("a/b") }, "metadata.name", field.ErrorTypeInvalid},
	{"namespace finalizer", "Namespace", func(o runtime.Object) {
		o.(*corev1.Namespace).Spec.Finalizers = []corev1.FinalizerName{"bogus"}
	}, "spec.finalizers[0]", field.ErrorTypeInvalid},

	// Pod
	{"containers required", "Pod", func(o runtime.Object) { pod(o).Spec.Containers = nil }, "spec.containers", field.ErrorTypeRequired},
	{"container name", "Pod", func(o runtime.Object) { ctr(o).Name = "App" }, "spec.containers[0].name", field.ErrorTypeInvalid},
	{"container name dup", "Pod", func(o runtime.Object) {
		pod(o).Spec.Containers = append(pod(o).Spec.Containers, *ctr(o).DeepCopy())
		pod(o).Spec.Containers[1].Ports = nil
	}, "spec.containers[1].name", field.ErrorTypeDuplicate},
	{"image required", "Pod", func(o runtime.Object) { ctr(o).Image = "" }, "spec.containers[0].image", field.ErrorTypeRequired},
	{"image whitespace", "Pod", func(o runtime.Object) { ctr(o).Image = " nginx" }, "spec.containers[0].image", field.ErrorTypeInvalid},
	{"containerPort range", "Pod", func(o runtime.Object) { ctr(o).Ports[0].ContainerPort = 70000 }, "spec.containers[0].ports[0].containerPort", field.ErrorTypeInvalid},
	{"hostPort range", "Pod", func(o runtime.Object) { ctr(o).Ports[0].HostPort = -1 }, "spec.containers[0].ports[0].hostPort", field.ErrorTypeInvalid},
	{"port name", "Pod", func(o runtime.Object) { ctr(o).Ports[0].Name = "HTTP_PORT_TOO_LONG" }, "spec.containers[0].ports[0].name", field.ErrorTypeInvalid},
	{"port protocol", "Pod", func(o runtime.Object) { ctr(o).Ports[0].Protocol = "ICMP" }, "spec.containers[0].ports[0].protocol", field.ErrorTypeNotSupported},
	{"restartPolicy", "Pod", func(o runtime.Object) { pod(o).Spec.RestartPolicy = "Sometimes" }, "spec.restartPolicy", field.ErrorTypeNotSupported},
	{"dnsPolicy", "Pod", func(o runtime.Object) { pod(o).Spec.DNSPolicy = "Google" }, "spec.dnsPolicy", field.ErrorTypeNotSupported},
	{"dnsPolicy None needs config", "Pod", func(o runtime.Object) { pod(o).Spec.DNSPolicy = corev1.DNSNone }, "spec.dnsConfig", field.ErrorTypeRequired},
	{"requests over limits", "Pod", func(o runtime.Object) {
		ctr(o).Resources.Requests[corev1.ResourceCPU] = qty("2")
	}, "spec.containers[0].resources.requests[cpu]", field.ErrorTypeInvalid},
	{"negative request", "Pod", func(o runtime.Object) {
		ctr(o).Resources.Requests[corev1.ResourceMemory] = qty("-1")
	}, "spec.containers[0].resources.requests[memory]", field.ErrorTypeInvalid},
	{"resource name", "Pod", func(o runtime.Object) {
		ctr(o).Resources.Limits["gpu"] = qty("1")
	}, "spec.containers[0].resources.limits[gpu]", field.ErrorTypeInvalid},
	{"volume name dup", "Pod", func(o runtime.Object) {
		pod(o).Spec.Volumes = append(pod(o).Spec.Volumes, pod(o).Spec.Volumes[0])
	}, "spec.volumes[1].name", field.ErrorTypeDuplicate},
	{"volume no source", "Pod", func(o runtime.Object) {
		pod(o).Spec.Volumes[0].VolumeSource = corev1.VolumeSource{}
	}, "spec.volumes[0]", field.ErrorTypeRequired},
	{"volume two sources", "Pod", func(o runtime.Object) {
		pod(o).Spec.Volumes[0].HostPath = &corev1.HostPathVolumeSource{Path: "/x"}
	}, "spec.volumes[0].emptyDir", field.ErrorTypeForbidden},
	{"volumeMount unknown", "Pod", func(o runtime.Object) { ctr(o).VolumeMounts[0].Name = "nope" }, "spec.containers[0].volumeMounts[0].name", field.ErrorTypeNotFound},
	{"volumeMount path", "Pod", func(o runtime.Object) { ctr(o).VolumeMounts[0].MountPath = "" }, "spec.containers[0].volumeMounts[0].mountPath", field.ErrorTypeRequired},
	{"env name", "Pod", func(o runtime.Object) { ctr(o).Env[0].Name = "A=B" }, "spec.containers[0].env[0].name", field.ErrorTypeInvalid},
	{"env value and valueFrom", "Pod", func(o runtime.Object) {
		ctr(o).Env[0].ValueFrom = &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}
	}, "spec.containers[0].env[0].valueFrom", field.ErrorTypeInvalid},
	{"activeDeadlineSeconds", "Pod", func(o runtime.Object) { pod(o).Spec.ActiveDeadlineSeconds = ptr(int64(0)) }, "spec.activeDeadlineSeconds", field.ErrorTypeInvalid},
	{"toleration effect", "Pod", func(o runtime.Object) {
		pod(o).Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Effect: "Sometimes"}}
	}, "spec.tolerations[0].effect", field.ErrorTypeNotSupported},
	{"probe handler", "Pod", func(o runtime.Object) { ctr(o).LivenessProbe = &corev1.Probe{} }, "spec.containers[0].livenessProbe", field.ErrorTypeRequired},
	{"nodeName", "Pod", func(o runtime.Object) { pod(o).Spec.NodeName = "Node_1" }, "spec.nodeName", field.ErrorTypeInvalid},

	// Deployment / workloads
	{"selector required", "Deployment", func(o runtime.Object) { deploy(o).Spec.Selector = nil }, "spec.selector", field.ErrorTypeRequired},
	{"selector empty", "Deployment", func(o runtime.Object) { deploy(o).Spec.Selector = &metav1.LabelSelector{} }, "spec.selector", field.ErrorTypeInvalid},
	{"selector mismatch", "Deployment", func(o runtime.Object) {
		deploy(o).Spec.Template.Labels = map[string]string{"app": "other"}
	}, "spec.template.metadata.labels", field.ErrorTypeInvalid},
	{"replicas negative", "Deployment", func(o runtime.Object) { deploy(o).Spec.Replicas = ptr(int32(-1)) }, "spec.replicas", field.ErrorTypeInvalid},
	{"template restartPolicy", "Deployment", func(o runtime.Object) {
		deploy(o).Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	}, "spec.template.spec.restartPolicy", field.ErrorTypeNotSupported},
	{"template image", "Deployment", func(o runtime.Object) { tplCtr(o).Image = "" }, "spec.template.spec.containers[0].image", field.ErrorTypeRequired},
	{"strategy type", "Deployment", func(o runtime.Object) { deploy(o).Spec.Strategy.Type = "Blue" }, "spec.strategy.type", field.ErrorTypeNotSupported},
	{"surge and unavailable zero", "Deployment", func(o runtime.Object) {
		z := intstr.FromInt32(0)
		deploy(o).Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: &z, MaxUnavailable: &z}
	}, "spec.strategy.rollingUpdate.maxUnavailable", field.ErrorTypeInvalid},
	{"maxUnavailable over 100%", "Deployment", func(o runtime.Object) {
		v := intstr.FromString("150%")
		deploy(o).Spec.Strategy.RollingUpdate.MaxUnavailable = &v
	}, "spec.strategy.rollingUpdate.maxUnavailable", field.ErrorTypeInvalid},
	{"rollingUpdate with Recreate", "Deployment", func(o runtime.Object) { deploy(o).Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType },
		"spec.strategy.rollingUpdate", field.ErrorTypeForbidden},
	{"revisionHistoryLimit", "Deployment", func(o runtime.Object) { deploy(o).Spec.RevisionHistoryLimit = ptr(int32(-1)) }, "spec.revisionHistoryLimit", field.ErrorTypeInvalid},
	{"progressDeadline", "Deployment", func(o runtime.Object) { deploy(o).Spec.MinReadySeconds = 1000 }, "spec.progressDeadlineSeconds", field.ErrorTypeInvalid},
	{"rs activeDeadline", "ReplicaSet", func(o runtime.Object) { rs(o).Spec.Template.Spec.ActiveDeadlineSeconds = ptr(int64(5)) },
		"spec.template.spec.activeDeadlineSeconds", field.ErrorTypeForbidden},
	{"ds update strategy", "DaemonSet", func(o runtime.Object) { ds(o).Spec.UpdateStrategy.Type = "Whenever" }, "spec.updateStrategy.type", field.ErrorTypeNotSupported},
	{"sts podManagementPolicy", "StatefulSet", func(o runtime.Object) { sts(o).Spec.PodManagementPolicy = "Random" }, "spec.podManagementPolicy", field.ErrorTypeNotSupported},
	{"sts partition", "StatefulSet", func(o runtime.Object) {
		sts(o).Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr(int32(-1))}
	}, "spec.updateStrategy.rollingUpdate.partition", field.ErrorTypeInvalid},
	{"sts claim storage", "StatefulSet", func(o runtime.Object) { sts(o).Spec.VolumeClaimTemplates[0].Spec.Resources.Requests = nil },
		"spec.volumeClaimTemplates[0].spec.resources[storage]", field.ErrorTypeRequired},
	{"rc selector", "ReplicationController", func(o runtime.Object) { rc(o).Spec.Template.Labels = map[string]string{"x": "y"} },
		"spec.template.metadata.labels", field.ErrorTypeInvalid},
	{"controllerrevision revision", "ControllerRevision", func(o runtime.Object) { o.(*appsv1.ControllerRevision).Revision = -1 }, "revision", field.ErrorTypeInvalid},

	// Job / CronJob
	{"job restartPolicy", "Job", func(o runtime.Object) { job(o).Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways },
		"spec.template.spec.restartPolicy", field.ErrorTypeNotSupported},
	{"job parallelism", "Job", func(o runtime.Object) { job(o).Spec.Parallelism = ptr(int32(-1)) }, "spec.parallelism", field.ErrorTypeInvalid},
	{"job completions", "Job", func(o runtime.Object) { job(o).Spec.Completions = ptr(int32(-1)) }, "spec.completions", field.ErrorTypeInvalid},
	{"job backoffLimit", "Job", func(o runtime.Object) { job(o).Spec.BackoffLimit = ptr(int32(-1)) }, "spec.backoffLimit", field.ErrorTypeInvalid},
	{"job completionMode", "Job", func(o runtime.Object) { job(o).Spec.CompletionMode = ptr(batchv1.CompletionMode("Sparse")) }, "spec.completionMode", field.ErrorTypeNotSupported},
	{"job indexed needs completions", "Job", func(o runtime.Object) {
		job(o).Spec.CompletionMode = ptr(batchv1.IndexedCompletion)
		job(o).Spec.Completions = nil
	}, "spec.completions", field.ErrorTypeRequired},
	{"job selector mismatch", "Job", func(o runtime.Object) {
		job(o).Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}
	}, "spec.template.metadata.labels", field.ErrorTypeInvalid},
	{"cron schedule required", "CronJob", func(o runtime.Object) { cron(o).Spec.Schedule = "" }, "spec.schedule", field.ErrorTypeRequired},
	{"cron schedule parse", "CronJob", func(o runtime.Object) { cron(o).Spec.Schedule = "61 * * * *" }, "spec.schedule", field.ErrorTypeInvalid},
	{"cron TZ", "CronJob", func(o runtime.Object) { cron(o).Spec.Schedule = "TZ=UTC 0 * * * *" }, "spec.schedule", field.ErrorTypeInvalid},
	{"cron timeZone", "CronJob", func(o runtime.Object) { cron(o).Spec.TimeZone = ptr("Mars/Olympus") }, "spec.timeZone", field.ErrorTypeInvalid},
	{"cron concurrency", "CronJob", func(o runtime.Object) { cron(o).Spec.ConcurrencyPolicy = "Sometimes" }, "spec.concurrencyPolicy", field.ErrorTypeNotSupported},
	{"cron startingDeadline", "CronJob", func(o runtime.Object) { cron(o).Spec.StartingDeadlineSeconds = ptr(int64(-1)) }, "spec.startingDeadlineSeconds", field.ErrorTypeInvalid},
	{"cron name length", "CronJob", func(o runtime.Object) { om(o).SetName(strings.Repeat("a", 53)) }, "metadata.name", field.ErrorTypeInvalid},
	{"cron template restartPolicy", "CronJob", func(o runtime.Object) {
		cron(o).Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
	}, "spec.jobTemplate.spec.template.spec.restartPolicy", field.ErrorTypeNotSupported},

	// Service
	{"svc ports required", "Service", func(o runtime.Object) { svc(o).Spec.Ports = nil }, "spec.ports", field.ErrorTypeRequired},
	{"svc port range", "Service", func(o runtime.Object) { svc(o).Spec.Ports[0].Port = 0 }, "spec.ports[0].port", field.ErrorTypeInvalid},
	{"svc port name required", "Service", func(o runtime.Object) { svc(o).Spec.Ports[1].Name = "" }, "spec.ports[1].name", field.ErrorTypeRequired},
	{"svc port name dup", "Service", func(o runtime.Object) { svc(o).Spec.Ports[1].Name = "http" }, "spec.ports[1].name", field.ErrorTypeDuplicate},
	{"svc protocol", "Service", func(o runtime.Object) { svc(o).Spec.Ports[0].Protocol = "ICMP" }, "spec.ports[0].protocol", field.ErrorTypeNotSupported},
	{"svc targetPort", "Service", func(o runtime.Object) { svc(o).Spec.Ports[0].TargetPort = intstr.FromInt32(70000) }, "spec.ports[0].targetPort", field.ErrorTypeInvalid},
	{"svc targetPort name", "Service", func(o runtime.Object) { svc(o).Spec.Ports[0].TargetPort = intstr.FromString("Not_A_Name") }, "spec.ports[0].targetPort", field.ErrorTypeInvalid},
	{"svc nodePort on ClusterIP", "Service", func(o runtime.Object) { svc(o).Spec.Ports[0].NodePort = 30080 }, "spec.ports[0].nodePort", field.ErrorTypeForbidden},
	{"svc type", "Service", func(o runtime.Object) { svc(o).Spec.Type = "Magic" }, "spec.type", field.ErrorTypeNotSupported},
	{"svc selector", "Service", func(o runtime.Object) { svc(o).Spec.Selector = map[string]string{"app": "-bad"} }, "spec.selector", field.ErrorTypeInvalid},
	{"svc clusterIP", "Service", func(o runtime.Object) {
		svc(o).Spec.ClusterIPs = []string{"300.1.1.1"}
		svc(o).Spec.ClusterIP = "300.1.1.1"
	},
		"spec.clusterIPs[0]", field.ErrorTypeInvalid},
	{"svc externalName required", "Service", func(o runtime.Object) {
		svc(o).Spec.Type = corev1.ServiceTypeExternalName
		svc(o).Spec.ClusterIP, svc(o).Spec.ClusterIPs = "", nil
	}, "spec.externalName", field.ErrorTypeRequired},

	// Endpoints, EndpointSlice
	{"ep ip", "Endpoints", func(o runtime.Object) { ep(o).Subsets[0].Addresses[0].IP = "nope" }, "subsets[0].addresses[0].ip", field.ErrorTypeInvalid},
	{"ep loopback", "Endpoints", func(o runtime.Object) { ep(o).Subsets[0].Addresses[0].IP = "127.0.0.1" }, "subsets[0].addresses[0].ip", field.ErrorTypeInvalid},
	{"ep port", "Endpoints", func(o runtime.Object) { ep(o).Subsets[0].Ports[0].Port = 0 }, "subsets[0].ports[0].port", field.ErrorTypeInvalid},
	{"eps addressType", "EndpointSlice", func(o runtime.Object) { eps(o).AddressType = "IPX" }, "addressType", field.ErrorTypeNotSupported},
	{"eps address", "EndpointSlice", func(o runtime.Object) { eps(o).Endpoints[0].Addresses = []string{"fd00::1"} }, "endpoints[0].addresses[0]", field.ErrorTypeInvalid},
	{"eps no address", "EndpointSlice", func(o runtime.Object) { eps(o).Endpoints[0].Addresses = nil }, "endpoints[0].addresses", field.ErrorTypeRequired},

	// ConfigMap, Secret
	{"cm key", "ConfigMap", func(o runtime.Object) { cm(o).Data["a/b"] = "x" }, "data[a/b]", field.ErrorTypeInvalid},
	{"cm dup key", "ConfigMap", func(o runtime.Object) { cm(o).Data["blob"] = "x" }, "binaryData[blob]", field.ErrorTypeInvalid},
	{"cm size", "ConfigMap", func(o runtime.Object) { cm(o).Data["big"] = strings.Repeat("x", 1024*1024) }, field.NewPath("").String(), field.ErrorTypeTooLong},
	{"secret key", "Secret", func(o runtime.Object) { secret(o).Data["../x"] = nil }, "data[../x]", field.ErrorTypeInvalid},
	{"secret tls key", "Secret", func(o runtime.Object) { delete(secret(o).Data, "tls.key") }, "data[tls.key]", field.ErrorTypeRequired},
	{"secret size", "Secret", func(o runtime.Object) { secret(o).Data["big"] = make([]byte, 1024*1024) }, "data", field.ErrorTypeTooLong},

	// Node
	{"node podCIDR", "Node", func(o runtime.Object) { node(o).Spec.PodCIDRs[1] = "fd00::1" }, "spec.podCIDRs[1]", field.ErrorTypeInvalid},
	{"node taint effect", "Node", func(o runtime.Object) { node(o).Spec.Taints[0].Effect = "Never" }, "spec.taints[0].effect", field.ErrorTypeNotSupported},
	{"node taint dup", "Node", func(o runtime.Object) { node(o).Spec.Taints = append(node(o).Spec.Taints, node(o).Spec.Taints[0]) }, "spec.taints[1]", field.ErrorTypeDuplicate},

	// Events, Lease
	{"event namespace", "Event", func(o runtime.Object) { o.(*corev1.Event).InvolvedObject.Namespace = "other" }, "involvedObject.namespace", field.ErrorTypeInvalid},
	{"eventsv1 reportingController", "events.k8s.io/Event", func(o runtime.Object) { o.(*eventsv1.Event).ReportingController = "" }, "reportingController", field.ErrorTypeRequired},
	{"eventsv1 type", "events.k8s.io/Event", func(o runtime.Object) { o.(*eventsv1.Event).Type = "Bad" }, "type", field.ErrorTypeNotSupported},
	{"lease duration", "Lease", func(o runtime.Object) { o.(*coordinationv1.Lease).Spec.LeaseDurationSeconds = ptr(int32(0)) }, "spec.leaseDurationSeconds", field.ErrorTypeInvalid},

	// PDB
	{"pdb both set", "PodDisruptionBudget", func(o runtime.Object) { v := intstr.FromInt32(1); pdb(o).Spec.MaxUnavailable = &v }, "spec", field.ErrorTypeInvalid},
	{"pdb percent", "PodDisruptionBudget", func(o runtime.Object) { v := intstr.FromString("120%"); pdb(o).Spec.MinAvailable = &v }, "spec.minAvailable", field.ErrorTypeInvalid},

	// RBAC
	{"role verbs", "Role", func(o runtime.Object) { o.(*rbacv1.Role).Rules[0].Verbs = nil }, "rules[0].verbs", field.ErrorTypeRequired},
	{"role nonResourceURLs", "Role", func(o runtime.Object) { o.(*rbacv1.Role).Rules[0].NonResourceURLs = []string{"/x"} }, "rules[0].nonResourceURLs", field.ErrorTypeInvalid},
	{"clusterrole apiGroups", "ClusterRole", func(o runtime.Object) { o.(*rbacv1.ClusterRole).Rules[0].APIGroups = nil }, "rules[0].apiGroups", field.ErrorTypeRequired},
	{"rb roleRef kind", "RoleBinding", func(o runtime.Object) { rb(o).RoleRef.Kind = "Group" }, "roleRef.kind", field.ErrorTypeNotSupported},
	{"crb roleRef Role", "ClusterRoleBinding", func(o runtime.Object) { crb(o).RoleRef.Kind = "Role" }, "roleRef.kind", field.ErrorTypeNotSupported},
	{"rb subject kind", "RoleBinding", func(o runtime.Object) { rb(o).Subjects[0].Kind = "Robot" }, "subjects[0].kind", field.ErrorTypeNotSupported},
	{"crb sa namespace", "ClusterRoleBinding", func(o runtime.Object) {
		crb(o).Subjects = []rbacv1.Subject{{Kind: "ServiceAccount", Name: "sa"}}
	}, "subjects[0].namespace", field.ErrorTypeRequired},

	// PriorityClass, StorageClass, PV, PVC
	{"pc value", "PriorityClass", func(o runtime.Object) { pc(o).Value = 2000000000 }, "value", field.ErrorTypeForbidden},
	{"pc system prefix", "PriorityClass", func(o runtime.Object) { om(o).SetName("system-mine") }, "metadata.name", field.ErrorTypeForbidden},
	{"sc provisioner", "StorageClass", func(o runtime.Object) { sc(o).Provisioner = "" }, "provisioner", field.ErrorTypeRequired},
	{"sc reclaimPolicy", "StorageClass", func(o runtime.Object) { sc(o).ReclaimPolicy = ptr(corev1.PersistentVolumeReclaimRecycle) }, "reclaimPolicy", field.ErrorTypeNotSupported},
	{"pv accessModes", "PersistentVolume", func(o runtime.Object) { pv(o).Spec.AccessModes = nil }, "spec.accessModes", field.ErrorTypeRequired},
	{"pv capacity", "PersistentVolume", func(o runtime.Object) { pv(o).Spec.Capacity = nil }, "spec.capacity", field.ErrorTypeRequired},
	{"pv source", "PersistentVolume", func(o runtime.Object) { pv(o).Spec.HostPath = nil }, "spec", field.ErrorTypeRequired},
	{"pvc accessModes", "PersistentVolumeClaim", func(o runtime.Object) { pvc(o).Spec.AccessModes = []corev1.PersistentVolumeAccessMode{"ReadSometimes"} },
		"spec.accessModes", field.ErrorTypeNotSupported},
	{"pvc storage", "PersistentVolumeClaim", func(o runtime.Object) { pvc(o).Spec.Resources.Requests = nil }, "spec.resources[storage]", field.ErrorTypeRequired},
	{"pvc storage zero", "PersistentVolumeClaim", func(o runtime.Object) {
		pvc(o).Spec.Resources.Requests[corev1.ResourceStorage] = qty("0")
	}, "spec.resources[storage]", field.ErrorTypeInvalid},

	// LimitRange, ResourceQuota, Binding
	{"lr min over max", "LimitRange", func(o runtime.Object) { lr(o).Spec.Limits[0].Min[corev1.ResourceCPU] = qty("3") }, "spec.limits[0].min[cpu]", field.ErrorTypeInvalid},
	{"lr negative", "LimitRange", func(o runtime.Object) { lr(o).Spec.Limits[0].Max[corev1.ResourceMemory] = qty("-1") }, "spec.limits[0].max[memory]", field.ErrorTypeInvalid},
	{"lr type", "LimitRange", func(o runtime.Object) { lr(o).Spec.Limits[0].Type = "Node" }, "spec.limits[0].type", field.ErrorTypeNotSupported},
	{"rq negative", "ResourceQuota", func(o runtime.Object) { rq(o).Spec.Hard[corev1.ResourcePods] = qty("-1") }, "spec.hard[pods]", field.ErrorTypeInvalid},
	{"rq scope", "ResourceQuota", func(o runtime.Object) { rq(o).Spec.Scopes = []corev1.ResourceQuotaScope{"Cheap"} }, "spec.scopes[0]", field.ErrorTypeNotSupported},
	{"binding target", "Binding", func(o runtime.Object) { o.(*corev1.Binding).Target.Name = "" }, "target.name", field.ErrorTypeRequired},
}

func TestValidateCreateRules(t *testing.T) {
	for _, tc := range createCases {
		t.Run(tc.kind+"/"+tc.name, func(t *testing.T) {
			obj := fixtures(t)[tc.kind]
			tc.edit(obj)
			errs := ValidateCreate(obj)
			if !hasError(errs, tc.field, tc.typ) {
				t.Fatalf("want %s at %q, got %v", tc.typ, tc.field, errs)
			}
		})
	}
}
