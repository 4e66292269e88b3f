package policy

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// The informer's slimmed pods give the ruleset the full ones give.
func TestSlimPodKeepsWhatComputeReads(t *testing.T) {
	in := world()
	sidecar := in.Pods[1].DeepCopy()
	sidecar.Name, sidecar.Status.PodIP, sidecar.Status.PodIPs = "sidecar", "10.0.1.7", []corev1.PodIP{{IP: "10.0.1.7"}}
	sidecar.Spec.Containers[0].Ports = nil
	sidecar.Spec.InitContainers = []corev1.Container{{Name: "proxy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 15001}}}}
	sidecar.Spec.Volumes = []corev1.Volume{{Name: "v"}}
	sidecar.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady}}
	in.Pods = append(in.Pods, sidecar)
	in.Policies = []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
		s.PodSelector = *sel("app", "web")
		s.Ingress = []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{port("", intstr.FromString("http"))}}}
	})}
	want, _ := Compute(in)
	slim := in
	slim.Pods = nil
	for _, p := range in.Pods {
		s, err := slimPod(p)
		if err != nil {
			t.Fatal(err)
		}
		slim.Pods = append(slim.Pods, s.(*corev1.Pod))
	}
	got, _ := Compute(slim)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("slimmed pods give another ruleset:\n got %+v\nwant %+v", got.Sets, want.Sets)
	}
	if named := want.Sets[id("default", "web")+"-in0-named"]; named == nil || !reflect.DeepEqual(named.Elements, []string{"10.0.1.2 . tcp . 8080", "10.0.1.3 . tcp . 9090", "10.0.1.7 . tcp . 15001"}) {
		t.Errorf("named ports (a sidecar's included): %+v", named)
	}
}
