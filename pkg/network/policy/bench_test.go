package policy

import (
	"context"
	"fmt"
	"os/exec"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// benchInput is nPolicies policies over nPods pods, all on this node, in
// 10 namespaces: each policy selects the pods of one app label in its
// namespace, allows ingress from a tier of its namespace, from a
// neighbouring namespace and from an ipBlock with an except, on port 80,
// a range and a named port, and egress to every namespace on UDP 53 and
// to an app on its named port.
func benchInput(nPolicies, nPods int) Input {
	in := Input{NodeName: node}
	for i := 0; i < 10; i++ {
		in.Namespaces = append(in.Namespaces, testNS(fmt.Sprintf("ns%d", i), map[string]string{"team": fmt.Sprintf("t%d", i)}))
	}
	for i := 0; i < nPods; i++ {
		in.Pods = append(in.Pods, testPod(fmt.Sprintf("ns%d", i%10), fmt.Sprintf("p%d", i), fmt.Sprintf("10.244.%d.%d", i/250, i%250+2), node,
			map[string]string{"app": fmt.Sprintf("a%d", i%20), "tier": fmt.Sprint(i % 3)}, corev1.ContainerPort{Name: "http", ContainerPort: 8080 + int32(i%4)}))
	}
	for i := 0; i < nPolicies; i++ {
		in.Policies = append(in.Policies, np(fmt.Sprintf("ns%d", i%10), fmt.Sprintf("pol%d", i), func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", fmt.Sprintf("a%d", i%20))
			s.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
			s.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("tier", "1")}, {NamespaceSelector: sel("team", fmt.Sprintf("t%d", (i+1)%10))},
					{IPBlock: &networkingv1.IPBlock{CIDR: "10.100.0.0/16", Except: []string{"10.100.1.0/24"}}}},
				Ports: []networkingv1.NetworkPolicyPort{port("", intstr.FromInt32(80)), port("", intstr.FromInt32(8000), 8100), port("", intstr.FromString("http"))},
			}}
			s.Egress = []networkingv1.NetworkPolicyEgressRule{
				{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}, Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolUDP), Port: ptr.To(intstr.FromInt32(53))}}},
				{To: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("app", fmt.Sprintf("a%d", (i+1)%20))}}, Ports: []networkingv1.NetworkPolicyPort{port("", intstr.FromString("http"))}},
			}
		}))
	}
	return in
}

// BenchmarkProgram (root, nft; in a network namespace of its own):
// "full" is a node's first sync of 100 policies over 1,000 pods into an
// empty table (compute and one nft transaction); "policy change" and
// "pod added" are a later sync after one policy's selector changes or
// one pod joins (compute and the difference). Run:
//
//	go test ./pkg/network/policy -run '^$' -bench Program -count 5
func BenchmarkProgram(b *testing.B) {
	netns := newNetns(b)
	ctx := context.Background()
	in := benchInput(100, 1000)
	full := func(b *testing.B) {
		var ops int
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			_ = exec.Command("nft", "delete", "table", "inet", Table).Run()
			a, err := NewApplier()
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			rs, _ := Compute(in)
			if ops, err = a.Apply(ctx, rs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(ops), "nft-ops")
	}
	b.Run("full/100x1000", func(b *testing.B) { inNetns(b, netns, func() { full(b) }) })
	b.Run("full/100x1000/one-element-per-command", func(b *testing.B) {
		defer func(n int) { batchSize = n }(batchSize)
		batchSize = 1
		inNetns(b, netns, func() { full(b) })
	})
	var a *Applier
	inNetns(b, netns, func() {
		var err error
		if a, err = NewApplier(); err != nil {
			b.Fatal(err)
		}
		rs, _ := Compute(in)
		if _, err := a.Apply(ctx, rs); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("policy change", func(b *testing.B) {
		inNetns(b, netns, func() {
			var ops int
			var err error
			for i := 0; i < b.N; i++ {
				// Policy 7 selects another app and back, alternately.
				in.Policies[7].Spec.PodSelector = *sel("app", fmt.Sprintf("a%d", 7+10*((i+1)%2)))
				rs, _ := Compute(in)
				if ops, err = a.Apply(ctx, rs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(ops), "nft-ops")
		})
	})
	base := len(in.Pods)
	b.Run("pod added", func(b *testing.B) {
		inNetns(b, netns, func() {
			var ops int
			var err error
			for i := 0; i < b.N; i++ {
				in.Pods = append(in.Pods[:base], testPod("ns3", "new", fmt.Sprintf("10.244.9.%d", i%250+2), node,
					map[string]string{"app": "a3", "tier": "1"}, corev1.ContainerPort{Name: "http", ContainerPort: 8080}))
				rs, _ := Compute(in)
				if ops, err = a.Apply(ctx, rs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(ops), "nft-ops")
		})
	})
}

// BenchmarkCompute is Compute alone for 100 policies over 1,000 pods.
func BenchmarkCompute(b *testing.B) {
	in := benchInput(100, 1000)
	for i := 0; i < b.N; i++ {
		Compute(in)
	}
}
