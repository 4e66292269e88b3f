package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
	nodecmd "github.com/tinykube/tinykube/pkg/cmd/node"
	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/containerd"
)

func busyboxPod(n *nodetest.Node, name, image string, script string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.PodSpec{
			NodeName: n.Name, RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "main", Image: image, Command: []string{"sh", "-c", script},
				Env: []corev1.EnvVar{{Name: "GREETING", Value: "hello"}}}},
		},
	}
}

func waitPod(t *testing.T, n *nodetest.Node, name, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	controllertest.EventuallyWithin(t, "pod "+name+" "+what, time.Minute, func(ctx context.Context) (bool, error) {
		p, err := n.Client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		pod = p
		return cond(p), nil
	})
	return pod
}

// hostPID returns the host PID of the running container's process, from
// the runtime's verbose status.
func containerProcess(t *testing.T, n *nodetest.Node, id string) int {
	t.Helper()
	id = strings.TrimPrefix(id, "containerd://")
	st, err := n.Runtime.CRI.ContainerStatus(context.Background(), id, true)
	if err != nil {
		t.Fatal(err)
	}
	info := st.Info["info"]
	i := strings.Index(info, `"pid":`)
	if i < 0 {
		t.Fatalf("no pid in the container's status: %s", info)
	}
	rest := info[i+len(`"pid":`):]
	end := strings.IndexAny(rest, ",}")
	pid, err := strconv.Atoi(strings.TrimSpace(rest[:end]))
	if err != nil || pid <= 0 {
		t.Fatalf("pid %q: %v", rest[:end], err)
	}
	return pid
}

// TestRealPodRuns: a busybox pod goes Running, after its init container
// completed, with an IP from the node's podCIDR, as a real process on
// this machine, with its env, working dir and the host's DNS, and its
// output in its log file; the node reports the machine's capacity and
// identity.
func TestRealPodRuns(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	p := busyboxPod(n, "hello", img, `echo "$GREETING from $(pwd)"; cat /etc/resolv.conf; exec sleep 3600`)
	p.Spec.Containers[0].WorkingDir = "/tmp"
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: img, Command: []string{"true"}}}
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "hello", "Running with an IP", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodRunning && p.Status.PodIP != ""
	})
	ip, err := netip.ParseAddr(pod.Status.PodIP)
	if err != nil || !n.PodCIDR.Contains(ip) {
		t.Fatalf("pod IP %q not in the node's podCIDR %s", pod.Status.PodIP, n.PodCIDR)
	}
	cs := pod.Status.ContainerStatuses[0]
	if !strings.HasPrefix(cs.ContainerID, "containerd://") || cs.State.Running == nil || cs.ImageID == "" {
		t.Fatalf("container status %+v", cs)
	}
	pid := containerProcess(t, n, cs.ContainerID)
	// Right after the start the process may still be "runc init",
	// about to exec the container's command.
	controllertest.Eventually(t, "the container's process runs sleep 3600", func(context.Context) (bool, error) {
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil {
			return false, fmt.Errorf("container process %d: %w", pid, err)
		}
		return strings.Contains(strings.ReplaceAll(string(cmdline), "\x00", " "), "sleep 3600"), nil
	})
	logPath := n.DataDir + "/pods/default_hello_" + string(pod.UID) + "/main/0.log"
	controllertest.Eventually(t, "hello and the resolv.conf in the container's log", func(context.Context) (bool, error) {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), " stdout F hello from /tmp") && strings.Contains(string(b), "nameserver "), nil
	})
	if host, err := os.ReadFile("/etc/resolv.conf"); err == nil && strings.Contains(string(host), "nameserver ") && !strings.Contains(string(host), "127.0.0.53") {
		b, _ := os.ReadFile(logPath)
		first := strings.Fields(string(host)[strings.Index(string(host), "nameserver "):])[1]
		if !strings.Contains(string(b), "nameserver "+first) {
			t.Errorf("the pod's resolv.conf lacks the host's nameserver %s:\n%s", first, b)
		}
	}
	if ics := pod.Status.InitContainerStatuses; len(ics) != 1 || ics[0].State.Terminated == nil || ics[0].State.Terminated.ExitCode != 0 {
		t.Errorf("init container status %+v", ics)
	}

	node, err := n.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info := node.Status.NodeInfo
	if !strings.HasPrefix(info.ContainerRuntimeVersion, "containerd://") || info.KernelVersion == "" || info.OSImage == "" {
		t.Fatalf("nodeInfo %+v", info)
	}
	if cpu := node.Status.Capacity.Cpu(); cpu.IsZero() || node.Status.Capacity.Memory().IsZero() || node.Status.Capacity.StorageEphemeral().IsZero() {
		t.Fatalf("capacity %v", node.Status.Capacity)
	}
	if node.Labels["node.tinykube.io/simulated"] != "" {
		t.Fatalf("a real node labelled simulated: %v", node.Labels)
	}
}

