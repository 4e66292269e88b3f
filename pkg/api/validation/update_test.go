package validation

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

type updateCase struct {
	name    string
	kind    string
	editOld func(old runtime.Object) // optional: state of the stored object
	edit    func(obj runtime.Object) // the change being written
	field   string                   // "" means: must pass
	typ     field.ErrorType
}

var updateCases = []updateCase{
	// metadata
	{"name immutable", "ConfigMap", nil, func(o runtime.Object) { om(o).SetName("other") }, "metadata.name", field.ErrorTypeInvalid},
	{"namespace immutable", "ConfigMap", nil, func(o runtime.Object) { om(o).SetNamespace("other") }, "metadata.namespace", field.ErrorTypeInvalid},
	{"uid immutable", "ConfigMap", nil, func(o runtime.Object) { om(o).SetUID(types.UID("x")) }, "metadata.uid", field.ErrorTypeInvalid},
	{"creationTimestamp immutable", "ConfigMap", nil, func(o runtime.Object) {
		om(o).SetCreationTimestamp(metav1.Unix(5, 0))
	}, "metadata.creationTimestamp", field.ErrorTypeInvalid},
	{"no new finalizers while deleting", "ConfigMap",
		func(o runtime.Object) { now := metav1.Unix(10, 0); om(o).SetDeletionTimestamp(&now) },
		func(o runtime.Object) { om(o).SetFinalizers([]string{"example.com/x"}) }, "metadata.finalizers", field.ErrorTypeForbidden},
	{"labels may change", "ConfigMap", nil, func(o runtime.Object) { om(o).SetLabels(map[string]string{"a": "b"}) }, "", ""},

	// Pod
	{"pod image may change", "Pod", nil, func(o runtime.Object) { ctr(o).Image = "nginx:2" }, "", ""},
	{"pod image required", "Pod", nil, func(o runtime.Object) { ctr(o).Image = "" }, "spec.containers[0].image", field.ErrorTypeRequired},
	{"pod port change forbidden", "Pod", nil, func(o runtime.Object) { ctr(o).Ports[0].ContainerPort = 81 }, "spec", field.ErrorTypeForbidden},
	{"pod nodeName change forbidden", "Pod", nil, func(o runtime.Object) { pod(o).Spec.NodeName = "node-2" }, "spec", field.ErrorTypeForbidden},
	{"pod add container forbidden", "Pod", nil, func(o runtime.Object) {
		c := ctr(o).DeepCopy()
		c.Name, c.Ports = "side", nil
		pod(o).Spec.Containers = append(pod(o).Spec.Containers, *c)
	}, "spec.containers", field.ErrorTypeForbidden},
	{"pod add toleration", "Pod", nil, func(o runtime.Object) {
		pod(o).Spec.Tolerations = append(pod(o).Spec.Tolerations, corev1.Toleration{Key: "k", Operator: corev1.TolerationOpExists})
	}, "", ""},
	{"pod remove toleration", "Pod",
		func(o runtime.Object) {
			pod(o).Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}}
		},
		func(o runtime.Object) { pod(o).Spec.Tolerations = nil }, "spec", field.ErrorTypeForbidden},
	{"pod activeDeadline decrease", "Pod", func(o runtime.Object) { pod(o).Spec.ActiveDeadlineSeconds = ptr(int64(100)) },
		func(o runtime.Object) { pod(o).Spec.ActiveDeadlineSeconds = ptr(int64(50)) }, "", ""},
	{"pod activeDeadline increase", "Pod", func(o runtime.Object) { pod(o).Spec.ActiveDeadlineSeconds = ptr(int64(100)) },
		func(o runtime.Object) { pod(o).Spec.ActiveDeadlineSeconds = ptr(int64(200)) }, "spec.activeDeadlineSeconds", field.ErrorTypeInvalid},
	{"pod remove scheduling gate", "Pod", func(o runtime.Object) {
		pod(o).Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/gate"}}
	},
		func(o runtime.Object) { pod(o).Spec.SchedulingGates = nil }, "", ""},
	{"pod add scheduling gate", "Pod", nil,
		func(o runtime.Object) {
			pod(o).Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/gate"}}
		}, "spec.schedulingGates", field.ErrorTypeForbidden},

	// workloads
	{"deployment selector immutable", "Deployment", nil, func(o runtime.Object) {
		deploy(o).Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "fe"}}
		deploy(o).Spec.Template.Labels["tier"] = "fe"
	}, "spec.selector", field.ErrorTypeInvalid},
	{"deployment template may change", "Deployment", nil, func(o runtime.Object) { tplCtr(o).Image = "nginx:2" }, "", ""},
	{"replicaset selector immutable", "ReplicaSet", nil, func(o runtime.Object) {
		rs(o).Spec.Selector.MatchLabels["x"] = "y"
		rs(o).Spec.Template.Labels["x"] = "y"
	}, "spec.selector", field.ErrorTypeInvalid},
	{"daemonset selector immutable", "DaemonSet", nil, func(o runtime.Object) {
		ds(o).Spec.Selector.MatchLabels["x"] = "y"
		ds(o).Spec.Template.Labels["x"] = "y"
	}, "spec.selector", field.ErrorTypeInvalid},
	{"statefulset replicas may change", "StatefulSet", nil, func(o runtime.Object) { sts(o).Spec.Replicas = ptr(int32(5)) }, "", ""},
	{"statefulset serviceName forbidden", "StatefulSet", nil, func(o runtime.Object) { sts(o).Spec.ServiceName = "other" }, "spec", field.ErrorTypeForbidden},
	{"job template immutable", "Job", nil, func(o runtime.Object) { job(o).Spec.Template.Spec.Containers[0].Image = "x" }, "spec.template", field.ErrorTypeInvalid},
	{"suspended job scheduling directives", "Job", func(o runtime.Object) { job(o).Spec.Suspend = ptr(true) },
		func(o runtime.Object) { job(o).Spec.Template.Spec.NodeSelector = map[string]string{"zone": "a"} }, "", ""},
	{"job completions immutable", "Job", nil, func(o runtime.Object) { job(o).Spec.Completions = ptr(int32(9)) }, "spec.completions", field.ErrorTypeInvalid},
	{"job selector immutable", "Job",
		func(o runtime.Object) {
			job(o).Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}
			job(o).Spec.Template.Labels = map[string]string{"a": "b"}
		},
		func(o runtime.Object) {
			job(o).Spec.Selector.MatchLabels["c"] = "d"
			job(o).Spec.Template.Labels["c"] = "d"
		}, "spec.selector", field.ErrorTypeInvalid},
	{"job suspend may change", "Job", nil, func(o runtime.Object) { job(o).Spec.Suspend = ptr(true) }, "", ""},
	{"cronjob schedule may change", "CronJob", nil, func(o runtime.Object) { cron(o).Spec.Schedule = "@hourly" }, "", ""},
	{"controllerrevision data immutable", "ControllerRevision", nil, func(o runtime.Object) {
		o.(*appsv1.ControllerRevision).Data.Raw = []byte(`{"x":1}`)
	}, "data", field.ErrorTypeInvalid},

	// Service
	{"clusterIP immutable", "Service", nil, func(o runtime.Object) {
		svc(o).Spec.ClusterIP, svc(o).Spec.ClusterIPs = "10.96.0.11", []string{"10.96.0.11"}
	}, "spec.clusterIPs[0]", field.ErrorTypeInvalid},
	{"to ExternalName drops clusterIP", "Service", nil, func(o runtime.Object) {
		s := svc(o)
		s.Spec.Type, s.Spec.ExternalName, s.Spec.ClusterIP, s.Spec.ClusterIPs = corev1.ServiceTypeExternalName, "example.com", "", nil
		s.Spec.InternalTrafficPolicy, s.Spec.IPFamilies, s.Spec.IPFamilyPolicy = nil, nil, nil
	}, "", ""},

	// ConfigMap, Secret
	{"immutable configmap data", "ConfigMap", func(o runtime.Object) { cm(o).Immutable = ptr(true) },
		func(o runtime.Object) { cm(o).Data["x"] = "y" }, "data", field.ErrorTypeForbidden},
	{"immutable configmap flag", "ConfigMap", func(o runtime.Object) { cm(o).Immutable = ptr(true) },
		func(o runtime.Object) { cm(o).Immutable = ptr(false) }, "immutable", field.ErrorTypeForbidden},
	{"mutable configmap data", "ConfigMap", nil, func(o runtime.Object) { cm(o).Data["x"] = "y" }, "", ""},
	{"secret type immutable", "Secret", nil, func(o runtime.Object) { secret(o).Type = corev1.SecretTypeOpaque }, "type", field.ErrorTypeInvalid},
	{"immutable secret data", "Secret", func(o runtime.Object) { secret(o).Immutable = ptr(true) },
		func(o runtime.Object) { secret(o).Data["x"] = []byte("y") }, "data", field.ErrorTypeForbidden},

	// Node, EndpointSlice
	{"node podCIDRs immutable", "Node", nil, func(o runtime.Object) {
		node(o).Spec.PodCIDR, node(o).Spec.PodCIDRs = "10.244.2.0/24", []string{"10.244.2.0/24"}
	}, "spec.podCIDRs", field.ErrorTypeForbidden},
	{"node providerID once set", "Node", func(o runtime.Object) { node(o).Spec.ProviderID = "kind://a" },
		func(o runtime.Object) { node(o).Spec.ProviderID = "kind://b" }, "spec.providerID", field.ErrorTypeForbidden},
	{"endpointslice addressType immutable", "EndpointSlice", nil, func(o runtime.Object) {
		eps(o).AddressType = discoveryv1.AddressTypeFQDN
		eps(o).Endpoints[0].Addresses = []string{"a.example.com"}
	}, "addressType", field.ErrorTypeInvalid},

	// RBAC, scheduling, storage
	{"rolebinding roleRef immutable", "RoleBinding", nil, func(o runtime.Object) { rb(o).RoleRef.Name = "other" }, "roleRef", field.ErrorTypeInvalid},
	{"rolebinding subjects may change", "RoleBinding", nil, func(o runtime.Object) { rb(o).Subjects = rb(o).Subjects[:1] }, "", ""},
	{"clusterrolebinding roleRef immutable", "ClusterRoleBinding", nil, func(o runtime.Object) { crb(o).RoleRef.Name = "other" }, "roleRef", field.ErrorTypeInvalid},
	{"priorityclass value immutable", "PriorityClass", nil, func(o runtime.Object) { pc(o).Value = 7 }, "value", field.ErrorTypeForbidden},
	{"storageclass parameters immutable", "StorageClass", nil, func(o runtime.Object) { sc(o).Parameters["type"] = "hdd" }, "parameters", field.ErrorTypeForbidden},
	{"storageclass provisioner immutable", "StorageClass", nil, func(o runtime.Object) { sc(o).Provisioner = "example.com/x" }, "provisioner", field.ErrorTypeForbidden},
	{"pv source immutable", "PersistentVolume", nil, func(o runtime.Object) { pv(o).Spec.HostPath.Path = "/other" }, "spec.persistentvolumesource", field.ErrorTypeForbidden},
	{"pv reclaim policy may change", "PersistentVolume", nil, func(o runtime.Object) {
		pv(o).Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimDelete
	}, "", ""},
	{"pvc spec immutable", "PersistentVolumeClaim", nil, func(o runtime.Object) {
		pvc(o).Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	}, "spec", field.ErrorTypeForbidden},
	{"pvc bind volumeName", "PersistentVolumeClaim", nil, func(o runtime.Object) { pvc(o).Spec.VolumeName = "pv-1" }, "", ""},
	{"pvc expand bound", "PersistentVolumeClaim", func(o runtime.Object) { pvc(o).Status.Phase = corev1.ClaimBound },
		func(o runtime.Object) { pvc(o).Spec.Resources.Requests[corev1.ResourceStorage] = qty("2Gi") }, "", ""},
	{"pvc expand unbound", "PersistentVolumeClaim", nil,
		func(o runtime.Object) { pvc(o).Spec.Resources.Requests[corev1.ResourceStorage] = qty("2Gi") }, "spec", field.ErrorTypeForbidden},
	{"pvc shrink", "PersistentVolumeClaim", func(o runtime.Object) {
		pvc(o).Status.Phase = corev1.ClaimBound
		pvc(o).Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: qty("1Gi")}
	}, func(o runtime.Object) { pvc(o).Spec.Resources.Requests[corev1.ResourceStorage] = qty("512Mi") },
		"spec.resources.requests.storage", field.ErrorTypeForbidden},
}

