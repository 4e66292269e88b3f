package node

import (
	"bytes"
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/imagetest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/node/containerd"
	"github.com/tinykube/tinykube/pkg/node/cri"
	"github.com/tinykube/tinykube/pkg/node/images"
)

const proxyTestImage = "tinykube.test/testserver:proxy"

// TestServiceProxy runs the service proxy inside two real nodes (each
// `tinykube node` in a network namespace of its own) and sends real
// traffic through it: a Deployment of the test server behind a
// ClusterIP Service reached from a client pod, NodePorts on every
// node's address from the node and from the host, session affinity,
// scaling, a terminating pod, a restarted node agent, bad input, and
// `tinykube proxy --cleanup`.
func TestServiceProxy(t *testing.T) {
	c := nodetest.StartCluster(t, nodetest.ClusterOptions{Nodes: 2})
	ctx := context.Background()
	bb, err := images.Busybox(nodetest.BusyboxImage, "/bin/busybox")
	if err != nil {
		t.Skip(err)
	}
	c.ImportImage(t, bb)
	archive := filepath.Join(t.TempDir(), "testserver.tar")
	if err := imagetest.WriteOCIArchive(archive, proxyTestImage, imagetest.TestServer(t)); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes {
		ictx, cancel := context.WithTimeout(ctx, time.Minute)
		if err := containerd.Import(ictx, "", n.Endpoint, archive); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	n0, n1 := c.Nodes[0], c.Nodes[1]
	pods := c.Client.CoreV1().Pods("default")
	svcs := c.Client.CoreV1().Services("default")

	// web: the test server on node 0 (pod-to-pod routing between the
	// nodes is not this test's); local: one on each node, behind an
	// externalTrafficPolicy Local NodePort.
	web := deployment("web", n0.Name, 2)
	if _, err := c.Client.AppsV1().Deployments("default").Create(ctx, web, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes {
		d := deployment("local-"+n.Name, n.Name, 1)
		d.Spec.Template.Labels["svc"] = "local"
		if _, err := c.Client.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := svcs.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	local, err := svcs.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "local"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"svc": "local"},
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			Ports:                 []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	client := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: corev1.PodSpec{NodeName: n0.Name, TerminationGracePeriodSeconds: ptr.To[int64](1),
			Containers: []corev1.Container{{Name: "main", Image: nodetest.BusyboxImage, ImagePullPolicy: corev1.PullNever,
				Command: []string{"sleep", "3600"}}}},
	}
	if _, err := pods.Create(ctx, client, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	webURL := fmt.Sprintf("http://%s/hostname", svc.Spec.ClusterIP)

	// fromClient: who answers at url, asked from the client pod.
	fromClient := func(url string) (string, error) {
		p, err := pods.Get(ctx, "client", metav1.GetOptions{})
		if err != nil || len(p.Status.ContainerStatuses) == 0 {
			return "", fmt.Errorf("client pod: %v", err)
		}
		_, id, _ := strings.Cut(p.Status.ContainerStatuses[0].ContainerID, "://")
		rt, err := cri.Dial(ctx, n0.Endpoint, 10*time.Second)
		if err != nil {
			return "", err
		}
		defer rt.Close(ctx)
		out, errOut, err := rt.ExecSync(ctx, id, httpGet(url), 10*time.Second)
		if err != nil {
			return "", fmt.Errorf("GET %s: %v: %s", url, err, errOut)
		}
		return body(out)
	}
	// answers: who answered n requests.
	answers := func(url string, n int) map[string]int {
		got := map[string]int{}
		for range n {
			a, err := fromClient(url)
			if err != nil {
				got["error: "+err.Error()]++
				continue
			}
			got[a]++
		}
		return got
	}
	readyPods := func(app string) []string {
		l, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil {
			return nil
		}
		var names []string
		for _, p := range l.Items {
			if p.DeletionTimestamp == nil && p.Status.PodIP != "" && podReady(&p) {
				names = append(names, p.Name)
			}
		}
		return names
	}
	sameSet := func(got map[string]int, want []string) bool {
		if len(got) != len(want) {
			return false
		}
		for _, w := range want {
			if got[w] == 0 {
				return false
			}
		}
		return true
	}

	controllertest.EventuallyWithin(t, "both web pods answer at the ClusterIP from the client pod", 2*time.Minute, func(context.Context) (bool, error) {
		want := readyPods("web")
		return len(want) == 2 && sameSet(answers(webURL, 16), want), nil
	})

	t.Run("nodePort", func(t *testing.T) {
		// From the node itself (its own address), and from the host to
		// each node's address; local answers with the node's own pod.
		np := local.Spec.Ports[0].NodePort
		for _, n := range c.Nodes {
			url := fmt.Sprintf("http://%s:%d/hostname", n.IP, np)
			controllertest.EventuallyWithin(t, "NodePort on "+n.IP+" from its node", 30*time.Second, func(context.Context) (bool, error) {
				out, err := n.InNS(httpGet(url)...)
				a, _ := body(out)
				return err == nil && strings.HasPrefix(a, "local-"+n.Name), nil
			})
			out, err := hostRun(httpGet(url)...)
			if err != nil || !strings.HasPrefix(out, "local-"+n.Name) {
				t.Errorf("NodePort %s from the host: %q %v", url, out, err)
			}
		}
		// web's NodePort on node 0 (its endpoints are there).
		url := fmt.Sprintf("http://%s:%d/hostname", n0.IP, svc.Spec.Ports[0].NodePort)
		if out, err := hostRun(httpGet(url)...); err != nil || !strings.HasPrefix(out, "web-") {
			t.Errorf("web's NodePort from the host: %q %v", out, err)
		}
	})

	t.Run("session affinity", func(t *testing.T) {
		s, err := svcs.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		if _, err := svcs.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		controllertest.EventuallyWithin(t, "one web pod answering every request", 20*time.Second, func(context.Context) (bool, error) {
			got := answers(webURL, 10)
			return len(got) == 1 && !strings.HasPrefix(firstKey(got), "error"), nil
		})
		s, _ = svcs.Get(ctx, "web", metav1.GetOptions{})
		s.Spec.SessionAffinity, s.Spec.SessionAffinityConfig = corev1.ServiceAffinityNone, nil
		if _, err := svcs.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("scale", func(t *testing.T) {
		for _, replicas := range []int32{3, 1} {
			scale, err := c.Client.AppsV1().Deployments("default").GetScale(ctx, "web", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			scale.Spec.Replicas = replicas
			if _, err := c.Client.AppsV1().Deployments("default").UpdateScale(ctx, "web", scale, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			var readyAt time.Time
			controllertest.EventuallyWithin(t, fmt.Sprintf("%d web pods ready", replicas), time.Minute, func(context.Context) (bool, error) {
				readyAt = time.Now()
				return len(readyPods("web")) == int(replicas), nil
			})
			want := readyPods("web")
			controllertest.EventuallyWithin(t, fmt.Sprintf("exactly the %d ready web pods answering", replicas), 20*time.Second, func(context.Context) (bool, error) {
				return sameSet(answers(webURL, 12), want), nil
			})
			t.Logf("scaled to %d: the answers matched %v after the pods were ready", replicas, time.Since(readyAt).Round(10*time.Millisecond))
		}
	})

	t.Run("terminating pod", func(t *testing.T) {
		scale, _ := c.Client.AppsV1().Deployments("default").GetScale(ctx, "web", metav1.GetOptions{})
		scale.Spec.Replicas = 2
		if _, err := c.Client.AppsV1().Deployments("default").UpdateScale(ctx, "web", scale, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		controllertest.EventuallyWithin(t, "2 web pods answering", time.Minute, func(context.Context) (bool, error) {
			want := readyPods("web")
			return len(want) == 2 && sameSet(answers(webURL, 12), want), nil
		})
		victim := readyPods("web")[0]
		// It keeps serving 30s after SIGTERM (--shutdown-delay): still
		// alive, but terminating, so no new connections.
		if err := pods.Delete(ctx, victim, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](40)}); err != nil {
			t.Fatal(err)
		}
		controllertest.EventuallyWithin(t, "the terminating pod getting no new connections", 15*time.Second, func(context.Context) (bool, error) {
			// The survivor (and the replacement, once ready) answer.
			got := answers(webURL, 12)
			for a := range got {
				if !strings.HasPrefix(a, "web-") {
					return false, nil
				}
			}
			t.Logf("answers %v", got)
			return got[victim] == 0, nil
		})
		p, err := pods.Get(ctx, victim, metav1.GetOptions{})
		if err != nil || p.DeletionTimestamp == nil {
			t.Errorf("the victim is gone already (%v): the check proved nothing", err)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		// A Service whose externalIP:port is web's ClusterIP:port: its
		// colliding entry is skipped and logged; web and the thief's own
		// ClusterIP work.
		thief, err := svcs.Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "thief"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"svc": "local"}, ExternalIPs: []string{svc.Spec.ClusterIP},
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		controllertest.EventuallyWithin(t, "the collision logged by node 0's proxy", 20*time.Second, func(context.Context) (bool, error) {
			return strings.Contains(n0.Log.String(), "collides with another Service"), nil
		})
		thiefURL := fmt.Sprintf("http://%s/hostname", thief.Spec.ClusterIP)
		controllertest.EventuallyWithin(t, "the thief's ClusterIP answering (node 0's local pod)", 20*time.Second, func(context.Context) (bool, error) {
			a, err := fromClient(thiefURL)
			return err == nil && strings.HasPrefix(a, "local-"+n0.Name), nil
		})
		for a := range answers(webURL, 8) {
			if !strings.HasPrefix(a, "web-") {
				t.Errorf("web answered by %q", a)
			}
		}
		// An EndpointSlice with an address no proxy can use: refused by
		// the API server with a clear error (what the proxy does with one
		// that gets through is in pkg/proxy's tests).
		_, err = c.Client.DiscoveryV1().EndpointSlices("default").Create(ctx, &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: "bad", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"999.1.1.1"}}},
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
		}, metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "999.1.1.1") {
			t.Errorf("EndpointSlice with address 999.1.1.1: %v, want a validation error naming it", err)
		}
		if err := svcs.Delete(ctx, "thief", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("node restart keeps the rules", func(t *testing.T) {
		before, err := n0.InNS("nft", "list", "table", "inet", "tinykube")
		if err != nil {
			t.Fatalf("%v: %s", err, before)
		}
		n0.Stop()
		// While the agent is down the rules stay (its pods keep running).
		out, err := n0.InNS(httpGet(fmt.Sprintf("http://%s/hostname", svc.Spec.ClusterIP))...)
		a, _ := body(out)
		if err != nil || !strings.HasPrefix(a, "web-") {
			t.Errorf("ClusterIP from node 0 with its agent down: %q %v", out, err)
		}
		n0.Restart(t)
		// A loaded machine can make the node's containerd slower to
		// answer than the node waits for (it then exits): start it again.
		for try := 0; try < 3; try++ {
			time.Sleep(15 * time.Second)
			if err := n0.Exited(); err == nil {
				break
			} else {
				t.Logf("node 0 exited after its restart (%v); starting it again", err)
			}
			n0.Restart(t)
		}
		c.WaitReady(t, n0)
		controllertest.EventuallyWithin(t, "web answering after the restart", time.Minute, func(context.Context) (bool, error) {
			got := answers(webURL, 6)
			return len(got) > 0 && !strings.HasPrefix(firstKey(got), "error"), nil
		})
		after, _ := n0.InNS("nft", "list", "table", "inet", "tinykube")
		if !bytes.Contains(after, []byte("default/web/tcp/http")) {
			t.Errorf("web's chains missing after the restart:\n%s", after)
		}
	})

	t.Run("cleanup", func(t *testing.T) {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := osexec.Command("nsenter", "--net=/var/run/netns/"+n1.NS, self)
		cmd.Env = append(os.Environ(), nodetest.ExecEnv+"=proxy\n--cleanup")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("tinykube proxy --cleanup: %v\n%s", err, out)
		}
		table, _ := n1.InNS("nft", "list", "table", "inet", "tinykube")
		if bytes.Contains(table, []byte("svc-")) || bytes.Contains(table, []byte("proxy-")) {
			t.Errorf("after --cleanup:\n%s", table)
		}
	})
}

// httpGet is a command (busybox's sh and nc: its wget crashes when
// static) that GETs url ("http://host[:port]/path") and prints the
// response.
func httpGet(url string) []string {
	hostport, path, _ := strings.Cut(strings.TrimPrefix(url, "http://"), "/")
	host, port, ok := strings.Cut(hostport, ":")
	if !ok {
		port = "80"
	}
	return []string{"busybox", "sh", "-c", fmt.Sprintf(`printf 'GET /%s HTTP/1.0\r\n\r\n' | busybox nc -w 2 %s %s`, path, host, port)}
}

// body is an HTTP 200 response's body, or an error.
func body(resp []byte) (string, error) {
	head, b, ok := strings.Cut(string(resp), "\r\n\r\n")
	if !ok || !strings.HasPrefix(head, "HTTP/1.0 200") && !strings.HasPrefix(head, "HTTP/1.1 200") {
		return "", fmt.Errorf("response %q", resp)
	}
	return strings.TrimSpace(b), nil
}

// hostRun runs a command on the host and returns its trimmed output.
func hostRun(args ...string) (string, error) {
	out, err := osexec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return string(out), err
	}
	return body(out)
}

func firstKey(m map[string]int) string {
	for k := range m {
		return k
	}
	return ""
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// deployment: replicas of the test server (netexec on 8080, serving 30s
// after SIGTERM) on node, ready when /healthz answers.
func deployment(name, node string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	if strings.HasPrefix(name, "web") {
		labels["app"] = "web"
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(replicas), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": labels["app"]}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{NodeSelector: map[string]string{"kubernetes.io/hostname": node}, TerminationGracePeriodSeconds: ptr.To[int64](40),
					Containers: []corev1.Container{{Name: "server", Image: proxyTestImage, ImagePullPolicy: corev1.PullNever,
						Args: []string{"netexec", "--http-port", "8080", "--shutdown-delay", "30s"},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}},
							PeriodSeconds: 1}}}},
			}},
	}
}