// TestRealPodExitCode: a container that exits 3 with restartPolicy
// Never leaves its pod Failed, with exit code 3 and reason Error (the
// exit is noticed by polling: containerd 1.6 streams no events).
func TestRealPodExitCode(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	if _, err := n.Client.CoreV1().Pods("default").Create(context.Background(), busyboxPod(n, "exit3", img, "exit 3"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "exit3", "Failed", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodFailed })
	term := pod.Status.ContainerStatuses[0].State.Terminated
	if term == nil || term.ExitCode != 3 || term.Reason != "Error" {
		t.Fatalf("container state %+v", pod.Status.ContainerStatuses[0].State)
	}
}

// TestRealPodDeleteStopsProcess: deleting a pod stops its process within
// the grace period (SIGTERM; a shell that traps it exits at once) and
// removes the pod.
func TestRealPodDeleteStopsProcess(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	p := busyboxPod(n, "victim", img, `trap 'echo bye; exit 0' TERM; while true; do sleep 1; done`)
	p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](20)
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "victim", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	pid := containerProcess(t, n, pod.Status.ContainerStatuses[0].ContainerID)
	if err := n.Client.CoreV1().Pods("default").Delete(ctx, "victim", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "pod deleted", 20*time.Second, func(ctx context.Context) (bool, error) {
		_, err := n.Client.CoreV1().Pods("default").Get(ctx, "victim", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		t.Fatalf("container process %d still runs after the pod was deleted", pid)
	}
	controllertest.Eventually(t, "the pod's sandbox removed", func(ctx context.Context) (bool, error) {
		sandboxes, err := n.Runtime.CRI.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.name": "victim"}})
		return len(sandboxes) == 0, err
	})
}

// TestMissingContainerdClearError: without a containerd binary the node
// fails at once with the error that names the packages.
func TestMissingContainerdClearError(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	f := nodecmd.DefaultRealFlags()
	f.Runtime, f.DataDir = "containerd", t.TempDir()
	_, err := nodecmd.StartRuntime(context.Background(), f, nil)
	if !errors.Is(err, containerd.ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install containerd runc containernetworking-plugins") {
		t.Fatalf("got %v", err)
	}
}

// TestRealPodRestarts: a failing container with restartPolicy OnFailure
// is restarted after its back-off, with restartCount and lastState.
func TestRealPodRestarts(t *testing.T) {
	n := nodetest.StartNodeWith(t, func(c *node.Config) { c.RestartBackoff = time.Second })
	img := n.Busybox(t)
	p := busyboxPod(n, "flaky", img, "exit 1")
	p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	if _, err := n.Client.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "flaky", "restarted", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
	})
	last := pod.Status.ContainerStatuses[0].LastTerminationState.Terminated
	if last == nil || last.ExitCode != 1 || last.Reason != "Error" {
		t.Fatalf("lastState %+v", pod.Status.ContainerStatuses[0].LastTerminationState)
	}
	// The first attempt's log stays for `kubectl logs --previous`.
	if _, err := os.Stat(n.DataDir + "/pods/default_flaky_" + string(pod.UID) + "/main/0.log"); err != nil {
		t.Errorf("previous attempt's log: %v", err)
	}
}

