package node

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
)

// TestServiceByNameAcrossNodes follows the path a user relies on when a
// pod calls a Service by name, on two real nodes: the test server (a
// Deployment) on node 0 behind a ClusterIP Service, a client pod on
// node 1 in the same namespace. The client's resolv.conf is the
// kubelet's (kube-dns's ClusterIP, the namespace's search path,
// ndots:5); its lookup goes to kube-dns's ClusterIP, which the node's
// proxy sends to the API server's DNS listener on the host; the answer,
// the Service's ClusterIP, is again the proxy's, which picks a server
// pod on the other node, reached over the pod routes. It works by the
// full name, by the short one (the search path) and by name.namespace,
// and every server pod answers; a second client asks over TCP (its
// dnsConfig's use-vc option, merged into resolv.conf). A headless
// Service's name resolves to the ready pods' own addresses. A
// NetworkPolicy denying ingress to the server pods blocks the client
// while the name still resolves (the failure is the connection, not the
// lookup); deleting it lets the client through again. Isolated for
// egress, the clients still resolve and reach the server when allowed
// to its pods and, by ipBlock, to the kube-dns endpoint (the server's
// DNS listener is no pod).
//
// All of it twice: the nodes on one segment with the server's host
// (host-gw pod routes), and each node on a segment of its own that the
// host routes between (VXLAN pod routes; the DNS traffic to the host
// crosses its routing).
func TestServiceByNameAcrossNodes(t *testing.T) {
	t.Run("host-gw", func(t *testing.T) {
		serviceByName(t, nodetest.ClusterOptions{Nodes: 2})
	})
	t.Run("vxlan routed", func(t *testing.T) {
		serviceByName(t, nodetest.ClusterOptions{Nodes: 2, Routed: true, NodeArgs: []string{"--pod-network", "vxlan"}})
	})
}

