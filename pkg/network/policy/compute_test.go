package policy

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

const node = "n1"

func testPod(ns, name, ip, nodeName string, lbls map[string]string, ports ...corev1.ContainerPort) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: lbls},
		Spec:       corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "c", Ports: ports}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}},
	}
}

func testNS(name string, lbls map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls}}
}

func np(ns, name string, mutate func(*networkingv1.NetworkPolicySpec)) *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	mutate(&p.Spec)
	return p
}

func sel(kv ...string) *metav1.LabelSelector {
	s := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.MatchLabels[kv[i]] = kv[i+1]
	}
	return s
}

func port(proto corev1.Protocol, p intstr.IntOrString, end ...int32) networkingv1.NetworkPolicyPort {
	pp := networkingv1.NetworkPolicyPort{Port: &p}
	if proto != "" {
		pp.Protocol = &proto
	}
	if len(end) > 0 {
		pp.EndPort = &end[0]
	}
	return pp
}

// world: namespaces default (team=a) and other (team=b); pods:
// web 10.0.1.2 (local, app=web, port http=8080/TCP, dns=53/UDP), web2
// 10.0.1.3 (local, app=web, http=9090), client 10.0.1.4 (local,
// app=client), remote 10.0.2.2 (other node, app=client), o-client
// 10.0.1.5 in other (local, app=client), and a host-network pod.
func world() Input {
	return Input{NodeName: node,
		Namespaces: []*corev1.Namespace{testNS("default", map[string]string{"team": "a"}), testNS("other", map[string]string{"team": "b"})},
		Pods: []*corev1.Pod{
			testPod("default", "web", "10.0.1.2", node, map[string]string{"app": "web"},
				corev1.ContainerPort{Name: "http", ContainerPort: 8080}, corev1.ContainerPort{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}),
			testPod("default", "web2", "10.0.1.3", node, map[string]string{"app": "web"}, corev1.ContainerPort{Name: "http", ContainerPort: 9090}),
			testPod("default", "client", "10.0.1.4", node, map[string]string{"app": "client"}),
			testPod("default", "remote", "10.0.2.2", "n2", map[string]string{"app": "client"}),
			testPod("other", "o-client", "10.0.1.5", node, map[string]string{"app": "client"}),
			func() *corev1.Pod {
				p := testPod("default", "hostnet", "192.168.0.1", node, map[string]string{"app": "web"})
				p.Spec.HostNetwork = true
				return p
			}(),
		}}
}

func id(ns, name string) string { return Prefix + policyID(ns, name) }