// TestRealHostNetworkPod: a hostNetwork pod runs in the node's network
// namespace and reports the node's IP.
func TestRealHostNetworkPod(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	p := busyboxPod(n, "hostnet", img, "exec sleep 3600")
	p.Spec.HostNetwork = true
	if _, err := n.Client.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "hostnet", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	if pod.Status.PodIP != pod.Status.HostIP {
		t.Fatalf("hostNetwork pod IP %q, node IP %q", pod.Status.PodIP, pod.Status.HostIP)
	}
	pid := containerProcess(t, n, pod.Status.ContainerStatuses[0].ContainerID)
	mine, _ := os.Readlink("/proc/self/ns/net")
	its, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil || its != mine {
		t.Fatalf("container netns %q, host %q (%v)", its, mine, err)
	}
}

// TestRealPodImagePullFails: an image that cannot be pulled leaves the
// container waiting with ErrImagePull, or ImagePullBackOff between pulls
// (the registry is a closed port on loopback: nothing leaves the
// machine).
func TestRealPodImagePullFails(t *testing.T) {
	n := nodetest.StartNode(t)
	p := busyboxPod(n, "noimage", "127.0.0.1:1/none:1", "true")
	if _, err := n.Client.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The status alternates between ErrImagePull and ImagePullBackOff
	// (the back-off between pulls); a poll may land on either.
	pod := waitPod(t, n, "noimage", "waiting with ErrImagePull", func(p *corev1.Pod) bool {
		if len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Waiting == nil {
			return false
		}
		r := p.Status.ContainerStatuses[0].State.Waiting.Reason
		return r == "ErrImagePull" || r == "ImagePullBackOff"
	})
	if msg := pod.Status.ContainerStatuses[0].State.Waiting.Message; !strings.Contains(msg, "127.0.0.1:1/none:1") {
		t.Errorf("message %q does not name the image", msg)
	}
}