func runUpdateCases(t *testing.T, cases []updateCase, validate func(obj, old runtime.Object) field.ErrorList) {
	for _, tc := range cases {
		t.Run(tc.kind+"/"+tc.name, func(t *testing.T) {
			old := fixtures(t)[tc.kind]
			om(old).SetUID("u-1")
			om(old).SetResourceVersion("1")
			om(old).SetCreationTimestamp(metav1.Unix(1, 0))
			if tc.editOld != nil {
				tc.editOld(old)
			}
			obj := old.DeepCopyObject()
			tc.edit(obj)
			errs := validate(obj, old)
			if tc.field == "" {
				if len(errs) > 0 {
					t.Fatalf("want no errors, got %v", errs)
				}
				return
			}
			if !hasError(errs, tc.field, tc.typ) {
				t.Fatalf("want %s at %q, got %v", tc.typ, tc.field, errs)
			}
		})
	}
}

func TestValidateUpdateRules(t *testing.T) { runUpdateCases(t, updateCases, ValidateUpdate) }

func TestPodUpdateMessage(t *testing.T) {
	old := fixtures(t)["Pod"].(*corev1.Pod)
	obj := old.DeepCopy()
	obj.Spec.Containers[0].Ports[0].ContainerPort = 81
	for _, e := range ValidateUpdate(obj, old) {
		if e.Field == "spec" && strings.HasPrefix(e.Detail, "pod updates may not change fields other than `spec.containers[*].image`") {
			return
		}
	}
	t.Fatal("upstream pod update message not found")
}