func TestCompute(t *testing.T) {
	web := id("default", "web")
	for _, tc := range []struct {
		name     string
		policies []*networkingv1.NetworkPolicy
		// want: chain or set name (with "@" for web's objects
		// abbreviated) -> rules or elements; "!name" must be absent.
		want map[string][]string
		// problems expected
		problems int
	}{{
		name: "no policies: nothing isolated",
		want: map[string][]string{IngressIsolated: {}, EgressIsolated: {}, IngressChain: {"meta nfproto != ipv4 accept", "ct state established,related accept", "ip daddr != @" + IngressIsolated + " accept", "drop"}},
	}, {
		name: "default deny ingress, empty podSelector: every local pod of the namespace, no rules",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		})},
		want: map[string][]string{
			IngressIsolated: {"10.0.1.2", "10.0.1.3", "10.0.1.4"}, EgressIsolated: {},
			"@-pods": {"10.0.1.2", "10.0.1.3", "10.0.1.4"}, "@-in": nil, "!@-out": nil,
			IngressChain: {"meta nfproto != ipv4 accept", "ct state established,related accept", "ip daddr != @" + IngressIsolated + " accept", "ip daddr @" + web + "-pods jump " + web + "-in", "drop"},
		},
	}, {
		name: "allow all ingress: one rule with no match",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", "web")
			s.Ingress = []networkingv1.NetworkPolicyIngressRule{{}}
		})},
		want: map[string][]string{"@-pods": {"10.0.1.2", "10.0.1.3"}, "@-in": {"accept"}, "!@-out": nil},
	}, {
		name: "podSelector peer: same namespace only, any node",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", "web")
			s.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("app", "client")}}}}
		})},
		want: map[string][]string{"@-in0-peers": {"10.0.1.4", "10.0.2.2"}, "@-in": {"ip saddr @" + web + "-in0-peers accept"}},
	}, {
		name: "namespaceSelector {}: all namespaces",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", "web")
			s.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}}}
		})},
		want: map[string][]string{"@-in0-peers": {"10.0.1.2-10.0.1.5", "10.0.2.2"}},
	}, {
		name: "namespaceSelector and podSelector in one peer: both must match",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", "web")
			s.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("team", "b"), PodSelector: sel("app", "client")}}}}
		})},
		want: map[string][]string{"@-in0-peers": {"10.0.1.5"}},
	}, {
		name: "ipBlock with except, merged with a pod",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", "web")
			s.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "172.16.0.0/16", Except: []string{"172.16.1.0/24", "172.16.255.128/25", "10.0.0.0/8"}}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "2001:db8::/64"}},
				{PodSelector: sel("app", "client")},
			}}}
		})},
		want: map[string][]string{"@-in0-peers": {"10.0.1.4", "10.0.2.2", "172.16.0.0-172.16.0.255", "172.16.2.0-172.16.255.127"}},
	}, {
		name: "ports: protocol default TCP, endPort ranges merged, protocol without port",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", "web")
			s.Ingress = []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{
				port("", intstr.FromInt32(80)), port(corev1.ProtocolTCP, intstr.FromInt32(81), 90), port(corev1.ProtocolUDP, intstr.FromInt32(53)),
				{Protocol: ptr.To(corev1.ProtocolSCTP)},
			}}}
		})},
		want: map[string][]string{"@-in0-ports": {"sctp . 0-65535", "tcp . 80-90", "udp . 53"}, "@-in": {"meta l4proto . th dport @" + web + "-in0-ports accept"}},
	}, {
		name: "named ports resolve per destination pod and protocol",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", "web")
			s.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: sel("app", "client")}},
				Ports: []networkingv1.NetworkPolicyPort{port("", intstr.FromString("http")), port(corev1.ProtocolUDP, intstr.FromString("dns")), port(corev1.ProtocolTCP, intstr.FromString("dns")), port("", intstr.FromInt32(22))},
			}}
		})},
		want: map[string][]string{
			"@-in0-named": {"10.0.1.2 . tcp . 8080", "10.0.1.2 . udp . 53", "10.0.1.3 . tcp . 9090"},
			"@-in0-ports": {"tcp . 22"},
			"@-in": {"ip saddr @" + web + "-in0-peers meta l4proto . th dport @" + web + "-in0-ports accept",
				"ip saddr @" + web + "-in0-peers ip daddr . meta l4proto . th dport @" + web + "-in0-named accept"},
		},
	}, {
		name: "egress: isolation by policyTypes default, named port on the destination pods among the peers",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", "client")
			s.Egress = []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{{PodSelector: sel("app", "web")}},
				Ports: []networkingv1.NetworkPolicyPort{port("", intstr.FromString("http"))},
			}}
		})},
		want: map[string][]string{
			"@-pods": {"10.0.1.4"}, EgressIsolated: {"10.0.1.4"}, IngressIsolated: {"10.0.1.4"},
			"@-out0-peers": {"10.0.1.2-10.0.1.3"},
			"@-out0-named": {"10.0.1.2 . tcp . 8080", "10.0.1.3 . tcp . 9090"},
			"@-out":        {"ip daddr @" + web + "-out0-peers ip daddr . meta l4proto . th dport @" + web + "-out0-named accept"},
			"@-in":         nil,
		},
	}, {
		name: "egress only: not isolated for ingress",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", "client")
			s.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		})},
		want: map[string][]string{EgressIsolated: {"10.0.1.4"}, IngressIsolated: {}, "@-out": nil, "!@-in": nil},
	}, {
		name: "multiple policies: union of isolation, one jump each",
		policies: []*networkingv1.NetworkPolicy{
			np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
				s.PodSelector = *sel("app", "web")
				s.Ingress = []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{port("", intstr.FromInt32(80))}}}
			}),
			np("other", "x", func(s *networkingv1.NetworkPolicySpec) {}),
		},
		want: map[string][]string{
			IngressIsolated: {"10.0.1.2", "10.0.1.3", "10.0.1.5"},
			IngressChain: {"meta nfproto != ipv4 accept", "ct state established,related accept", "ip daddr != @" + IngressIsolated + " accept",
				"ip daddr @" + web + "-pods jump " + web + "-in", "ip daddr @" + id("other", "x") + "-pods jump " + id("other", "x") + "-in", "drop"},
		},
	}, {
		name: "a policy selecting no pod of this node has no objects",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", "nothing-here")
		})},
		want: map[string][]string{IngressIsolated: {}, "!@-pods": nil, "!@-in": nil},
	}, {
		name: "malformed ipBlock: skipped, matches nothing, isolation stays, the rest works",
		policies: []*networkingv1.NetworkPolicy{np("default", "web", func(s *networkingv1.NetworkPolicySpec) {
			s.PodSelector = *sel("app", "web")
			s.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/33"}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "10.1.0.0/16", Except: []string{"nonsense"}}},
				{PodSelector: sel("app", "client")},
			}}}
		})},
		want:     map[string][]string{IngressIsolated: {"10.0.1.2", "10.0.1.3"}, "@-in0-peers": {"10.0.1.4", "10.0.2.2"}},
		problems: 2,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			in := world()
			in.Policies = tc.policies
			rs, problems := Compute(in)
			if len(problems) != tc.problems {
				t.Errorf("problems %v, want %d", problems, tc.problems)
			}
			for k, want := range tc.want {
				absent := strings.HasPrefix(k, "!")
				k = strings.TrimPrefix(k, "!")
				if strings.HasPrefix(k, "@") {
					k = web + k[1:]
				}
				var got []string
				var found bool
				if c, ok := rs.Chains[k]; ok {
					got, found = c.Rules, true
				} else if s, ok := rs.Sets[k]; ok {
					got, found = s.Elements, true
				}
				if absent {
					if found {
						t.Errorf("%s present, want none", k)
					}
					continue
				}
				if !found {
					t.Errorf("%s missing; have chains %v sets %v", k, sortedNames(rs.Chains), sortedNames(rs.Sets))
					continue
				}
				if len(got) == 0 && len(want) == 0 {
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s:\n got %q\nwant %q", k, got, want)
				}
			}
			// Same input, same ruleset.
			again, _ := Compute(in)
			if !reflect.DeepEqual(rs, again) {
				t.Error("Compute is not deterministic")
			}
		})
	}
}