// TestRealPodGracePeriodKills: a process that ignores SIGTERM is killed
// when the pod's grace period ends, and the pod is then deleted.
func TestRealPodGracePeriodKills(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	p := busyboxPod(n, "stubborn", img, `trap '' TERM; while true; do sleep 1; done`)
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "stubborn", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	pid := containerProcess(t, n, pod.Status.ContainerStatuses[0].ContainerID)
	if err := n.Client.CoreV1().Pods("default").Delete(ctx, "stubborn", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](2)}); err != nil {
		t.Fatal(err)
	}
	// Still running while the grace period lasts: the pod is still
	// there, terminating, right after the delete.
	if got, err := n.Client.CoreV1().Pods("default").Get(ctx, "stubborn", metav1.GetOptions{}); err != nil || got.DeletionTimestamp == nil {
		t.Fatalf("pod after delete: %v", err)
	}
	controllertest.Eventually(t, "pod deleted", func(ctx context.Context) (bool, error) {
		_, err := n.Client.CoreV1().Pods("default").Get(ctx, "stubborn", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		t.Fatalf("process %d that ignores SIGTERM still runs after the grace period", pid)
	}
}

// TestRealPodsSurviveAgentRestart: pods keep running while the node
// agent restarts, and the new agent adopts them (same container, same
// process) instead of starting them again; a pod deleted meanwhile has
// its sandbox removed, and so has one deleted while the agent was down.
func TestRealPodsSurviveAgentRestart(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	for _, name := range []string{"keeper", "goner", "orphan"} {
		if _, err := n.Client.CoreV1().Pods("default").Create(ctx, busyboxPod(n, name, img, "exec sleep 3600"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	before := waitPod(t, n, "keeper", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	waitPod(t, n, "goner", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	waitPod(t, n, "orphan", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	pid := containerProcess(t, n, before.Status.ContainerStatuses[0].ContainerID)

	n.RestartAgent(t, func() {
		// Gone at once (grace period 0) while no agent runs.
		if err := n.Client.CoreV1().Pods("default").Delete(ctx, "orphan", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
			t.Fatal(err)
		}
	})
	controllertest.Eventually(t, "the orphan's sandbox removed", func(ctx context.Context) (bool, error) {
		s, err := n.Runtime.CRI.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.name": "orphan"}})
		return len(s) == 0, err
	})
	// The new agent must stop a pod it adopted when it is deleted.
	if err := n.Client.CoreV1().Pods("default").Delete(ctx, "goner", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](1)}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "goner deleted and its sandbox removed", func(ctx context.Context) (bool, error) {
		_, err := n.Client.CoreV1().Pods("default").Get(ctx, "goner", metav1.GetOptions{})
		s, lerr := n.Runtime.CRI.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.name": "goner"}})
		return apierrors.IsNotFound(err) && len(s) == 0, lerr
	})
	after, err := n.Client.CoreV1().Pods("default").Get(ctx, "keeper", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs := after.Status.ContainerStatuses[0]
	if cs.ContainerID != before.Status.ContainerStatuses[0].ContainerID || cs.RestartCount != 0 || after.Status.Phase != corev1.PodRunning {
		t.Fatalf("after the restart: %+v (was %s)", cs, before.Status.ContainerStatuses[0].ContainerID)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		t.Fatalf("the pod's process %d did not survive the agent's restart", pid)
	}
	sandboxes, err := n.Runtime.CRI.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.name": "keeper"}})
	if err != nil || len(sandboxes) != 1 {
		t.Fatalf("keeper has %d sandboxes (%v), want 1", len(sandboxes), err)
	}
}

// TestRealPodSandboxFailureEvent: a pod whose sandbox cannot be made (a
// sysctl the kernel does not have) stays Pending with a
// FailedCreatePodSandBox event saying why.
func TestRealPodSandboxFailureEvent(t *testing.T) {
	n := nodetest.StartNode(t)
	p := busyboxPod(n, "badsysctl", "tinykube.test/none:1", "true")
	p.Spec.SecurityContext = &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: "net.ipv4.tinykube_no_such_sysctl", Value: "1"}}}
	if _, err := n.Client.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "a FailedCreatePodSandBox event", time.Minute, func(ctx context.Context) (bool, error) {
		evs, err := n.Client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=badsysctl"})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == "FailedCreatePodSandBox" && strings.Contains(e.Message, "Failed to create pod sandbox: ") && e.Type == corev1.EventTypeWarning {
				return true, nil
			}
		}
		return false, nil
	})
	pod, err := n.Client.CoreV1().Pods("default").Get(context.Background(), "badsysctl", metav1.GetOptions{})
	if err != nil || pod.Status.Phase != corev1.PodPending {
		t.Fatalf("pod %v: %v", pod.Status.Phase, err)
	}
}

