package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/imagetest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/node/containerd"
)

// testServerImage is the project's test server (test/images/testserver:
// HTTP on 8080 in its netexec mode) on busybox.
const testServerImage = "tinykube.test/testserver:1"

func importTestServer(t *testing.T, sn *nodetest.ServerNode) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "testserver.tar")
	if err := imagetest.WriteOCIArchive(p, testServerImage, imagetest.TestServer(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := containerd.Import(ctx, "", sn.Endpoint, p); err != nil {
		t.Fatal(err)
	}
}

// deploymentSession: `kubectl create deployment` of the test server with
// 3 replicas runs 3 real processes, each answering with its own pod's
// name (through pods/proxy).
func deploymentSession(t *testing.T, k *kubectl, c *realNodeCluster, run int) {
	name := fmt.Sprintf("ts-%d", run)
	k.run(t, "-n", "default", "create", "deployment", name, "--image="+testServerImage, "--replicas=3", "--port=8080")
	t.Cleanup(func() { _, _, _ = k.exec("", []string{"-n", "default", "delete", "deployment", name, "--wait=false"}) })
	k.run(t, "-n", "default", "rollout", "status", "deployment/"+name, "--timeout=120s")
	var pods corev1.PodList
	k.json(t, &pods, "-n", "default", "get", "pods", "-l", "app="+name, "-o", "json")
	var running []string
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			running = append(running, p.Name)
		}
	}
	if len(running) != 3 {
		t.Fatalf("deployment %s: running pods %v, want 3", name, running)
	}
	for _, pod := range running {
		// Each answers from its own process, with its own hostname.
		out := k.run(t, "get", "--raw", "/api/v1/namespaces/default/pods/"+pod+":8080/proxy/hostname")
		if out != pod {
			t.Errorf("pod %s answers hostname %q", pod, out)
		}
		if ps := k.run(t, "-n", "default", "exec", pod, "--", "ps"); !strings.Contains(ps, "/testserver netexec") {
			t.Errorf("pod %s: no testserver process:\n%s", pod, ps)
		}
	}
}

// debugSession: kubectl debug adds ephemeral containers to a running
// pod — interactive (-it, stdin piped) in the target container's process
// namespace, and detached — and `kubectl debug node/NAME` runs a pod in
// the node's namespaces with its root at /host.
func debugSession(t *testing.T, k *kubectl, c *realNodeCluster, run int) {
	args := func(a ...string) []string { return append([]string{"-n", "default"}, a...) }

	// -it with stdin piped: the container reads a line, then lists the
	// processes it sees — the target's httpd among them. kubectl's stdin
	// stays open until the container has answered: the runtime ends an
	// attach whose stdin closes (the container has no stdinOnce).
	it := fmt.Sprintf("dbg-it-%d", run)
	out := interactive(t, k, "from-stdin\n", args("debug", "-it", "web", "--image="+streamBusybox, "--target=c", "-c", it,
		"--", "sh", "-c", "read line; echo got $line; ps")...)
	if !strings.Contains(out, "got from-stdin") || !strings.Contains(out, "httpd -f -p 8080") {
		t.Errorf("debug -it: stdout:\n%s", out)
	}
	var ecs corev1.ContainerStatus
	c.waitPod(t, "web", it+" terminated", func(p *corev1.Pod) bool {
		for _, s := range p.Status.EphemeralContainerStatuses {
			if s.Name == it {
				ecs = s
				return s.State.Terminated != nil
			}
		}
		return false
	})
	if ecs.State.Terminated.ExitCode != 0 || ecs.ContainerID == "" || ecs.ImageID == "" || ecs.Image != streamBusybox || ecs.RestartCount != 0 {
		t.Errorf("%s status: %+v", it, ecs)
	}

	// Without -it kubectl returns at once; the container runs, exits,
	// and is not restarted; its logs and events are a container's.
	detached := fmt.Sprintf("dbg-%d", run)
	k.run(t, args("debug", "web", "--image="+streamBusybox, "-c", detached, "--", "sh", "-c", "echo detached run; ps")...)
	c.waitPod(t, "web", detached+" terminated", func(p *corev1.Pod) bool {
		for _, s := range p.Status.EphemeralContainerStatuses {
			if s.Name == detached {
				ecs = s
				return s.State.Terminated != nil
			}
		}
		return false
	})
	if ecs.State.Terminated.ExitCode != 0 || ecs.State.Terminated.Reason != "Completed" {
		t.Errorf("%s status: %+v", detached, ecs)
	}
	// No target: its own process namespace, without web's httpd.
	if logs := k.run(t, args("logs", "web", "-c", detached)...); !strings.HasPrefix(logs, "detached run\n") || strings.Contains(logs, "httpd") {
		t.Errorf("logs of %s: %q", detached, logs)
	}
	evs, err := c.client.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{
		FieldSelector: "involvedObject.name=web,involvedObject.fieldPath=spec.ephemeralContainers{" + detached + "}"})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, e := range evs.Items {
		reasons[e.Reason] = true
	}
	for _, want := range []string{"Pulled", "Created", "Started"} {
		if !reasons[want] {
			t.Errorf("events of %s: %v, no %s", detached, reasons, want)
		}
	}
	// The pod's own containers were left alone.
	p, err := c.client.CoreV1().Pods("default").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cs := p.Status.ContainerStatuses; len(cs) != 1 || cs[0].RestartCount != 0 || !cs[0].Ready {
		t.Errorf("web's container after debugging: %+v", cs)
	}

	// debug node/NAME: a pod in the host's namespaces, the node's root
	// at /host.
	marker := filepath.Join(t.TempDir(), "marker")
	if err := os.WriteFile(marker, []byte(fmt.Sprintf("node marker %d\n", run)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := k.exec("", args("debug", "node/"+c.node, "--image="+streamBusybox, "--", "cat", "/host"+marker))
	if err != nil {
		t.Fatalf("debug node: %v\n%s%s", err, out, errOut)
	}
	m := regexp.MustCompile(`Creating debugging pod (\S+) with container`).FindStringSubmatch(out + errOut)
	if m == nil {
		t.Fatalf("debug node named no pod:\n%s%s", out, errOut)
	}
	// It runs once and completes (restartPolicy Never); its logs stay
	// while the pod exists.
	c.waitPod(t, m[1], "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	if logs := k.run(t, args("logs", m[1])...); logs != fmt.Sprintf("node marker %d\n", run) {
		t.Errorf("logs of the node debug pod: %q", logs)
	}
	p, err = c.client.CoreV1().Pods("default").Get(context.Background(), m[1], metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Spec.HostNetwork || !p.Spec.HostPID || p.Status.PodIP != "127.0.0.1" {
		t.Errorf("node debug pod: hostNetwork %v hostPID %v podIP %q", p.Spec.HostNetwork, p.Spec.HostPID, p.Status.PodIP)
	}
	k.run(t, args("delete", "pod", m[1], "--wait=false")...)
}

// interactive runs kubectl args with stdin open, writes input to it, and
// returns all kubectl writes to stdout once it exits by itself (within
// two minutes); only then is stdin closed.
func interactive(t *testing.T, k *kubectl, input string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, stdout, stderr := k.command(ctx, "", args)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(stdin, input); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout.String()
}