func TestRanges(t *testing.T) {
	r := func(lo, hi string) ipRange {
		return ipRange{u32(netip.MustParseAddr(lo)), u32(netip.MustParseAddr(hi))}
	}
	got := rangeElements(normalize([]ipRange{r("10.0.0.5", "10.0.0.5"), r("10.0.0.0", "10.0.0.4"), r("0.0.0.0", "0.0.0.0"), r("255.255.255.0", "255.255.255.255"), r("255.255.255.255", "255.255.255.255"), r("10.0.0.7", "10.0.0.9")}))
	want := []string{"0.0.0.0", "10.0.0.0-10.0.0.5", "10.0.0.7-10.0.0.9", "255.255.255.0-255.255.255.255"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("normalize: got %q want %q", got, want)
	}
	all, err := ipBlockRanges(&networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}})
	if err != nil || !reflect.DeepEqual(rangeElements(all), []string{"0.0.0.0-9.255.255.255", "11.0.0.0-255.255.255.255"}) {
		t.Errorf("0.0.0.0/0 except 10/8: %q %v", rangeElements(all), err)
	}
	in := []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}
	if got := addrElements(in); !reflect.DeepEqual(got, []string{"10.0.0.1", "10.0.0.2"}) || !in[2].IsValid() {
		t.Errorf("addrElements with a duplicate: %q, input now %v", got, in)
	}
	add, del := diff([]string{"a", "b", "c"}, []string{"c", "d", "a"})
	if !reflect.DeepEqual(add, []string{"d"}) || !reflect.DeepEqual(del, []string{"b"}) {
		t.Errorf("diff: add %q del %q", add, del)
	}
}
