package quota_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/quota"
)

func list(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

func container(name string, req, lim corev1.ResourceList) corev1.Container {
	return corev1.Container{Name: name, Resources: corev1.ResourceRequirements{Requests: req, Limits: lim}}
}

func TestPodUsage(t *testing.T) {
	now := time.Now()
	past := metav1.NewTime(now.Add(-time.Minute))
	grace := int64(10)
	cases := []struct {
		name string
		pod  corev1.Pod
		want corev1.ResourceList
	}{
		{"best effort", corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{container("c", nil, nil)}}},
			list("pods", "1", "count/pods", "1")},
		{"requests and limits, init containers by max", corev1.Pod{Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{container("i", list("cpu", "2"), nil)},
			Containers: []corev1.Container{
				container("a", list("cpu", "500m", "memory", "1Gi", "example.com/dongle", "2", "hugepages-2Mi", "4Mi"), list("memory", "2Gi", "example.com/dongle", "2")),
				container("b", list("cpu", "500m"), nil),
			}}},
			list("pods", "1", "count/pods", "1", "cpu", "2", "requests.cpu", "2", "memory", "1Gi", "requests.memory", "1Gi",
				"limits.memory", "2Gi", "requests.example.com/dongle", "2", "hugepages-2Mi", "4Mi", "requests.hugepages-2Mi", "4Mi")},
		{"terminal pods only count as stored", corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{container("c", list("cpu", "1"), nil)}},
			Status: corev1.PodStatus{Phase: corev1.PodSucceeded}}, list("count/pods", "1")},
		{"deleted past grace", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &past, DeletionGracePeriodSeconds: &grace},
			Spec: corev1.PodSpec{Containers: []corev1.Container{container("c", list("cpu", "1"), nil)}}}, list("count/pods", "1")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := quota.Pods{}.Usage(&tc.pod, now)
			if err != nil {
				t.Fatal(err)
			}
			if !quota.Equals(got, tc.want) {
				t.Fatalf("usage %s, want %s", quota.String(got), quota.String(tc.want))
			}
		})
	}
}

func TestPodConstraints(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{container("init", list("cpu", "1"), nil)},
		Containers:     []corev1.Container{container("a", nil, list("memory", "1Gi")), container("b", nil, nil)},
	}}
	err := quota.Pods{}.Constraints([]corev1.ResourceName{"requests.cpu", "limits.memory", "pods", "requests.storage"}, pod)
	want := "must specify limits.memory for: b,init; requests.cpu for: a,b"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if err := (quota.Pods{}).Constraints([]corev1.ResourceName{"pods", "requests.storage"}, pod); err != nil {
		t.Fatalf("no compute quota: %v", err)
	}
}

func TestScopes(t *testing.T) {
	deadline := int64(30)
	bestEffort := &corev1.Pod{Spec: corev1.PodSpec{PriorityClassName: "high", Containers: []corev1.Container{container("c", nil, nil)}}}
	burstable := &corev1.Pod{Spec: corev1.PodSpec{ActiveDeadlineSeconds: &deadline, Containers: []corev1.Container{container("c", list("memory", "1Mi"), nil)}}}
	req := func(scope corev1.ResourceQuotaScope, op corev1.ScopeSelectorOperator, values ...string) corev1.ScopedResourceSelectorRequirement {
		return corev1.ScopedResourceSelectorRequirement{ScopeName: scope, Operator: op, Values: values}
	}
	cases := []struct {
		req  corev1.ScopedResourceSelectorRequirement
		pod  *corev1.Pod
		want bool
	}{
		{req(corev1.ResourceQuotaScopeBestEffort, corev1.ScopeSelectorOpExists), bestEffort, true},
		{req(corev1.ResourceQuotaScopeBestEffort, corev1.ScopeSelectorOpExists), burstable, false},
		{req(corev1.ResourceQuotaScopeNotBestEffort, corev1.ScopeSelectorOpExists), burstable, true},
		{req(corev1.ResourceQuotaScopeTerminating, corev1.ScopeSelectorOpExists), burstable, true},
		{req(corev1.ResourceQuotaScopeNotTerminating, corev1.ScopeSelectorOpExists), burstable, false},
		{req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpIn, "high", "low"), bestEffort, true},
		{req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpNotIn, "high"), bestEffort, false},
		{req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpNotIn, "high"), burstable, true},
		{req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpExists), burstable, false},
		{req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpDoesNotExist), burstable, true},
	}
	for _, tc := range cases {
		got, err := quota.Pods{}.MatchesScope(tc.req, tc.pod)
		if err != nil || got != tc.want {
			t.Errorf("%s %s %v on %s: got %v (%v), want %v", tc.req.ScopeName, tc.req.Operator, tc.req.Values, quota.String(tc.pod.Spec.Containers[0].Resources.Requests), got, err, tc.want)
		}
	}
}

func TestServiceUsage(t *testing.T) {
	off := false
	cases := []struct {
		svc  corev1.ServiceSpec
		want corev1.ResourceList
	}{
		{corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: []corev1.ServicePort{{Port: 80}}},
			list("services", "1", "count/services", "1", "services.nodeports", "0", "services.loadbalancers", "0")},
		{corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}, {Port: 81}}},
			list("services", "1", "count/services", "1", "services.nodeports", "2", "services.loadbalancers", "0")},
		{corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, AllocateLoadBalancerNodePorts: &off, Ports: []corev1.ServicePort{{Port: 80, NodePort: 30001}, {Port: 81}}},
			list("services", "1", "count/services", "1", "services.nodeports", "1", "services.loadbalancers", "1")},
	}
	for _, tc := range cases {
		got, err := quota.Services{}.Usage(&corev1.Service{Spec: tc.svc}, time.Now())
		if err != nil || !quota.Equals(got, tc.want) {
			t.Errorf("%s: usage %s (%v), want %s", tc.svc.Type, quota.String(got), err, quota.String(tc.want))
		}
	}
}

func TestClaimUsage(t *testing.T) {
	gold := "gold"
	pvc := &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &gold,
		Resources: corev1.VolumeResourceRequirements{Requests: list("storage", "1.5")}}}
	got, err := quota.PersistentVolumeClaims{}.Usage(pvc, time.Now())
	want := list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "2",
		"gold.storageclass.storage.k8s.io/persistentvolumeclaims", "1", "gold.storageclass.storage.k8s.io/requests.storage", "2")
	if err != nil || !quota.Equals(got, want) {
		t.Fatalf("usage %s (%v), want %s", quota.String(got), err, quota.String(want))
	}
}

func TestMeasuring(t *testing.T) {
	cases := map[corev1.ResourceName]schema.GroupResource{
		"pods": {Resource: "pods"}, "requests.cpu": {Resource: "pods"}, "requests.example.com/gpu": {Resource: "pods"},
		"count/pods": {Resource: "pods"}, "services.nodeports": {Resource: "services"},
		"requests.storage": {Resource: "persistentvolumeclaims"}, "gold.storageclass.storage.k8s.io/requests.storage": {Resource: "persistentvolumeclaims"},
		"secrets": {Resource: "secrets"}, "count/deployments.apps": {Group: "apps", Resource: "deployments"},
		"count/widgets.example.com": {Group: "example.com", Resource: "widgets"},
	}
	for name, want := range cases {
		if got, ok := quota.Measuring(name); !ok || got != want {
			t.Errorf("Measuring(%s) = %v, %v; want %v", name, got, ok, want)
		}
	}
	if _, ok := quota.Measuring("example.com/gpu"); ok {
		t.Errorf("Measuring(example.com/gpu): want nothing")
	}
}
