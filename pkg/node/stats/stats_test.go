package stats

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakeRuntime answers the CRI stats calls with fixed data; sandbox
// stats are Unimplemented, as on an older containerd.
type fakeRuntime struct {
	containers []*runtimeapi.Container
	stats      []*runtimeapi.ContainerStats
}

func (f *fakeRuntime) ListContainers(context.Context, *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	return f.containers, nil
}
func (f *fakeRuntime) ListContainerStats(context.Context, *runtimeapi.ContainerStatsFilter) ([]*runtimeapi.ContainerStats, error) {
	return f.stats, nil
}
func (f *fakeRuntime) ListPodSandboxStats(context.Context, *runtimeapi.PodSandboxStatsFilter) ([]*runtimeapi.PodSandboxStats, error) {
	return nil, context.DeadlineExceeded
}
func (f *fakeRuntime) ImageFsInfo(context.Context) (*runtimeapi.ImageFsInfoResponse, error) {
	return &runtimeapi.ImageFsInfoResponse{ImageFilesystems: []*runtimeapi.FilesystemUsage{{UsedBytes: &runtimeapi.UInt64Value{Value: 42}}}}, nil
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSummaryFromFakes: node stats from fake /proc and cgroupfs, a
// pod's container stats from CRI completed from its cgroup, the pod's
// own from its cgroup (no sandbox stats), and CPU rates from the second
// summary on.
func TestSummaryFromFakes(t *testing.T) {
	dir := t.TempDir()
	proc, cg, data := filepath.Join(dir, "proc"), filepath.Join(dir, "cgroup"), filepath.Join(dir, "data")
	write(t, filepath.Join(proc, "stat"), "cpu  100 0 100 5000 0 0 0 0 0 0\nbtime 1700000000\n")
	write(t, filepath.Join(proc, "meminfo"), "MemTotal:  1048576 kB\n")
	write(t, filepath.Join(proc, "sys/kernel/pid_max"), "4096\n")
	write(t, filepath.Join(cg, "memory/memory.usage_in_bytes"), "536870912\n")
	write(t, filepath.Join(cg, "memory/memory.stat"), "total_inactive_file 268435456\ntotal_rss 1000\n")
	podCg := "/tk/podu1"
	write(t, filepath.Join(cg, "memory", podCg, "memory.usage_in_bytes"), "3000\n")
	write(t, filepath.Join(cg, "memory", podCg, "memory.stat"), "total_inactive_file 1000\ntotal_rss 1500\n")
	write(t, filepath.Join(cg, "cpuacct", podCg, "cpuacct.usage"), "1000000000\n")
	write(t, filepath.Join(cg, "memory", podCg, "c1", "memory.usage_in_bytes"), "2500\n")
	write(t, filepath.Join(cg, "memory", podCg, "c1", "memory.stat"), "total_inactive_file 500\ntotal_rss 1200\n")
	write(t, filepath.Join(data, "pods/ns_web_u1/app/0.log"), "hello\n")
	write(t, filepath.Join(data, "pods/u1/volumes/kubernetes.io~empty-dir/cache/f"), "data")

	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1"},
		Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}}}
	rt := &fakeRuntime{
		containers: []*runtimeapi.Container{{Id: "c1", Metadata: &runtimeapi.ContainerMetadata{Name: "app"}, CreatedAt: 1e18,
			Labels: map[string]string{labelPodUID: "u1"}, State: runtimeapi.ContainerState_CONTAINER_RUNNING}},
		stats: []*runtimeapi.ContainerStats{{Attributes: &runtimeapi.ContainerAttributes{Id: "c1"},
			Cpu:           &runtimeapi.CpuUsage{UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: 2e9}},
			Memory:        &runtimeapi.MemoryUsage{WorkingSetBytes: &runtimeapi.UInt64Value{Value: 2000}},
			WritableLayer: &runtimeapi.FilesystemUsage{UsedBytes: &runtimeapi.UInt64Value{Value: 4096}}}},
	}
	clk := clocktesting.NewFakePassiveClock(time.Unix(1800000000, 0))
	p, err := New(Config{NodeName: "n1", Runtime: rt, Pods: func() []*corev1.Pod { return []*corev1.Pod{pod} },
		DataDir: data, CgroupRoot: "/tk", CgroupFS: cg, Proc: proc, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	nd := s.Node
	if nd.StartTime.Unix() != 1700000000 || *nd.CPU.UsageCoreNanoSeconds != 200*1e7 || nd.CPU.UsageNanoCores != nil {
		t.Errorf("node start %v cpu %+v", nd.StartTime, nd.CPU)
	}
	if *nd.Memory.WorkingSetBytes != 256<<20 || *nd.Memory.AvailableBytes != 768<<20 || *nd.Memory.RSSBytes != 1000 {
		t.Errorf("node memory %+v", nd.Memory)
	}
	if *nd.Runtime.ImageFs.UsedBytes != 42 || *nd.Rlimit.MaxPID != 4096 {
		t.Errorf("imageFs %+v rlimit %+v", nd.Runtime.ImageFs, nd.Rlimit)
	}
	if len(s.Pods) != 1 || len(s.Pods[0].Containers) != 1 {
		t.Fatalf("pods %+v", s.Pods)
	}
	ps := s.Pods[0]
	c := ps.Containers[0]
	if c.Name != "app" || *c.CPU.UsageCoreNanoSeconds != 2e9 || c.CPU.UsageNanoCores != nil {
		t.Errorf("container %s cpu %+v", c.Name, c.CPU)
	}
	// Working set from CRI; usage and RSS from the cgroup.
	if *c.Memory.WorkingSetBytes != 2000 || *c.Memory.UsageBytes != 2500 || *c.Memory.RSSBytes != 1200 {
		t.Errorf("container memory %+v", c.Memory)
	}
	if *c.Rootfs.UsedBytes != 4096 || c.Logs == nil || *c.Logs.UsedBytes == 0 {
		t.Errorf("rootfs %+v logs %+v", c.Rootfs, c.Logs)
	}
	if *ps.CPU.UsageCoreNanoSeconds != 1e9 || *ps.Memory.WorkingSetBytes != 2000 || *ps.Memory.RSSBytes != 1500 {
		t.Errorf("pod cpu %+v memory %+v", ps.CPU, ps.Memory)
	}
	if len(ps.VolumeStats) != 1 || ps.VolumeStats[0].Name != "cache" || *ps.VolumeStats[0].UsedBytes == 0 {
		t.Errorf("volumes %+v", ps.VolumeStats)
	}
	if want := *c.Rootfs.UsedBytes + *c.Logs.UsedBytes + *ps.VolumeStats[0].UsedBytes; *ps.EphemeralStorage.UsedBytes != want {
		t.Errorf("ephemeral-storage used %d, want %d", *ps.EphemeralStorage.UsedBytes, want)
	}

	// Two seconds and one CPU-second later: half a core.
	clk.SetTime(clk.Now().Add(2 * time.Second))
	rt.stats[0].Cpu.UsageCoreNanoSeconds.Value = 3e9
	s, err = p.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Pods[0].Containers[0].CPU.UsageNanoCores; r == nil || *r != 5e8 {
		t.Errorf("usageNanoCores %v", r)
	}
	if r := s.Node.CPU.UsageNanoCores; r == nil || *r != 0 {
		t.Errorf("node usageNanoCores %v (no CPU time passed)", r)
	}
}
