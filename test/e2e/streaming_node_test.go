package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/node/images"
)

// realNodeCluster is `tinykube server --node` (in process), its kubelet
// API on loopback, with the busybox image imported.
type realNodeCluster struct {
	kubeconfig string
	client     kubernetes.Interface
	node       string
}

const streamBusybox = "tinykube.test/busybox-stream:1"

func startRealNodeCluster(t *testing.T) *realNodeCluster {
	t.Helper()
	nodetest.Skip(t)
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("busybox-static not installed: apt-get install busybox-static")
	}
	sn := nodetest.StartServerNode(t, fmt.Sprintf("stream-%04d", rand.IntN(1e4)))
	bb, err := images.Busybox(streamBusybox, "/bin/busybox", "sh", "echo", "sleep", "cat", "tar", "httpd", "mkdir", "ls", "read", "ps")
	if err != nil {
		t.Fatal(err)
	}
	sn.ImportImage(t, bb)
	importTestServer(t, sn)
	return &realNodeCluster{kubeconfig: sn.Kubeconfig, client: sn.Client, node: sn.Name}
}

// pod creates a busybox pod running script (once the default service
// account exists) and waits for it to run.
func (c *realNodeCluster) pod(t *testing.T, name, script string, tweak func(*corev1.Pod)) {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: streamBusybox, Command: []string{"sh", "-c", script}}}}}
	if tweak != nil {
		tweak(pod)
	}
	controllertest.Eventually(t, "pod "+name+" created", func(ctx context.Context) (bool, error) {
		_, err := c.client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		return err == nil, nil
	})
	c.waitPod(t, name, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
}

func (c *realNodeCluster) waitPod(t *testing.T, name, what string, cond func(*corev1.Pod) bool) {
	t.Helper()
	controllertest.EventuallyWithin(t, "pod "+name+" "+what, 90*time.Second, func(ctx context.Context) (bool, error) {
		p, err := c.client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		return err == nil && cond(p), nil
	})
}

// TestKubectlStreamingRealNode: with real kubectl (upstream's current
// release and the machine's 1.32) against `tinykube server --node`:
// logs (--tail, -f, --previous), exec -i with stdin, cp both ways,
// port-forward then an HTTP request, attach, and the proxy
// subresources, all reaching real containers on containerd; then a
// Deployment of the test server and kubectl debug (debug_node_test.go).
func TestKubectlStreamingRealNode(t *testing.T) {
	c := startRealNodeCluster(t)
	c.pod(t, "logger", "echo one; echo two; sleep 1; echo err >&2; sleep 1; echo three; exec sleep 3600", nil)
	c.pod(t, "web", "mkdir -p /www && echo hello-from-httpd > /www/index.html && exec httpd -f -p 8080 -h /www", func(p *corev1.Pod) {
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8080}}
	})
	c.pod(t, "crasher", "echo run at $(date +%s); sleep 1; exit 1", func(p *corev1.Pod) { p.Spec.RestartPolicy = corev1.RestartPolicyAlways })
	if _, err := c.client.CoreV1().Services("default").Create(context.Background(), &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	forEachKubectl(t, func(t *testing.T, i int, bin string) {
		k := newKubectl(t, bin, c.kubeconfig)
		realNodeSession(t, k, c, i)
		deploymentSession(t, k, c, i) // debug_node_test.go
		debugSession(t, k, c, i)
	})
}