var statusCases = []updateCase{
	{"pod ip", "Pod", nil, func(o runtime.Object) { pod(o).Status.PodIP = "10.0.0.300" }, "status.podIP", field.ErrorTypeInvalid},
	{"pod terminal phase", "Pod", func(o runtime.Object) { pod(o).Status.Phase = corev1.PodSucceeded },
		func(o runtime.Object) { pod(o).Status.Phase = corev1.PodRunning }, "status.phase", field.ErrorTypeForbidden},
	{"pod running", "Pod", nil, func(o runtime.Object) {
		pod(o).Status.Phase, pod(o).Status.PodIP = corev1.PodRunning, "10.244.0.5"
		pod(o).Status.PodIPs = []corev1.PodIP{{IP: "10.244.0.5"}}
	}, "", ""},
	{"deployment ready over replicas", "Deployment", nil, func(o runtime.Object) {
		deploy(o).Status.Replicas, deploy(o).Status.ReadyReplicas = 1, 2
	}, "status.readyReplicas", field.ErrorTypeInvalid},
	{"statefulset negative", "StatefulSet", nil, func(o runtime.Object) { sts(o).Status.CurrentReplicas = -1 }, "status.currentReplicas", field.ErrorTypeInvalid},
	{"job negative", "Job", nil, func(o runtime.Object) { job(o).Status.Active = -1 }, "status.active", field.ErrorTypeInvalid},
	{"service lb ip", "Service", nil, func(o runtime.Object) {
		svc(o).Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "bogus"}}
	}, "status.loadBalancer.ingress[0].ip", field.ErrorTypeInvalid},
	{"status write keeps metadata rules", "Deployment", nil, func(o runtime.Object) { om(o).SetName("x") }, "metadata.name", field.ErrorTypeInvalid},
	{"cronjob status", "CronJob", nil, func(o runtime.Object) { cron(o).Status.LastScheduleTime = ptr(metav1.Unix(5, 0)) }, "", ""},
}

func TestValidateStatusUpdate(t *testing.T) { runUpdateCases(t, statusCases, ValidateStatusUpdate) }

func TestUpdateTypeMismatch(t *testing.T) {
	errs := ValidateUpdate(&corev1.Pod{}, &corev1.Service{})
	if len(errs) != 1 || errs[0].Type != field.ErrorTypeInternal {
		t.Fatalf("got %v", errs)
	}
}

func TestUnknownKindGetsMetaOnly(t *testing.T) {
	obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "Bad_Name", Namespace: "default"}}
	if errs := ValidateCreate(obj); !hasError(errs, "metadata.name", field.ErrorTypeInvalid) {
		t.Fatalf("got %v", errs)
	}
	obj.Name = "fine"
	if errs := ValidateCreate(obj); len(errs) != 0 {
		t.Fatalf("got %v", errs)
	}
	if errs := ValidateCreate(&rbacv1.RoleList{}); len(errs) != 0 {
		t.Fatalf("list: %v", errs)
	}
}
