package node

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/node/images"
)

// TestNetworkPolicy runs on two nodes: the server pod on the first,
// clients a and b on the second, so that their connections leave
// through their node's forward hook (egress) and arrive through the
// server node's (ingress), and client s (labelled as a) beside the
// server, where the traffic is bridged.
//
// A client pod reaches a test server; a default-deny ingress policy
// blocks it within seconds; a policy allowing the client's labels on the
// server's named port lets it through while another client stays
// blocked; an egress deny on the client blocks its outbound; a restarted
// node agent keeps every rule and takes them over; a malformed ipBlock
// is rejected by the API and breaks nothing; deleting the policies
// restores reachability.
func TestNetworkPolicy(t *testing.T) {
	// Pod traffic inside the cluster CIDR is not masqueraded, so the
	// server's node sees the client pod's address; the node agents route
	// the podCIDRs between them (host-gw).
	c := nodetest.StartCluster(t, nodetest.ClusterOptions{Nodes: 2})
	img, err := images.Busybox(nodetest.BusyboxImage, "/bin/busybox")
	if err != nil {
		t.Skip(err)
	}
	c.ImportImage(t, img)
	ctx := context.Background()
	srvNode, cliNode := c.Nodes[0], c.Nodes[len(c.Nodes)-1]
	pods := c.Client.CoreV1().Pods("default")
	pol := c.Client.NetworkingV1().NetworkPolicies("default")
	t.Cleanup(func() { // before the cluster goes
		if !t.Failed() {
			return
		}
		for _, name := range []string{"server", "client-a", "client-b", "client-s"} {
			raw, err := pods.GetLogs(name, &corev1.PodLogOptions{TailLines: ptr.To[int64](5)}).Do(context.Background()).Raw()
			t.Logf("%s's log (%v):\n%s", name, err, raw)
		}
		for _, n := range c.Nodes {
			out, _ := n.InNS("nft", "list", "ruleset")
			t.Logf("%s's nftables:\n%s", n.Name, out)
		}
	})

	busybox := func(name, nodeName string, labels map[string]string, script string, ports ...corev1.ContainerPort) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Spec: corev1.PodSpec{NodeName: nodeName, TerminationGracePeriodSeconds: ptr.To[int64](1),
				Containers: []corev1.Container{{Name: "main", Image: nodetest.BusyboxImage, ImagePullPolicy: corev1.PullNever,
					Command: []string{"sh", "-c", script}, Ports: ports}}},
		}
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		var ip string
		controllertest.EventuallyWithin(t, name+" Running", 2*time.Minute, func(ctx context.Context) (bool, error) {
			p, err := pods.Get(ctx, name, metav1.GetOptions{})
			if err != nil || p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
				return false, nil
			}
			ip = p.Status.PodIP
			return true, nil
		})
		p.Status.PodIP = ip
		return p
	}
	server := busybox("server", srvNode.Name, map[string]string{"app": "server"},
		"echo hi > /tmp/index.html && exec busybox httpd -f -p 8080 -h /tmp",
		corev1.ContainerPort{Name: "http", ContainerPort: 8080})
	// Each client probes the server three times a second, a new
	// connection each time (busybox nc: this busybox-static's wget
	// crashes), and logs "<n> ok" or "<n> fail".
	probe := fmt.Sprintf(`n=0; while true; do n=$((n+1)); if printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 %s 8080 2>/dev/null | grep -q '200 OK'; then echo "$n ok"; else echo "$n fail"; fi; sleep 0.3; done`, server.Status.PodIP)
	busybox("client-a", cliNode.Name, map[string]string{"app": "client", "role": "allowed"}, probe)
	busybox("client-b", cliNode.Name, map[string]string{"app": "client", "role": "other"}, probe)
	busybox("client-s", srvNode.Name, map[string]string{"app": "client", "role": "allowed"}, probe)

	// last returns the result of the client's newest probes, n of them.
	last := func(ctx context.Context, client string, n int64) ([]string, error) {
		raw, err := pods.GetLogs(client, &corev1.PodLogOptions{TailLines: ptr.To(n)}).Do(ctx).Raw()
		if err != nil {
			return nil, nil // not yet
		}
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			if f := strings.Fields(l); len(f) == 2 {
				out = append(out, f[1])
			}
		}
		return out, nil
	}
	// expect waits (within) for each client's newest two probes to be
	// want ("ok" or "fail") and returns how long that took.
	expect := func(what string, within time.Duration, want map[string]string) time.Duration {
		t.Helper()
		start := time.Now()
		controllertest.EventuallyWithin(t, what, within, func(ctx context.Context) (bool, error) {
			for client, w := range want {
				got, err := last(ctx, client, 6)
				if n := len(got); err != nil || n < 2 || got[n-2] != w || got[n-1] != w {
					return false, err
				}
			}
			return true, nil
		})
		return time.Since(start)
	}
	// nftWait waits for the node's table to show s and returns how long
	// that took (the rules in place).
	nftWait := func(n *nodetest.ClusterNode, what, s string) time.Duration {
		t.Helper()
		start := time.Now()
		for {
			out, _ := n.InNS("nft", "list", "table", "inet", "tinykube")
			if strings.Contains(string(out), s) {
				return time.Since(start)
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("%s: %q not in %s's table after 30s:\n%s", what, s, n.Name, out)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	create := func(p *networkingv1.NetworkPolicy) {
		t.Helper()
		if _, err := pol.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	expect("every client reaches the server", time.Minute, map[string]string{"client-a": "ok", "client-b": "ok", "client-s": "ok"})

	create(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny-server"}, Spec: networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "server"}},
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}})
	inPlace := nftWait(srvNode, "default deny", "ip daddr @policy-")
	d := expect("default deny ingress blocks every client", 10*time.Second, map[string]string{"client-a": "fail", "client-b": "fail", "client-s": "fail"})
	t.Logf("default deny: rules in place %v after the create, every client blocked after %v", inPlace, d)

	create(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "allow-a"}, Spec: networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "server"}},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "allowed"}}}},
			Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromString("http"))}},
		}}}})
	inPlace = nftWait(srvNode, "allow client-a", server.Status.PodIP+" . tcp . 8080")
	d = expect("clients a and s allowed on the named port, client-b still blocked", 10*time.Second, map[string]string{"client-a": "ok", "client-b": "fail", "client-s": "ok"})
	t.Logf("allow: rules in place %v after the create, clients a and s through after %v", inPlace, d)

	// Bad input: the API rejects a malformed ipBlock; nothing changes.
	bad := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "bad"}, Spec: networkingv1.NetworkPolicySpec{
		Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/33"}}}}}}}
	if _, err := pol.Create(ctx, bad, metav1.CreateOptions{}); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "cidr") {
		t.Errorf("a policy with ipBlock 10.0.0.0/33: got %v, want Invalid naming the cidr", err)
	}

	create(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny-a-egress"}, Spec: networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"role": "allowed"}},
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}}})
	expect("egress deny blocks the outbound of clients a and s", 10*time.Second, map[string]string{"client-a": "fail", "client-b": "fail", "client-s": "fail"})

	// A restart keeps the rules: they are there while the agent is down
	// and after it is back (the new process takes them over).
	before, _ := cliNode.InNS("nft", "list", "table", "inet", "tinykube")
	cliNode.Stop()
	during, _ := cliNode.InNS("nft", "list", "table", "inet", "tinykube")
	if string(during) != string(before) || !strings.Contains(string(during), "policy-egress") {
		t.Errorf("rules changed while the node agent was down:\nbefore:\n%s\nduring:\n%s", before, during)
	}
	cliNode.Restart(t)
	c.WaitReady(t, cliNode)
	expect("after the node agent's restart: client-a still blocked", 10*time.Second, map[string]string{"client-a": "fail", "client-b": "fail", "client-s": "fail"})
	if err := pol.Delete(ctx, "deny-a-egress", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("the restarted agent removes the egress deny", 10*time.Second, map[string]string{"client-a": "ok", "client-b": "fail", "client-s": "ok"})

	for _, name := range []string{"deny-server", "allow-a"} {
		if err := pol.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	expect("no policies: every client reaches the server again", 10*time.Second, map[string]string{"client-a": "ok", "client-b": "ok", "client-s": "ok"})
	for _, n := range c.Nodes {
		if out, _ := n.InNS("nft", "list", "table", "inet", "tinykube"); strings.Contains(string(out), "jump policy-") {
			t.Errorf("%s: per-policy rules left after the policies went:\n%s", n.Name, out)
		}
	}
}