// TestRealPodSandboxDies: when a pod's pause process dies, the node
// makes the pod a new sandbox and restarts its container there
// (SandboxChanged), as the kubelet does.
func TestRealPodSandboxDies(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	p := busyboxPod(n, "phoenix", img, "exec sleep 3600")
	p.Spec.RestartPolicy = corev1.RestartPolicyAlways
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, n, "phoenix", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	sandboxes, err := n.Runtime.CRI.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.name": "phoenix"}})
	if err != nil || len(sandboxes) != 1 {
		t.Fatalf("sandboxes %v %v", sandboxes, err)
	}
	old := sandboxes[0].Id
	st, err := n.Runtime.CRI.PodSandboxStatus(ctx, old, true)
	if err != nil {
		t.Fatal(err)
	}
	info := st.Info["info"]
	// Its network namespace is mounted under the node's containerd
	// state, not the machine's /var/run/netns (where containerd 1.6
	// leaves the netns of a sandbox it failed to create).
	if netns := `"path":"` + filepath.Join(n.Runtime.Containerd.Paths().State, "io.containerd.grpc.v1.cri", "netns", "cni-"); !strings.Contains(info, netns) {
		t.Errorf("the sandbox's netns is not under %s: %s", netns, info)
	}
	i := strings.Index(info, `"pid":`)
	if i < 0 {
		t.Fatalf("no pid in the sandbox's status: %s", info)
	}
	rest := info[i+len(`"pid":`):]
	pid, err := strconv.Atoi(strings.TrimSpace(rest[:strings.IndexAny(rest, ",}")]))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing the pause process %d: %v", pid, err)
	}
	waitPod(t, n, "phoenix", "Running again in a new sandbox", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodRunning && len(p.Status.ContainerStatuses) == 1 &&
			p.Status.ContainerStatuses[0].RestartCount >= 1 && p.Status.ContainerStatuses[0].State.Running != nil
	})
	sandboxes, err = n.Runtime.CRI.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.name": "phoenix"}})
	if err != nil || len(sandboxes) != 1 || sandboxes[0].Id == old || sandboxes[0].State != runtimeapi.PodSandboxState_SANDBOX_READY {
		t.Fatalf("after: sandboxes %v %v (old %s)", sandboxes, err, old)
	}
}

// TestRealPodRunsAsUser: the pod's runAsUser, runAsGroup, fsGroup and
// supplementalGroups reach the container's process; the pod's own
// supplementalGroups are left as they were.
func TestRealPodRunsAsUser(t *testing.T) {
	n := nodetest.StartNode(t)
	p := busyboxPod(n, "ids", n.Busybox(t), `echo "uid=$(id -u) groups=$(id -G)"; exec sleep 3600`)
	p.Spec.SecurityContext = &corev1.PodSecurityContext{
		RunAsUser: ptr.To[int64](1234), RunAsGroup: ptr.To[int64](2345), FSGroup: ptr.To[int64](3456),
		SupplementalGroups: []int64{4567},
	}
	if _, err := n.Client.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "ids", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	logPath := n.DataDir + "/pods/default_ids_" + string(pod.UID) + "/main/0.log"
	var line string
	controllertest.Eventually(t, "the ids in the container's log", func(context.Context) (bool, error) {
		b, _ := os.ReadFile(logPath)
		line = string(b)
		return strings.Contains(line, "uid="), nil
	})
	for _, want := range []string{"uid=1234 ", "groups=2345 ", " 3456", " 4567"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
	if got := pod.Spec.SecurityContext.SupplementalGroups; len(got) != 1 || got[0] != 4567 {
		t.Errorf("the pod's supplementalGroups became %v", got)
	}
}

// TestRealPodEtcHosts: a pod's containers see the kubelet-managed
// /etc/hosts (the pod's hostname and FQDN at its IP, the host aliases);
// a container that mounts its own /etc/hosts keeps it.
func TestRealPodEtcHosts(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	p := busyboxPod(n, "hosts", img, "cat /etc/hosts")
	p.Spec.Hostname, p.Spec.Subdomain = "web", "sub"
	p.Spec.HostAliases = []corev1.HostAlias{{IP: "192.0.2.77", Hostnames: []string{"foo.example", "bar.example"}}}
	p.Spec.Volumes = []corev1.Volume{{Name: "hosts", VolumeSource: corev1.VolumeSource{
		HostPath: &corev1.HostPathVolumeSource{Path: "/etc/hosts", Type: ptr.To(corev1.HostPathFile)}}}}
	p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "own", Image: img, Command: []string{"cat", "/etc/hosts"},
		VolumeMounts: []corev1.VolumeMount{{Name: "hosts", MountPath: "/etc/hosts"}}})
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "hosts", "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	logs := func(container string) string {
		b, err := n.Client.CoreV1().Pods("default").GetLogs("hosts", &corev1.PodLogOptions{Container: container}).DoRaw(ctx)
		if err != nil {
			t.Fatalf("logs of %s: %v", container, err)
		}
		return string(b)
	}
	got := logs("main")
	for _, want := range []string{
		"# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n",
		"\n" + pod.Status.PodIP + "\tweb.sub.default.svc.cluster.local\tweb\n",
		"\n# Entries added by HostAliases.\n192.0.2.77\tfoo.example\tbar.example\n",
	} {
		if !strings.HasPrefix(got, want) && !strings.Contains(got, want) {
			t.Errorf("/etc/hosts lacks %q:\n%s", want, got)
		}
	}
	host, err := os.ReadFile("/etc/hosts")
	if err != nil {
		t.Fatal(err)
	}
	if got := logs("own"); got != string(host) {
		t.Errorf("container mounting its own /etc/hosts sees %q, want the host's %q", got, host)
	}
}

