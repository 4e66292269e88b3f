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