func serviceByName(t *testing.T, opts nodetest.ClusterOptions) {
	c := nodetest.StartCluster(t, opts)
	c.ImportImage(t, testServerImg(t))
	ctx := context.Background()
	srvNode, cliNode := c.Nodes[0], c.Nodes[1]
	const ns, domain = "shop", "cluster.local"
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := c.Client.CoreV1().Pods(ns)
	svcs := c.Client.CoreV1().Services(ns)
	deploys := c.Client.AppsV1().Deployments(ns)

	// web: two test servers on node 0.
	web := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{NodeSelector: map[string]string{"kubernetes.io/hostname": srvNode.Name}, TerminationGracePeriodSeconds: ptr.To[int64](1),
					Containers: []corev1.Container{{Name: "server", Image: testServerImage, ImagePullPolicy: corev1.PullNever,
						Command: []string{"/testserver", "netexec", "--http-port", "8080"},
						Ports:   []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
							PeriodSeconds: 1}}}},
			}},
	}
	if _, err := deploys.Create(ctx, web, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The Service port differs from the pods' (a named target port), so
	// that a client reaching the pods' port directly would not pass.
	svc, err := svcs.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 8000, TargetPort: intstr.FromString("http")}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svcs.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web-headless"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Two clients on node 1: client, and client-tcp, whose dnsConfig
	// adds the use-vc option: its resolver asks over TCP (kube-dns's
	// dns-tcp port).
	for _, name := range []string{"client", "client-tcp"} {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "client"}},
			Spec: corev1.PodSpec{NodeName: cliNode.Name, TerminationGracePeriodSeconds: ptr.To[int64](1),
				Containers: []corev1.Container{{Name: "main", Image: testServerImage, ImagePullPolicy: corev1.PullNever,
					Command: []string{"/testserver", "sleep", "1h"}}}},
		}
		if name == "client-tcp" {
			p.Spec.DNSConfig = &corev1.PodDNSConfig{Options: []corev1.PodDNSConfigOption{{Name: "use-vc"}}}
		}
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	controllertest.EventuallyWithin(t, "the client pods Running", 2*time.Minute, func(ctx context.Context) (bool, error) {
		for _, name := range []string{"client", "client-tcp"} {
			p, err := pods.Get(ctx, name, metav1.GetOptions{})
			if err != nil || p.Status.Phase != corev1.PodRunning {
				return false, nil
			}
		}
		return true, nil
	})
	dnsSvc, err := c.Client.CoreV1().Services(metav1.NamespaceSystem).Get(ctx, "kube-dns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		eps, err := c.Client.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{})
		if err == nil {
			for _, s := range eps.Items {
				var addrs []string
				for _, e := range s.Endpoints {
					addrs = append(addrs, fmt.Sprintf("%v ready=%v", e.Addresses, ptr.Deref(e.Conditions.Ready, false)))
				}
				var ports []string
				for _, p := range s.Ports {
					ports = append(ports, fmt.Sprintf("%s/%s:%d", ptr.Deref(p.Name, ""), ptr.Deref(p.Protocol, ""), ptr.Deref(p.Port, 0)))
				}
				t.Logf("EndpointSlice %s/%s: %v ports %v", s.Namespace, s.Name, addrs, ports)
			}
		}
		for _, n := range c.Nodes {
			out, _ := n.InNS("nft", "list", "ruleset")
			t.Logf("%s's nftables:\n%s", n.Name, out)
		}
	})

	// inPod runs cmd in a client pod; an exec can stall on a loaded
	// machine, so each has 20s.
	inPod := func(pod string, cmd ...string) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		out, err := podExecIn(ctx, c, ns, pod, cmd...)
		if err != nil {
			return "", fmt.Errorf("%s in %s: %v: %s", strings.Join(cmd, " "), pod, err, strings.TrimSpace(out))
		}
		return strings.TrimSpace(out), nil
	}
	inClient := func(cmd ...string) (string, error) { return inPod("client", cmd...) }
	// get fetches url from the client (Go's resolver in the test server:
	// it reads resolv.conf's nameserver, search path and ndots as libc's);
	// a connection that cannot be made fails naming the address dialled.
	getFrom := func(pod, url string) (string, error) {
		return inPod(pod, "/testserver", "http-get", "--timeout", "4s", "--connect-timeout", "2s", url)
	}
	get := func(url string) (string, error) { return getFrom("client", url) }
	readyWeb := func() (names, ips []string) {
		l, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return nil, nil
		}
		for _, p := range l.Items {
			if p.DeletionTimestamp == nil && p.Status.PodIP != "" && podReady(&p) {
				names, ips = append(names, p.Name), append(ips, p.Status.PodIP)
			}
		}
		slices.Sort(names)
		slices.Sort(ips)
		return names, ips
	}

	// eventually waits for cond, which also says what it saw; the last
	// of that is logged on failure.
	eventually := func(t *testing.T, what string, within time.Duration, cond func() (bool, string)) {
		t.Helper()
		var last string
		defer func() {
			if t.Failed() {
				t.Logf("%s: last saw %s", what, last)
			}
		}()
		controllertest.EventuallyWithin(t, what, within, func(context.Context) (bool, error) {
			ok, saw := cond()
			last = saw
			return ok, nil
		})
	}

	t.Run("resolv.conf", func(t *testing.T) {
		// The node reads the host's resolv.conf (it runs in a network
		// namespace only): its search path follows the cluster's.
		host, err := os.ReadFile("/etc/resolv.conf")
		if err != nil {
			t.Fatal(err)
		}
		search := []string{ns + ".svc." + domain, "svc." + domain, domain}
		for _, l := range strings.Split(string(host), "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[0] == "search" {
				search = append(search, f[1:]...)
			}
		}
		for pod, wantOptions := range map[string][]string{"client": {"ndots:5"}, "client-tcp": {"ndots:5", "use-vc"}} {
			got, err := inPod(pod, "cat", "/etc/resolv.conf")
			if err != nil {
				t.Fatal(err)
			}
			var servers, searches, options []string
			for _, l := range strings.Split(got, "\n") {
				f := strings.Fields(l)
				if len(f) < 2 {
					continue
				}
				switch f[0] {
				case "nameserver":
					servers = append(servers, f[1:]...)
				case "search":
					searches = append(searches, f[1:]...)
				case "options":
					options = append(options, f[1:]...)
				}
			}
			if !slices.Equal(servers, []string{dnsSvc.Spec.ClusterIP}) || !slices.Equal(searches, search) || !slices.Equal(options, wantOptions) {
				t.Errorf("%s's resolv.conf:\n%s\nwant nameserver %s, search %s, options %s", pod, got, dnsSvc.Spec.ClusterIP,
					strings.Join(search, " "), strings.Join(wantOptions, " "))
			}
		}
	})

	full := fmt.Sprintf("web.%s.svc.%s", ns, domain)
	eventually(t, "both web pods answering at http://"+full+":8000 from the client", 3*time.Minute, func() (bool, string) {
		want, _ := readyWeb()
		if len(want) != 2 {
			return false, fmt.Sprintf("ready web pods %v", want)
		}
		seen := map[string]bool{}
		for range 8 {
			a, err := get("http://" + full + ":8000/hostname")
			if err != nil {
				return false, err.Error()
			}
			seen[a] = true
		}
		got := slices.Sorted(func(yield func(string) bool) {
			for a := range seen {
				if !yield(a) {
					return
				}
			}
		})
		return slices.Equal(got, want), fmt.Sprintf("answers from %v, want %v", got, want)
	})
	for _, name := range []string{"web", "web." + ns, full + "."} {
		url := "http://" + name + ":8000/hostname"
		if a, err := get(url); err != nil || !strings.HasPrefix(a, "web-") {
			t.Errorf("GET %s from the client: %q %v", url, a, err)
		}
	}

	t.Run("dns over tcp", func(t *testing.T) {
		// client-tcp's resolver asks kube-dns over TCP only.
		for _, name := range []string{"web", full} {
			url := "http://" + name + ":8000/hostname"
			if a, err := getFrom("client-tcp", url); err != nil || !strings.HasPrefix(a, "web-") {
				t.Errorf("GET %s from client-tcp: %q %v", url, a, err)
			}
		}
	})

	// lookup resolves name (a full name) in the client with busybox's
	// nslookup (its own resolver, to the resolv.conf nameserver) and
	// returns the addresses, sorted.
	lookup := func(name string) ([]string, error) {
		out, err := inClient("busybox", "nslookup", "-type=a", name)
		if err != nil {
			return nil, err
		}
		_, answer, _ := strings.Cut(out, "\n\n") // after Server:, Address:
		var ips []string
		for _, l := range strings.Split(answer, "\n") {
			if f := strings.Fields(l); len(f) == 2 && f[0] == "Address:" {
				ips = append(ips, f[1])
			}
		}
		slices.Sort(ips)
		return ips, nil
	}
	headless := fmt.Sprintf("web-headless.%s.svc.%s", ns, domain)
	t.Run("headless", func(t *testing.T) {
		_, want := readyWeb()
		eventually(t, headless+" resolving to the web pods' IPs", 30*time.Second, func() (bool, string) {
			got, err := lookup(headless)
			return err == nil && slices.Equal(got, want), fmt.Sprintf("%v %v, want %v", got, err, want)
		})
		// By its short name, straight to a pod on the other node.
		if a, err := get("http://web-headless:8080/hostname"); err != nil || !strings.HasPrefix(a, "web-") {
			t.Errorf("GET http://web-headless:8080/hostname from the client: %q %v", a, err)
		}
	})

	t.Run("network policy", func(t *testing.T) {
		pol := c.Client.NetworkingV1().NetworkPolicies(ns)
		if _, err := pol.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny-web"}, Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// Blocked: the name resolves to the ClusterIP, the connection to
		// it fails (twice in a row, both names).
		dial := "dial tcp " + svc.Spec.ClusterIP + ":8000"
		var blocked string
		eventually(t, "the client blocked from web by the policy, the name resolving", 30*time.Second, func() (bool, string) {
			for _, name := range []string{full, "web"} {
				for range 2 {
					a, err := get("http://" + name + ":8000/hostname")
					if err == nil {
						return false, "answered by " + a
					}
					if blocked = err.Error(); !strings.Contains(blocked, dial) {
						return false, blocked
					}
				}
			}
			return true, ""
		})
		t.Logf("blocked: %s", blocked)
		// DNS still answers, the policy's pods stay ready (their node's
		// probes are not policed), and the headless name still lists them.
		if got, err := lookup(full); err != nil || !slices.Equal(got, []string{svc.Spec.ClusterIP}) {
			t.Errorf("%s under the policy: %v %v, want %s", full, got, err, svc.Spec.ClusterIP)
		}
		if _, want := readyWeb(); len(want) != 2 {
			t.Errorf("ready web pods under the policy: %v, want 2", want)
		} else if got, err := lookup(headless); err != nil || !slices.Equal(got, want) {
			t.Errorf("%s under the policy: %v %v, want %v", headless, got, err, want)
		}

		if err := pol.Delete(ctx, "deny-web", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the client reaching web by name again", 30*time.Second, func() (bool, string) {
			a, err := get("http://web:8000/hostname")
			return err == nil && strings.HasPrefix(a, "web-"), fmt.Sprintf("%q %v", a, err)
		})
	})

	t.Run("egress with dns", func(t *testing.T) {
		// The client isolated for egress, allowed only to web's pods and
		// to the cluster DNS: the kube-dns endpoint's address and port
		// (the API server's listener, not a pod; see pkg/network/policy).
		eps, err := c.Client.DiscoveryV1().EndpointSlices(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=kube-dns"})
		if err != nil || len(eps.Items) == 0 || len(eps.Items[0].Endpoints) == 0 || len(eps.Items[0].Ports) == 0 {
			t.Fatalf("kube-dns's EndpointSlice: %v %v", eps, err)
		}
		dnsAddr, dnsPort := eps.Items[0].Endpoints[0].Addresses[0], *eps.Items[0].Ports[0].Port
		var dnsPorts []networkingv1.NetworkPolicyPort
		for _, p := range []corev1.Protocol{corev1.ProtocolUDP, corev1.ProtocolTCP} {
			dnsPorts = append(dnsPorts, networkingv1.NetworkPolicyPort{Protocol: ptr.To(p), Port: ptr.To(intstr.FromInt32(dnsPort))})
		}
		pol := c.Client.NetworkingV1().NetworkPolicies(ns)
		if _, err := pol.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "client-egress"}, Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "client"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: dnsAddr + "/32"}}}, Ports: dnsPorts},
				{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}},
			}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// In force once the kubernetes Service (the API server, not
		// allowed) is out of the client's reach.
		api, err := c.Client.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the client's egress isolated", 30*time.Second, func() (bool, string) {
			a, err := get("https://kubernetes.default:443/")
			return err != nil && strings.Contains(err.Error(), "dial tcp "+api.Spec.ClusterIP+":443: i/o timeout"), fmt.Sprintf("%q %v", a, err)
		})
		for _, pod := range []string{"client", "client-tcp"} {
			if a, err := getFrom(pod, "http://web:8000/hostname"); err != nil || !strings.HasPrefix(a, "web-") {
				t.Errorf("GET http://web:8000/hostname from %s, egress allowed to web and DNS: %q %v", pod, a, err)
			}
		}
		if err := pol.Delete(ctx, "client-egress", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}