// TestRealPodTerminationMessage: an exited container's state carries
// what it wrote to its terminationMessagePath (also as a non-root user,
// at a path of its own), or with FallbackToLogsOnError and a failure,
// the end of its log.
func TestRealPodTerminationMessage(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	p := busyboxPod(n, "msg", img, "printf DONE > /dev/termination-log")
	p.Spec.Containers = append(p.Spec.Containers,
		corev1.Container{Name: "custom", Image: img, Command: []string{"sh", "-c", "printf custom > /tmp/my-log"},
			TerminationMessagePath: "/tmp/my-log", SecurityContext: &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)}},
		corev1.Container{Name: "fallback", Image: img, Command: []string{"sh", "-c", "echo first; echo last; exit 2"},
			TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError},
	)
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "msg", "Failed", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodFailed })
	want := map[string]string{"main": "DONE", "custom": "custom", "fallback": "first\nlast\n"}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Terminated == nil {
			t.Errorf("%s: not terminated: %+v", cs.Name, cs.State)
			continue
		}
		if got := cs.State.Terminated.Message; got != want[cs.Name] {
			t.Errorf("%s: termination message %q, want %q", cs.Name, got, want[cs.Name])
		}
	}
}

// TestRealPodPrivilegedContainer: a pod with a privileged container gets
// a privileged sandbox, without which containerd refuses the container
// ("no privileged container allowed in sandbox").
func TestRealPodPrivilegedContainer(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	p := busyboxPod(n, "priv", img, "grep CapEff /proc/self/status")
	p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	if _, err := n.Client.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, n, "priv", "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
}

