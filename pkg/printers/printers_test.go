package printers

import (
	"reflect"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// Column lists as upstream v1.37 declares them; a trailing * marks a
// priority-1 (-o wide) column.
var wantColumns = map[string]string{
	"Pod":                   "Name,Ready,Status,Restarts,Age,IP*,Node*,Nominated Node*,Readiness Gates*",
	"PodTemplate":           "Name,Containers,Images,Pod Labels",
	"ReplicationController": "Name,Desired,Current,Ready,Age,Containers*,Images*,Selector*",
	"Service":               "Name,Type,Cluster-IP,External-IP,Port(s),Age,Selector*",
	"Endpoints":             "Name,Endpoints,Age",
	"Node":                  "Name,Status,Roles,Age,Version,Internal-IP*,External-IP*,OS-Image*,Kernel-Version*,Container-Runtime*",
	"Namespace":             "Name,Status,Age",
	"Event":                 "Last Seen,Type,Reason,Object,Subobject*,Source*,Message,First Seen*,Count*,Name*",
	"LimitRange":            "Name,Created At",
	"ResourceQuota":         "Name,Request,Limit,Age",
	"Secret":                "Name,Type,Data,Age",
	"ServiceAccount":        "Name,Age",
	"PersistentVolume":      "Name,Capacity,Access Modes,Reclaim Policy,Status,Claim,StorageClass,VolumeAttributesClass,Reason,Age,VolumeMode*",
	"PersistentVolumeClaim": "Name,Status,Volume,Capacity,Access Modes,StorageClass,VolumeAttributesClass,Age,VolumeMode*",
	"ConfigMap":             "Name,Data,Age",
	"Deployment":            "Name,Ready,Up-to-date,Available,Age,Containers*,Images*,Selector*",
	"ReplicaSet":            "Name,Desired,Current,Ready,Age,Containers*,Images*,Selector*",
	"StatefulSet":           "Name,Ready,Age,Containers*,Images*",
	"DaemonSet":             "Name,Desired,Current,Ready,Up-to-date,Available,Node Selector,Age,Containers*,Images*,Selector*",
	"ControllerRevision":    "Name,Controller,Revision,Age",
	"Job":                   "Name,Status,Completions,Duration,Age,Containers*,Images*,Selector*",
	"CronJob":               "Name,Schedule,Timezone,Suspend,Active,Last Schedule,Age,Containers*,Images*,Selector*",
	"Lease":                 "Name,Holder,Age",
	"EndpointSlice":         "Name,AddressType,Ports,Endpoints,Age",
	"PodDisruptionBudget":   "Name,Min Available,Max Unavailable,Allowed Disruptions,Age",
	"Role":                  "Name,Created At",
	"ClusterRole":           "Name,Created At",
	"RoleBinding":           "Name,Role,Age,Users*,Groups*,ServiceAccounts*",
	"ClusterRoleBinding":    "Name,Role,Age,Users*,Groups*,ServiceAccounts*",
	"PriorityClass":         "Name,Value,Global-Default,Age,PreemptionPolicy",
	"StorageClass":          "Name,Provisioner,ReclaimPolicy,VolumeBindingMode,AllowVolumeExpansion,Age",

	"MutatingWebhookConfiguration":     "Name,Webhooks,Age",
	"ValidatingWebhookConfiguration":   "Name,Webhooks,Age",
	"ValidatingAdmissionPolicy":        "Name,Validations,ParamKind,Age",
	"ValidatingAdmissionPolicyBinding": "Name,PolicyName,ParamRef,Age",
	"MutatingAdmissionPolicy":          "Name,Mutations,ParamKind,Age",
	"MutatingAdmissionPolicyBinding":   "Name,PolicyName,ParamRef,Age",
	"FlowSchema":                       "Name,PriorityLevel,MatchingPrecedence,DistinguisherMethod,Age,MissingPL",
	"PriorityLevelConfiguration":       "Name,Type,NominalConcurrencyShares,Queues,HandSize,QueueLengthLimit,Age",
	"StorageVersionMigration":          "Name,Resource,Status",
	"APIService":                       "Name,Service,Available,Age",
}

func om(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", CreationTimestamp: ago(90 * time.Minute)}
}

func ptr[T any](v T) *T { return &v }

var (
	running    = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	deleteTime = metav1.NewTime(testNow)
)

func waiting(reason string) corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}
}

