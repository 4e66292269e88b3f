package node

import (
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	statsapi "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
)

func positive(v *uint64) bool { return v != nil && *v > 0 }

// TestRealStatsSummary: the node's /stats/summary, read through the API
// server (nodes/NODE/proxy/stats/summary, as `kubectl get --raw` does),
// has the node's CPU, memory, file systems and rlimit, and a running
// pod with its container's CPU (usageNanoCores from the second read on)
// and non-zero memory, its emptyDir volume's use and its
// ephemeral-storage.
func TestRealStatsSummary(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	p := busyboxPod(n, "measured", img, "head -c 200000 /dev/zero > /scratch/f; exec sleep 3600")
	p.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "scratch", MountPath: "/scratch"}}
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "measured", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })

	var sum statsapi.Summary
	var ps *statsapi.PodStats
	controllertest.EventuallyWithin(t, "the pod in /stats/summary with CPU rate, memory and its volume", time.Minute, func(ctx context.Context) (bool, error) {
		raw, err := n.Client.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", n.Name, "proxy", "stats", "summary").DoRaw(ctx)
		if err != nil {
			return false, err
		}
		sum = statsapi.Summary{}
		if err := json.Unmarshal(raw, &sum); err != nil {
			return false, err
		}
		ps = nil
		for i := range sum.Pods {
			if sum.Pods[i].PodRef.UID == string(pod.UID) {
				ps = &sum.Pods[i]
			}
		}
		if ps == nil || len(ps.Containers) != 1 || len(ps.VolumeStats) != 1 {
			return false, nil
		}
		c := ps.Containers[0]
		return c.CPU != nil && c.CPU.UsageNanoCores != nil && ps.VolumeStats[0].UsedBytes != nil && *ps.VolumeStats[0].UsedBytes >= 200000, nil
	})

	if testing.Verbose() {
		b, _ := json.MarshalIndent(sum, "", " ")
		t.Logf("summary: %s", b)
	}
	nd := sum.Node
	if nd.NodeName != n.Name || nd.StartTime.IsZero() {
		t.Errorf("node %q startTime %v", nd.NodeName, nd.StartTime)
	}
	if nd.CPU == nil || !positive(nd.CPU.UsageCoreNanoSeconds) {
		t.Errorf("node cpu %+v", nd.CPU)
	}
	if m := nd.Memory; m == nil || !positive(m.WorkingSetBytes) || !positive(m.AvailableBytes) || !positive(m.UsageBytes) || m.RSSBytes == nil {
		t.Errorf("node memory %+v", nd.Memory)
	}
	if fs := nd.Fs; fs == nil || !positive(fs.CapacityBytes) || !positive(fs.AvailableBytes) || !positive(fs.Inodes) {
		t.Errorf("node fs %+v", nd.Fs)
	}
	if nd.Runtime == nil || nd.Runtime.ImageFs == nil || !positive(nd.Runtime.ImageFs.CapacityBytes) || nd.Runtime.ImageFs.UsedBytes == nil {
		t.Errorf("runtime imageFs %+v", nd.Runtime)
	}
	if nd.Rlimit == nil || nd.Rlimit.MaxPID == nil || nd.Rlimit.NumOfRunningProcesses == nil || *nd.Rlimit.NumOfRunningProcesses <= 0 {
		t.Errorf("rlimit %+v", nd.Rlimit)
	}

	if ps.PodRef.Name != "measured" || ps.PodRef.Namespace != "default" || ps.StartTime.IsZero() {
		t.Errorf("podRef %+v startTime %v", ps.PodRef, ps.StartTime)
	}
	c := ps.Containers[0]
	if c.Name != "main" || c.StartTime.IsZero() || !positive(c.CPU.UsageCoreNanoSeconds) {
		t.Errorf("container %q started %v cpu %+v", c.Name, c.StartTime, c.CPU)
	}
	if m := c.Memory; m == nil || !positive(m.WorkingSetBytes) || !positive(m.UsageBytes) || m.RSSBytes == nil {
		t.Errorf("container memory %+v", c.Memory)
	}
	if c.Rootfs == nil || c.Rootfs.UsedBytes == nil || c.Logs == nil || c.Logs.UsedBytes == nil {
		t.Errorf("container rootfs %+v logs %+v", c.Rootfs, c.Logs)
	}
	if ps.CPU == nil || !positive(ps.CPU.UsageCoreNanoSeconds) || ps.Memory == nil || !positive(ps.Memory.WorkingSetBytes) {
		t.Errorf("pod cpu %+v memory %+v", ps.CPU, ps.Memory)
	}
	if v := ps.VolumeStats[0]; v.Name != "scratch" || !positive(v.CapacityBytes) {
		t.Errorf("volume %+v", v)
	}
	if e := ps.EphemeralStorage; e == nil || e.UsedBytes == nil || *e.UsedBytes < 200000 || !positive(e.CapacityBytes) {
		t.Errorf("ephemeral-storage %+v", ps.EphemeralStorage)
	}

	// The same through real kubectl, when installed.
	if _, err := exec.LookPath("kubectl"); err == nil {
		out, err := exec.Command("kubectl", "--kubeconfig", n.Server.KubeconfigPath, "get", "--raw",
			"/api/v1/nodes/"+n.Name+"/proxy/stats/summary?only_cpu_and_memory=true").Output()
		if err != nil {
			t.Fatalf("kubectl get --raw: %v", err)
		}
		var s statsapi.Summary
		if err := json.Unmarshal(out, &s); err != nil || s.Node.NodeName != n.Name || s.Node.Memory == nil || s.Node.Fs != nil {
			t.Errorf("kubectl get --raw ...?only_cpu_and_memory=true: %v %.300s", err, out)
		}
	}
}