// TestRealPodSandboxRetriedAfterNetworkFailure: a pod whose first
// sandboxes fail in the network plugin (with --cni reference, the
// bridge plugin: the node's bridge holds an address of another subnet,
// as after the node's podCIDR changed) runs once the cause is gone.
// With the bridge plugin's per-pod ipMasq on (as the node's conflist had
// it), the failed start's network teardown fails too, and containerd 1.6
// keeps that sandbox with the pod's sandbox name reserved: the node
// removes it before trying again, as the kubelet's next attempt does,
// instead of failing on the reserved name forever.
func TestRealPodSandboxRetriedAfterNetworkFailure(t *testing.T) {
	n := nodetest.StartNodeWithFlags(t, func(f *nodecmd.RealFlags) { f.CNI = containerd.CNIReference }, nil)
	img := n.Busybox(t)
	ctx := context.Background()
	paths := n.Runtime.Containerd.Paths()
	conflist := filepath.Join(paths.CNIConfDir, "10-tinykube.conflist")
	b, err := os.ReadFile(conflist)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"ipMasq": false`), []byte(`"ipMasq": true`), 1)
	if err := os.WriteFile(conflist+".tmp", b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(conflist+".tmp", conflist); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "containerd loads the conflist with ipMasq", func(ctx context.Context) (bool, error) {
		st, err := n.Runtime.CRI.Status(ctx, true)
		return err == nil && strings.Contains(st.GetInfo()["cniconfig"], `\"ipMasq\": true`), nil
	})
	br := containerd.BridgeName(paths.Dir)
	if out, err := exec.Command("ip", "link", "add", br, "type", "bridge").CombinedOutput(); err != nil {
		t.Fatalf("ip link add: %s: %v", out, err)
	}
	// Deleted by the node's cleanup too; this one is for a failure before.
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", br).Run() })
	if out, err := exec.Command("ip", "addr", "add", "192.0.2.77/32", "dev", br).CombinedOutput(); err != nil {
		t.Fatalf("ip addr add: %s: %v", out, err)
	}
	p := busyboxPod(n, "retried", img, "exec sleep 3600")
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "a FailedCreatePodSandBox event about the bridge", time.Minute, func(ctx context.Context) (bool, error) {
		evs, err := n.Client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=retried"})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == "FailedCreatePodSandBox" && strings.Contains(e.Message, "already has an IP address different") {
				return true, nil
			}
		}
		return false, nil
	})
	if out, err := exec.Command("ip", "addr", "flush", "dev", br).CombinedOutput(); err != nil {
		t.Fatalf("ip addr flush: %s: %v", out, err)
	}
	waitPod(t, n, "retried", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	sandboxes, err := n.Runtime.CRI.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.name": "retried"}})
	if err != nil || len(sandboxes) != 1 || sandboxes[0].State != runtimeapi.PodSandboxState_SANDBOX_READY {
		t.Fatalf("sandboxes %v %v: want the one ready sandbox", sandboxes, err)
	}
}

// TestRealPodSandboxRetriedAfterTinykubeCNIFailure: with tinykube-cni
// (the default), a pod whose first sandboxes fail in the plugin (the
// bridge's name is taken by a link that is not a bridge) gets a
// FailedCreatePodSandBox event with the plugin's error, and runs, with
// one ready sandbox and an IP of the node's podCIDR, once the cause is
// gone.
func TestRealPodSandboxRetriedAfterTinykubeCNIFailure(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	br := containerd.BridgeName(n.Runtime.Containerd.Paths().Dir)
	// One end of a veth pair (no dummy module everywhere).
	if out, err := exec.Command("ip", "link", "add", br, "type", "veth", "peer", "name", "tkr"+strings.TrimPrefix(br, "tk")).CombinedOutput(); err != nil {
		t.Fatalf("ip link add: %s: %v", out, err)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", br).Run() })
	p := busyboxPod(n, "retried-tk", img, "exec sleep 3600")
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "a FailedCreatePodSandBox event from tinykube-cni", time.Minute, func(ctx context.Context) (bool, error) {
		evs, err := n.Client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=retried-tk"})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == "FailedCreatePodSandBox" && strings.Contains(e.Message, "is a veth, not a bridge") {
				return true, nil
			}
		}
		return false, nil
	})
	if out, err := exec.Command("ip", "link", "del", br).CombinedOutput(); err != nil {
		t.Fatalf("ip link del: %s: %v", out, err)
	}
	got := waitPod(t, n, "retried-tk", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	if ip, err := netip.ParseAddr(got.Status.PodIP); err != nil || !n.PodCIDR.Contains(ip) {
		t.Fatalf("pod IP %q: want one of %s", got.Status.PodIP, n.PodCIDR)
	}
	sandboxes, err := n.Runtime.CRI.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.name": "retried-tk"}})
	if err != nil || len(sandboxes) != 1 || sandboxes[0].State != runtimeapi.PodSandboxState_SANDBOX_READY {
		t.Fatalf("sandboxes %v %v: want the one ready sandbox", sandboxes, err)
	}
}