func realNodeSession(t *testing.T, k *kubectl, c *realNodeCluster, run int) {
	ns := []string{"-n", "default"}
	args := func(a ...string) []string { return append(append([]string(nil), ns...), a...) }

	// logs, --tail, -f.
	c.waitPod(t, "logger", "logged three", func(*corev1.Pod) bool {
		out, _, err := k.exec("", args("logs", "logger"))
		return err == nil && strings.Contains(out, "three")
	})
	if out := k.run(t, args("logs", "logger")...); out != "one\ntwo\nerr\nthree\n" {
		t.Errorf("logs: %q", out)
	}
	if out := k.run(t, args("logs", "logger", "--tail=2")...); out != "err\nthree\n" {
		t.Errorf("logs --tail=2: %q", out)
	}
	if out := k.run(t, args("logs", "logger", "--limit-bytes=3")...); out != "one" {
		t.Errorf("logs --limit-bytes=3: %q", out)
	}
	follow := k.start(t, args("logs", "-f", "logger", "--tail=1")...)
	follow.expectLine(t, "^three$", 30*time.Second)

	// --previous, once the crasher has restarted.
	c.waitPod(t, "crasher", "restarted", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
	})
	if out := k.run(t, args("logs", "crasher", "--previous")...); !regexp.MustCompile(`^run at \d+\n$`).MatchString(out) {
		t.Errorf("logs --previous: %q", out)
	}

	// exec -i with stdin; an exit code.
	if out := k.runIn(t, "hello\nthrough exec\n", args("exec", "-i", "web", "--", "cat")...); out != "hello\nthrough exec\n" {
		t.Errorf("exec -i cat: %q", out)
	}
	_, errOut, err := k.exec("", args("exec", "web", "--", "sh", "-c", "exit 3"))
	if exitCode(err) != 3 || !strings.Contains(errOut, "command terminated with exit code 3") {
		t.Errorf("exec exit 3: code %d, stderr %q", exitCode(err), errOut)
	}

	// cp both ways.
	dir := t.TempDir()
	local := writeFile(t, dir, "in.txt", fmt.Sprintf("copied in, run %d\n", run), 0o644)
	remote := fmt.Sprintf("/tmp/in-%d.txt", run)
	k.run(t, args("cp", local, "web:"+remote)...)
	if out := k.run(t, args("exec", "web", "--", "cat", remote)...); out != fmt.Sprintf("copied in, run %d\n", run) {
		t.Errorf("after cp in: %q", out)
	}
	back := filepath.Join(dir, "back.txt")
	k.run(t, args("cp", "web:"+remote, back)...)
	if b, err := os.ReadFile(back); err != nil || string(b) != fmt.Sprintf("copied in, run %d\n", run) {
		t.Errorf("cp out: %q %v", b, err)
	}

	// port-forward, then an HTTP request through it.
	pf := k.start(t, args("port-forward", "pod/web", ":8080")...)
	line := pf.expectLine(t, `^Forwarding from 127\.0\.0\.1:\d+ -> 8080`, 30*time.Second)
	localPort := regexp.MustCompile(`127\.0\.0\.1:(\d+)`).FindStringSubmatch(line)[1]
	resp, err := http.Get("http://127.0.0.1:" + localPort + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello-from-httpd\n" {
		t.Errorf("through port-forward: %q", body)
	}

	// attach: the container reads what kubectl sends it.
	name := fmt.Sprintf("attach-%d", run)
	c.pod(t, name, "read line; echo got $line", func(p *corev1.Pod) {
		p.Spec.RestartPolicy = corev1.RestartPolicyNever
		p.Spec.Containers[0].Stdin, p.Spec.Containers[0].StdinOnce = true, true
	})
	if out := k.runIn(t, "hello\n", args("attach", "-i", name)...); !strings.Contains(out, "got hello") {
		t.Errorf("attach -i: %q", out)
	}

	// The proxy subresources.
	if out := k.run(t, "get", "--raw", "/api/v1/namespaces/default/pods/web:8080/proxy/"); out != "hello-from-httpd\n" {
		t.Errorf("pods/proxy: %q", out)
	}
	c.waitPod(t, "web", "behind its service", func(*corev1.Pod) bool {
		out, _, err := k.exec("", []string{"get", "--raw", "/api/v1/namespaces/default/services/web:http/proxy/"})
		return err == nil && out == "hello-from-httpd\n"
	})
	if out := k.run(t, "get", "--raw", "/api/v1/nodes/"+c.node+"/proxy/pods"); !strings.Contains(out, `"name":"web"`) {
		t.Errorf("nodes/proxy/pods: %.200q", out)
	}

}
