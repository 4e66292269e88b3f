package node

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/node"
)

// cgroupValue reads file of the (cgroup v1) controller's cgroup that
// process pid is in.
func cgroupValue(t *testing.T, pid int, controller, file string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == controller {
				v, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", parts[1], parts[2], file))
				if err != nil {
					t.Fatal(err)
				}
				return strings.TrimSpace(string(v))
			}
		}
	}
	t.Skipf("no cgroup v1 %s controller for process %d (cgroup v2?)", controller, pid)
	return ""
}

// TestRealContainerCgroups: a container's requests and limits reach its
// cgroups as the kubelet sets them: cpu.shares from the cpu request
// (250m → 256), cpu.cfs_quota_us from the cpu limit (500m → 50000 of a
// 100000 µs period), memory.limit_in_bytes from the memory limit.
func TestRealContainerCgroups(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	p := busyboxPod(n, "limited", img, "exec sleep 3600")
	p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
	}
	if _, err := n.Client.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "limited", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	pid := containerProcess(t, n, pod.Status.ContainerStatuses[0].ContainerID)
	for _, c := range []struct{ controller, file, want string }{
		{"memory", "memory.limit_in_bytes", strconv.Itoa(64 << 20)},
		{"cpu", "cpu.shares", "256"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpu", "cpu.cfs_quota_us", "50000"},
	} {
		if got := cgroupValue(t, pid, c.controller, c.file); got != c.want {
			t.Errorf("%s = %s, want %s", c.file, got, c.want)
		}
	}
}

// TestRealOOMKilled: a container that allocates past its memory limit
// (busybox tail buffering /dev/zero, which has no newline) is killed by
// the kernel; its status says OOMKilled with exit code 137, and with
// restartPolicy Always it is restarted, its restartCount growing.
func TestRealOOMKilled(t *testing.T) {
	n := nodetest.StartNodeWith(t, func(c *node.Config) { c.RestartBackoff = time.Second })
	img := n.Busybox(t)
	p := busyboxPod(n, "hog", img, "exec tail /dev/zero")
	p.Spec.RestartPolicy = corev1.RestartPolicyAlways
	p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("16Mi")}
	if _, err := n.Client.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "hog", "OOMKilled twice", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 2
	})
	cs := pod.Status.ContainerStatuses[0]
	last := cs.LastTerminationState.Terminated
	if last == nil || last.Reason != "OOMKilled" || last.ExitCode != 137 {
		t.Fatalf("lastState %+v", cs.LastTerminationState)
	}
	if pod.Status.Phase != corev1.PodRunning {
		t.Errorf("phase %s", pod.Status.Phase)
	}
}

// TestRealInPlaceResize: a resize through pods/resize reaches the
// running container's cgroups through CRI UpdateContainerResources
// (cpu.shares 250m → 512 for 500m, cpu.cfs_quota_us 50000 → 100000,
// memory.limit_in_bytes 64Mi → 128Mi) without a restart: same container
// ID, same process, restartCount 0; the status reports the new
// allocatedResources and resources and the new generation as observed.
func TestRealInPlaceResize(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx, pods := context.Background(), n.Client.CoreV1().Pods("default")
	p := busyboxPod(n, "resized", img, "exec sleep 3600")
	p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
	}
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "resized", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	id := pod.Status.ContainerStatuses[0].ContainerID
	pid := containerPID(t, n, id)
	if got := cgroupValue(t, pid, "cpu", "cpu.cfs_quota_us"); got != "50000" {
		t.Fatalf("cpu.cfs_quota_us before = %s", got)
	}

	patch := `{"spec":{"containers":[{"name":"` + pod.Spec.Containers[0].Name + `","resources":{` +
		`"requests":{"cpu":"500m","memory":"64Mi"},"limits":{"cpu":"1","memory":"128Mi"}}}]}}`
	if _, err := pods.Patch(ctx, "resized", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "resize"); err != nil {
		t.Fatal(err)
	}
	pod = waitPod(t, n, "resized", "resize actuated", func(p *corev1.Pod) bool {
		if p.Status.ObservedGeneration != 2 || len(p.Status.ContainerStatuses) != 1 {
			return false
		}
		r := p.Status.ContainerStatuses[0].Resources
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodResizePending || c.Type == corev1.PodResizeInProgress {
				return false
			}
		}
		return r != nil && r.Limits.Cpu().String() == "1"
	})
	cs := pod.Status.ContainerStatuses[0]
	if cs.ContainerID != id || cs.RestartCount != 0 {
		t.Errorf("container %s restartCount %d, want %s unrestarted", cs.ContainerID, cs.RestartCount, id)
	}
	if got := cs.AllocatedResources.Memory().String(); got != "64Mi" {
		t.Errorf("allocatedResources memory %s, want 64Mi", got)
	}
	if got := containerPID(t, n, id); got != pid {
		t.Errorf("container process %d, was %d", got, pid)
	}
	for _, c := range []struct{ controller, file, want string }{
		{"memory", "memory.limit_in_bytes", strconv.Itoa(128 << 20)},
		{"cpu", "cpu.shares", "512"},
		{"cpu", "cpu.cfs_quota_us", "100000"},
	} {
		if got := cgroupValue(t, pid, c.controller, c.file); got != c.want {
			t.Errorf("after resize %s = %s, want %s", c.file, got, c.want)
		}
	}
}

// containerPID is the pid of container id's process, from the
// runtime's verbose status.
func containerPID(t *testing.T, n *nodetest.Node, id string) int {
	t.Helper()
	st, err := n.Runtime.CRI.ContainerStatus(context.Background(), strings.TrimPrefix(id, "containerd://"), true)
	if err != nil {
		t.Fatal(err)
	}
	info := st.Info["info"]
	i := strings.Index(info, `"pid":`)
	if i < 0 {
		t.Fatalf("no pid in the container's status: %s", info)
	}
	rest := info[i+len(`"pid":`):]
	pid, err := strconv.Atoi(strings.TrimSpace(rest[:strings.IndexAny(rest, ",}")]))
	if err != nil || pid <= 0 {
		t.Fatalf("pid in %q: %v", rest, err)
	}
	return pid
}