func terminated(code int32, reason string) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: code, Reason: reason, FinishedAt: ago(3 * time.Minute)}}
}

func pod(name string, mutate func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: om(name),
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}, NodeName: "n1"},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}}},
	}
	mutate(p)
	return p
}

func TestRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  runtime.Object
		want []interface{}
	}{
		{"pod running 1/1", pod("web", func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", Ready: true, State: running}}
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
			p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "lb"}, {ConditionType: corev1.PodReady}}
		}), []interface{}{"web", "1/1", "Running", "0", "90m", "10.0.0.1", "n1", "<none>", "1/2"}},
		{"pod pending unscheduled", pod("p", func(p *corev1.Pod) {
			p.Status.Phase, p.Spec.NodeName, p.Status.PodIPs = corev1.PodPending, "", nil
			p.Status.NominatedNodeName = "n2"
		}), []interface{}{"p", "0/1", "Pending", "0", "90m", "<none>", "<none>", "n2", "<none>"}},
		{"pod container creating", pod("p", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", State: waiting("ContainerCreating")}}
		}), []interface{}{"p", "0/1", "ContainerCreating", "0", "90m", "10.0.0.1", "n1", "<none>", "<none>"}},
		{"pod crash loop with restarts", pod("p", func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", State: waiting("CrashLoopBackOff"),
				RestartCount: 4, LastTerminationState: terminated(1, "Error")}}
		}), []interface{}{"p", "0/1", "CrashLoopBackOff", "4 (3m ago)", "90m", "10.0.0.1", "n1", "<none>", "<none>"}},
		{"pod completed", pod("p", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodSucceeded
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", State: terminated(0, "Completed")}}
		}), []interface{}{"p", "0/1", "Completed", "0", "90m", "10.0.0.1", "n1", "<none>", "<none>"}},
		{"pod error exit code", pod("p", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodFailed
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", State: terminated(2, "")}}
		}), []interface{}{"p", "0/1", "ExitCode:2", "0", "90m", "10.0.0.1", "n1", "<none>", "<none>"}},
		{"pod terminating", pod("p", func(p *corev1.Pod) {
			p.DeletionTimestamp = &deleteTime
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", Ready: true, State: running}}
		}), []interface{}{"p", "1/1", "Terminating", "0", "90m", "10.0.0.1", "n1", "<none>", "<none>"}},
		{"pod on lost node", pod("p", func(p *corev1.Pod) {
			p.DeletionTimestamp, p.Status.Reason = &deleteTime, "NodeLost"
		}), []interface{}{"p", "0/1", "Unknown", "0", "90m", "10.0.0.1", "n1", "<none>", "<none>"}},
		{"pod init 0/1", pod("p", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
			p.Spec.InitContainers = []corev1.Container{{Name: "i"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "i", State: running}}
		}), []interface{}{"p", "0/1", "Init:0/1", "0", "90m", "10.0.0.1", "n1", "<none>", "<none>"}},
		{"pod init crash loop", pod("p", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
			p.Spec.InitContainers = []corev1.Container{{Name: "i"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "i", State: waiting("CrashLoopBackOff"),
				RestartCount: 2, LastTerminationState: terminated(1, "Error")}}
		}), []interface{}{"p", "0/1", "Init:CrashLoopBackOff", "2 (3m ago)", "90m", "10.0.0.1", "n1", "<none>", "<none>"}},
		{"pod with ready sidecar", pod("p", func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "s", RestartPolicy: ptr(corev1.ContainerRestartPolicyAlways)}}
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodInitialized, Status: corev1.ConditionTrue}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "s", Started: ptr(true), Ready: true, State: running}}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", Ready: true, State: running}}
		}), []interface{}{"p", "2/2", "Running", "0", "90m", "10.0.0.1", "n1", "<none>", "<none>"}},
		{"pod one container done, one running", pod("p", func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "d"})
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", State: terminated(0, "Completed")},
				{Name: "d", Ready: true, State: running}}
		}), []interface{}{"p", "1/2", "NotReady", "0", "90m", "10.0.0.1", "n1", "<none>", "<none>"}},
		{"pod scheduling gated", pod("p", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Reason: corev1.PodReasonSchedulingGated}}
		}), []interface{}{"p", "0/1", "SchedulingGated", "0", "90m", "10.0.0.1", "n1", "<none>", "<none>"}},

		{"podtemplate", &corev1.PodTemplate{ObjectMeta: om("pt"), Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "x"}, {Name: "b", Image: "y"}}}}},
			[]interface{}{"pt", "a,b", "x,y", "a=b"}},
		{"replicationcontroller", &corev1.ReplicationController{ObjectMeta: om("rc"),
			Spec: corev1.ReplicationControllerSpec{Replicas: ptr(int32(3)), Selector: map[string]string{"app": "x"},
				Template: &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "x"}}}}},
			Status: corev1.ReplicationControllerStatus{Replicas: 2, ReadyReplicas: 1}},
			[]interface{}{"rc", int64(3), int64(2), int64(1), "90m", "a", "x", "app=x"}},
		{"service cluster ip", &corev1.Service{ObjectMeta: om("kubernetes"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP,
			ClusterIPs: []string{"10.96.0.1"}, Ports: []corev1.ServicePort{{Port: 443, Protocol: corev1.ProtocolTCP}}}},
			[]interface{}{"kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "90m", "<none>"}},
		{"service node port", &corev1.Service{ObjectMeta: om("web"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
			ClusterIPs: []string{"10.96.0.2"}, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP}, {Port: 53, Protocol: corev1.ProtocolUDP}}}},
			[]interface{}{"web", "NodePort", "10.96.0.2", "<none>", "80:30080/TCP,53/UDP", "90m", "app=web"}},
		{"service load balancer pending", &corev1.Service{ObjectMeta: om("lb"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer,
			ClusterIPs: []string{"10.96.0.3"}}},
			[]interface{}{"lb", "LoadBalancer", "10.96.0.3", "<pending>", "<none>", "90m", "<none>"}},
		{"service load balancer ingress", &corev1.Service{ObjectMeta: om("lb"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer,
			ExternalIPs: []string{"1.1.1.1"}}, Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{
			Ingress: []corev1.LoadBalancerIngress{{IP: "9.9.9.9"}, {Hostname: "lb.example.com"}}}}},
			[]interface{}{"lb", "LoadBalancer", "<none>", "9.9.9.9,lb.example.com,1.1.1.1", "<none>", "90m", "<none>"}},
		{"service external name", &corev1.Service{ObjectMeta: om("ext"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName,
			ExternalName: "example.com"}},
			[]interface{}{"ext", "ExternalName", "<none>", "example.com", "<none>", "90m", "<none>"}},
		{"endpoints", &corev1.Endpoints{ObjectMeta: om("ep"), Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "1.1.1.1"}, {IP: "1.1.1.2"}, {IP: "1.1.1.3"}},
			Ports:     []corev1.EndpointPort{{Port: 80}, {Port: 443}}}}},
			[]interface{}{"ep", "1.1.1.1:80,1.1.1.2:80,1.1.1.3:80 + 3 more...", "90m"}},
		{"endpoints empty", &corev1.Endpoints{ObjectMeta: om("ep")},
			[]interface{}{"ep", "<none>", "90m"}},
		{"node ready, cordoned, with roles", &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "n1", CreationTimestamp: ago(50 * time.Hour), Labels: map[string]string{
				"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "master", "node-role.kubernetes.io/worker": "true"}},
			Spec: corev1.NodeSpec{Unschedulable: true},
			Status: corev1.NodeStatus{
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse}, {Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
				Addresses:  []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "n1"}, {Type: corev1.NodeInternalIP, Address: "192.168.1.1"}},
				NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", Architecture: "amd64", KernelVersion: "6.1.0",
					OSImage: "Debian GNU/Linux 12", ContainerRuntimeVersion: "containerd://2.1.0"}}},
			[]interface{}{"n1", "Ready,SchedulingDisabled", "control-plane,master,worker", "2d2h", "v1.37.2",
				"192.168.1.1", "<none>", "Debian GNU/Linux 12", "6.1.0 (amd64)", "containerd://2.1.0"}},
		{"node not ready", &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}, Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionUnknown}}}},
			[]interface{}{"n2", "NotReady", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"}},
		{"node without conditions", &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n3"}},
			[]interface{}{"n3", "Unknown", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"}},
		{"namespace", &corev1.Namespace{ObjectMeta: om("kube-system"), Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}},
			[]interface{}{"kube-system", "Terminating", "90m"}},
		{"event", &corev1.Event{ObjectMeta: om("p.123"), InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p",
			FieldPath: "spec.containers{c}"}, Reason: "Pulled", Message: " pulled \n", Type: corev1.EventTypeNormal,
			Source: corev1.EventSource{Component: "kubelet", Host: "n1"}, FirstTimestamp: ago(time.Hour), LastTimestamp: ago(time.Minute), Count: 3},
			[]interface{}{"60s", "Normal", "Pulled", "pod/p", "spec.containers{c}", "kubelet, n1", "pulled", "60m", int64(3), "p.123"}},
		{"event new style, no name", &corev1.Event{ObjectMeta: om("n.1"), InvolvedObject: corev1.ObjectReference{Kind: "Node"},
			Reason: "Starting", EventTime: metav1.NewMicroTime(testNow.Add(-5 * time.Minute)), ReportingController: "ctl", ReportingInstance: "i"},
			[]interface{}{"5m", "", "Starting", "node", "", "ctl, i", "", "5m", int64(1), "n.1"}},
		{"events.k8s.io event with series", &eventsv1.Event{ObjectMeta: om("d.1"), Regarding: corev1.ObjectReference{Kind: "Deployment", Name: "d"},
			Note: "Scaled up", Reason: "ScalingReplicaSet", Type: corev1.EventTypeNormal, EventTime: metav1.NewMicroTime(testNow.Add(-4 * time.Minute)),
			ReportingController: "deployment-controller", Series: &eventsv1.EventSeries{Count: 2, LastObservedTime: metav1.NewMicroTime(testNow.Add(-time.Minute))}},
			[]interface{}{"60s", "Normal", "ScalingReplicaSet", "deployment/d", "", "deployment-controller", "Scaled up", "4m", int64(2), "d.1"}},
		{"limitrange (default table)", &corev1.LimitRange{ObjectMeta: om("lr")},
			[]interface{}{"lr", "2026-01-02T01:34:05Z"}},
		{"resourcequota", &corev1.ResourceQuota{ObjectMeta: om("q"), Status: corev1.ResourceQuotaStatus{
			Hard: corev1.ResourceList{"pods": resource.MustParse("10"), "limits.cpu": resource.MustParse("2"), "requests.memory": resource.MustParse("1Gi")},
			Used: corev1.ResourceList{"pods": resource.MustParse("3"), "limits.cpu": resource.MustParse("500m")}}},
			[]interface{}{"q", "pods: 3/10, requests.memory: 0/1Gi", "limits.cpu: 500m/2", "90m"}},
		{"secret", &corev1.Secret{ObjectMeta: om("s"), Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"a": nil, "b": nil}},
			[]interface{}{"s", "Opaque", int64(2), "90m"}},
		{"serviceaccount", &corev1.ServiceAccount{ObjectMeta: om("default")}, []interface{}{"default", "90m"}},
		{"persistentvolume", &corev1.PersistentVolume{ObjectMeta: om("pv"), Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("5Gi")},
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany, corev1.ReadWriteOnce, corev1.ReadWriteOnce},
			ClaimRef:    &corev1.ObjectReference{Namespace: "default", Name: "data"}, StorageClassName: "fast",
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain, VolumeMode: ptr(corev1.PersistentVolumeFilesystem)},
			Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}},
			[]interface{}{"pv", "5Gi", "RWO,RWX", "Retain", "Bound", "default/data", "fast", "<unset>", "", "90m", "Filesystem"}},
		{"persistentvolumeclaim bound", &corev1.PersistentVolumeClaim{ObjectMeta: om("data"), Spec: corev1.PersistentVolumeClaimSpec{
			VolumeName: "pv", StorageClassName: ptr("fast")}, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound,
			Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("5Gi")}, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}}},
			[]interface{}{"data", "Bound", "pv", "5Gi", "RWO", "fast", "<unset>", "90m", "<unset>"}},
		{"configmap", &corev1.ConfigMap{ObjectMeta: om("cm"), Data: map[string]string{"a": ""}, BinaryData: map[string][]byte{"b": nil}},
			[]interface{}{"cm", int64(2), "90m"}},

		{"deployment 2/3", &appsv1.Deployment{ObjectMeta: om("web"), Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(3)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "x"}, {Name: "b", Image: "y"}}}}},
			Status: appsv1.DeploymentStatus{ReadyReplicas: 2, UpdatedReplicas: 3, AvailableReplicas: 2}},
			[]interface{}{"web", "2/3", int64(3), int64(2), "90m", "a,b", "x,y", "app=web"}},
		{"replicaset", &appsv1.ReplicaSet{ObjectMeta: om("rs"), Spec: appsv1.ReplicaSetSpec{Replicas: ptr(int32(2)),
			Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: metav1.LabelSelectorOpIn, Values: []string{"x", "y"}}}}},
			Status: appsv1.ReplicaSetStatus{Replicas: 2, ReadyReplicas: 1}},
			[]interface{}{"rs", int64(2), int64(2), int64(1), "90m", "", "", "a in (x,y)"}},
		{"statefulset", &appsv1.StatefulSet{ObjectMeta: om("db"), Spec: appsv1.StatefulSetSpec{Replicas: ptr(int32(3))},
			Status: appsv1.StatefulSetStatus{ReadyReplicas: 3}},
			[]interface{}{"db", "3/3", "90m", "", ""}},
		{"daemonset", &appsv1.DaemonSet{ObjectMeta: om("ds"), Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{NodeSelector: map[string]string{"kubernetes.io/os": "linux"}}}},
			Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 2, UpdatedNumberScheduled: 1, NumberAvailable: 2}},
			[]interface{}{"ds", int64(3), int64(3), int64(2), int64(1), int64(2), "kubernetes.io/os=linux", "90m", "", "", "<none>"}},
		{"controllerrevision", &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "ds-1", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "ds", Controller: ptr(true)}}}, Revision: 4},
			[]interface{}{"ds-1", "daemonset.apps/ds", int64(4), "<unknown>"}},

		{"job complete", &batchv1.Job{ObjectMeta: om("j"), Spec: batchv1.JobSpec{Completions: ptr(int32(1))}, Status: batchv1.JobStatus{
			Succeeded: 1, StartTime: ptr(ago(10 * time.Minute)), CompletionTime: ptr(ago(8 * time.Minute)),
			Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}},
			[]interface{}{"j", "Complete", "1/1", "2m", "90m", "", "", "<none>"}},
		{"job running in parallel", &batchv1.Job{ObjectMeta: om("j"), Spec: batchv1.JobSpec{Parallelism: ptr(int32(3))},
			Status: batchv1.JobStatus{StartTime: ptr(ago(10 * time.Minute))}},
			[]interface{}{"j", "Running", "0/1 of 3", "10m", "90m", "", "", "<none>"}},
		{"job failed", &batchv1.Job{ObjectMeta: om("j"), Spec: batchv1.JobSpec{Completions: ptr(int32(2))}, Status: batchv1.JobStatus{
			Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue}}}},
			[]interface{}{"j", "Failed", "0/2", "", "90m", "", "", "<none>"}},
		{"job suspended", &batchv1.Job{ObjectMeta: om("j"), Status: batchv1.JobStatus{
			Conditions: []batchv1.JobCondition{{Type: batchv1.JobSuspended, Status: corev1.ConditionTrue}}}},
			[]interface{}{"j", "Suspended", "0/1", "", "90m", "", "", "<none>"}},
		{"cronjob", &batchv1.CronJob{ObjectMeta: om("cj"), Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", TimeZone: ptr("Etc/UTC"),
			Suspend: ptr(false)}, Status: batchv1.CronJobStatus{LastScheduleTime: ptr(ago(2 * time.Minute)), Active: []corev1.ObjectReference{{}}}},
			[]interface{}{"cj", "*/5 * * * *", "Etc/UTC", "False", int64(1), "2m", "90m", "", "", "<none>"}},
		{"cronjob never scheduled", &batchv1.CronJob{ObjectMeta: om("cj"), Spec: batchv1.CronJobSpec{Schedule: "@daily"}},
			[]interface{}{"cj", "@daily", "<none>", "<unset>", int64(0), "<none>", "90m", "", "", "<none>"}},

		{"lease", &coordinationv1.Lease{ObjectMeta: om("n1"), Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr("n1")}},
			[]interface{}{"n1", "n1", "90m"}},
		{"endpointslice", &discoveryv1.EndpointSlice{ObjectMeta: om("web-abc"), AddressType: discoveryv1.AddressTypeIPv4,
			Ports:     []discoveryv1.EndpointPort{{Port: ptr(int32(80))}, {Name: ptr("x")}, {}, {Port: ptr(int32(1))}},
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"1.1.1.1", "1.1.1.2"}}, {Addresses: []string{"1.1.1.3"}}}},
			[]interface{}{"web-abc", "IPv4", "80,x,* + 1 more...", "1.1.1.1,1.1.1.2,1.1.1.3", "90m"}},
		{"endpointslice empty", &discoveryv1.EndpointSlice{ObjectMeta: om("e"), AddressType: discoveryv1.AddressTypeIPv6},
			[]interface{}{"e", "IPv6", "<unset>", "<unset>", "90m"}},
		{"poddisruptionbudget", &policyv1.PodDisruptionBudget{ObjectMeta: om("pdb"), Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: ptr(intstr.FromString("50%"))}, Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 1}},
			[]interface{}{"pdb", "50%", "N/A", int64(1), "90m"}},
		{"rolebinding", &rbacv1.RoleBinding{ObjectMeta: om("rb"), RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "u1"}, {Kind: "User", Name: "u2"}, {Kind: "Group", Name: "g"},
				{Kind: "ServiceAccount", Namespace: "ns", Name: "sa"}}},
			[]interface{}{"rb", "Role/r", "90m", "u1, u2", "g", "ns/sa"}},
		{"clusterrolebinding", &rbacv1.ClusterRoleBinding{ObjectMeta: om("crb"), RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "system:masters"}}},
			[]interface{}{"crb", "ClusterRole/cluster-admin", "90m", "", "system:masters", ""}},
		{"clusterrole (default table)", &rbacv1.ClusterRole{ObjectMeta: om("admin")},
			[]interface{}{"admin", "2026-01-02T01:34:05Z"}},
		{"priorityclass", &schedulingv1.PriorityClass{ObjectMeta: om("high"), Value: 1000, GlobalDefault: true,
			PreemptionPolicy: ptr(corev1.PreemptNever)},
			[]interface{}{"high", int64(1000), true, "90m", "Never"}},
		{"storageclass", &storagev1.StorageClass{ObjectMeta: om("standard"), Provisioner: "rancher.io/local-path",
			VolumeBindingMode: ptr(storagev1.VolumeBindingWaitForFirstConsumer), AllowVolumeExpansion: ptr(true)},
			[]interface{}{"standard", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", true, "90m"}},

		{"mutatingwebhookconfiguration", &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: om("mw"),
			Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "a.example.com"}, {Name: "b.example.com"}}},
			[]interface{}{"mw", int64(2), "90m"}},
		{"validatingwebhookconfiguration", &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: om("vw")},
			[]interface{}{"vw", int64(0), "90m"}},
		{"validatingadmissionpolicy", &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: om("vap"),
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				ParamKind:   &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
				Validations: []admissionregistrationv1.Validation{{Expression: "true"}, {Expression: "false"}}}},
			[]interface{}{"vap", int64(2), "v1/ConfigMap", "90m"}},
		{"validatingadmissionpolicy without params", &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: om("vap"),
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{{Expression: "true"}}}},
			[]interface{}{"vap", int64(1), "<unset>", "90m"}},
		{"validatingadmissionpolicybinding namespaced param", &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: om("b"),
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "vap",
				ParamRef: &admissionregistrationv1.ParamRef{Name: "limits", Namespace: "team-a"}}},
			[]interface{}{"b", "vap", "team-a/limits", "90m"}},
		{"validatingadmissionpolicybinding param without namespace", &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: om("b"),
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "vap",
				ParamRef: &admissionregistrationv1.ParamRef{Name: "limits"}}},
			[]interface{}{"b", "vap", "*/limits", "90m"}},
		{"validatingadmissionpolicybinding without param", &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: om("b"),
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "vap"}},
			[]interface{}{"b", "vap", "<unset>", "90m"}},
		{"mutatingadmissionpolicy", &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: om("map"),
			Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
				ParamKind: &admissionregistrationv1.ParamKind{APIVersion: "example.com/v1", Kind: "Config"},
				Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration}}}},
			[]interface{}{"map", int64(1), "example.com/v1/Config", "90m"}},
		{"mutatingadmissionpolicybinding param selector", &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: om("mb"),
			Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "map",
				ParamRef: &admissionregistrationv1.ParamRef{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}}}},
			[]interface{}{"mb", "map", "&LabelSelector{MatchLabels:map[string]string{env: prod,},MatchExpressions:[]LabelSelectorRequirement{},}", "90m"}},

		{"flowschema", &flowcontrolv1.FlowSchema{ObjectMeta: om("workload-leader-election"), Spec: flowcontrolv1.FlowSchemaSpec{
			PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "leader-election"},
			MatchingPrecedence:         200, DistinguisherMethod: &flowcontrolv1.FlowDistinguisherMethod{Type: flowcontrolv1.FlowDistinguisherMethodByUserType}},
			Status: flowcontrolv1.FlowSchemaStatus{Conditions: []flowcontrolv1.FlowSchemaCondition{
				{Type: "Other", Status: flowcontrolv1.ConditionTrue}, {Type: flowcontrolv1.FlowSchemaConditionDangling, Status: flowcontrolv1.ConditionFalse}}}},
			[]interface{}{"workload-leader-election", "leader-election", int64(200), "ByUser", "90m", "False"}},
		{"flowschema without distinguisher or status", &flowcontrolv1.FlowSchema{ObjectMeta: om("exempt"), Spec: flowcontrolv1.FlowSchemaSpec{
			PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "exempt"}, MatchingPrecedence: 1}},
			[]interface{}{"exempt", "exempt", int64(1), "<none>", "90m", "?"}},
		{"prioritylevelconfiguration queuing", &flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: om("workload-high"),
			Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Type: flowcontrolv1.PriorityLevelEnablementLimited,
				Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{NominalConcurrencyShares: ptr(int32(40)),
					LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeQueue,
						Queuing: &flowcontrolv1.QueuingConfiguration{Queues: 128, HandSize: 6, QueueLengthLimit: 50}}}}},
			[]interface{}{"workload-high", "Limited", int64(40), int64(128), int64(6), int64(50), "90m"}},
		{"prioritylevelconfiguration reject", &flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: om("catch-all"),
			Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Type: flowcontrolv1.PriorityLevelEnablementLimited,
				Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
					LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeReject}}}},
			[]interface{}{"catch-all", "Limited", int64(0), "<none>", "<none>", "<none>", "90m"}},
		{"prioritylevelconfiguration exempt", &flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: om("exempt"),
			Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Type: flowcontrolv1.PriorityLevelEnablementExempt,
				Exempt: &flowcontrolv1.ExemptPriorityLevelConfiguration{NominalConcurrencyShares: ptr(int32(0))}}},
			[]interface{}{"exempt", "Exempt", "<none>", "<none>", "<none>", "<none>", "90m"}},
		{"storageversionmigration succeeded", &storagemigrationv1.StorageVersionMigration{ObjectMeta: om("m"),
			Spec: storagemigrationv1.StorageVersionMigrationSpec{Resource: metav1.GroupResource{Group: "apps", Resource: "deployments"}},
			Status: storagemigrationv1.StorageVersionMigrationStatus{Conditions: []metav1.Condition{
				{Type: string(storagemigrationv1.MigrationRunning), Status: metav1.ConditionFalse},
				{Type: string(storagemigrationv1.MigrationSucceeded), Status: metav1.ConditionTrue},
				{Type: "Other", Status: metav1.ConditionTrue}}}},
			[]interface{}{"m", "deployments.apps", "Succeeded"}},
		{"storageversionmigration core, no conditions", &storagemigrationv1.StorageVersionMigration{ObjectMeta: om("m"),
			Spec: storagemigrationv1.StorageVersionMigrationSpec{Resource: metav1.GroupResource{Resource: "secrets"}}},
			[]interface{}{"m", "secrets", "Unknown"}},
		{"apiservice local available", &apiregistrationv1.APIService{ObjectMeta: om("v1.apps"),
			Status: apiregistrationv1.APIServiceStatus{Conditions: []apiregistrationv1.APIServiceCondition{
				{Type: apiregistrationv1.Available, Status: apiregistrationv1.ConditionTrue, Reason: "Local"}}}},
			[]interface{}{"v1.apps", "Local", "True", "90m"}},
		{"apiservice remote unavailable", &apiregistrationv1.APIService{ObjectMeta: om("v1.example.com"),
			Spec: apiregistrationv1.APIServiceSpec{Service: &apiregistrationv1.ServiceReference{Namespace: "ns", Name: "api"}},
			Status: apiregistrationv1.APIServiceStatus{Conditions: []apiregistrationv1.APIServiceCondition{
				{Type: apiregistrationv1.Available, Status: apiregistrationv1.ConditionFalse, Reason: "ServiceNotFound"}}}},
			[]interface{}{"v1.example.com", "ns/api", "False (ServiceNotFound)", "90m"}},
		{"apiservice remote, no conditions", &apiregistrationv1.APIService{ObjectMeta: om("v1.example.com"),
			Spec: apiregistrationv1.APIServiceSpec{Service: &apiregistrationv1.ServiceReference{Namespace: "ns", Name: "api"}}},
			[]interface{}{"v1.example.com", "ns/api", "Unknown", "90m"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table, err := testGenerator().ToTable(tc.obj, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			kind := reflect.TypeOf(tc.obj).Elem().Name()
			if got := columnSpec(table.ColumnDefinitions); got != wantColumns[kind] {
				t.Errorf("columns\n got  %s\n want %s", got, wantColumns[kind])
			}
			for _, c := range table.ColumnDefinitions {
				if c.Description == "" {
					t.Errorf("column %q has no description", c.Name)
				}
			}
			if len(table.Rows) != 1 {
				t.Fatalf("got %d rows", len(table.Rows))
			}
			if got := table.Rows[0].Cells; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("cells\n got  %#v\n want %#v", got, tc.want)
			}
		})
	}
}

func TestPodRowConditions(t *testing.T) {
	for phase, want := range map[corev1.PodPhase]string{
		corev1.PodSucceeded: "Succeeded", corev1.PodFailed: "Failed", corev1.PodRunning: "",
	} {
		table, err := testGenerator().ToTable(pod("p", func(p *corev1.Pod) { p.Status.Phase = phase }), nil, false)
		if err != nil {
			t.Fatal(err)
		}
		conds := table.Rows[0].Conditions
		switch {
		case want == "" && conds != nil:
			t.Errorf("%s: conditions = %v, want none", phase, conds)
		case want != "" && (len(conds) != 1 || conds[0].Type != metav1.RowCompleted ||
			conds[0].Status != metav1.ConditionTrue || conds[0].Reason != want):
			t.Errorf("%s: conditions = %+v", phase, conds)
		}
	}
}

// Column formats and descriptions that kubectl relies on.
func TestColumnDetails(t *testing.T) {
	table, err := testGenerator().ToTable(&corev1.Pod{}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	name := table.ColumnDefinitions[0]
	if name.Format != "name" || name.Type != "string" || !strings.HasPrefix(name.Description, "Name must be unique within a namespace.") {
		t.Errorf("Name column = %+v", name)
	}
	if ip := table.ColumnDefinitions[5]; ip.Description != (corev1.PodStatus{}).SwaggerDoc()["podIP"] {
		t.Errorf("IP description = %q", ip.Description)
	}
	if restarts := table.ColumnDefinitions[3]; restarts.Type != "string" {
		t.Errorf("Restarts type = %q, want string (it carries \"N (Xm ago)\")", restarts.Type)
	}
}

// Upstream's StorageVersionMigration Name column, alone among them, has no
// "name" format.
func TestStorageVersionMigrationNameColumn(t *testing.T) {
	table, err := testGenerator().ToTable(&storagemigrationv1.StorageVersionMigration{}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if name := table.ColumnDefinitions[0]; name.Name != "Name" || name.Format != "" || name.Description != objectMetaDoc["name"] {
		t.Errorf("Name column = %+v", name)
	}
}

// columnSpec renders columns as "A,B,C*" with * marking priority 1.
func columnSpec(cols []metav1.TableColumnDefinition) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name
		if c.Priority == 1 {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, ",")
}
