package stats

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	statsapi "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	"github.com/tinykube/tinykube/pkg/node/eviction"
)

// The labels the node agent puts on containers (pkg/node).
const (
	labelPodUID = "io.kubernetes.pod.uid"
)

func (p *Provider) podStats(ctx context.Context, now time.Time, nodefs *statsapi.FsStats) ([]statsapi.PodStats, error) {
	t := mtime(now)
	containers, err := p.cfg.Runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{
		State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}})
	if err != nil {
		return nil, err
	}
	list, err := p.cfg.Runtime.ListContainerStats(ctx, &runtimeapi.ContainerStatsFilter{})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*runtimeapi.ContainerStats, len(list))
	for _, s := range list {
		byID[s.GetAttributes().GetId()] = s
	}
	byPod := map[string][]*runtimeapi.Container{}
	for _, c := range containers {
		uid := c.GetLabels()[labelPodUID]
		byPod[uid] = append(byPod[uid], c)
	}
	// Sandbox stats (containerd ≥ 1.6): the pod's CPU, memory and
	// network; a runtime without them leaves the pod cgroup to read.
	sandboxes := map[string]*runtimeapi.PodSandboxStats{}
	if list, err := p.cfg.Runtime.ListPodSandboxStats(ctx, &runtimeapi.PodSandboxStatsFilter{}); err == nil {
		for _, s := range list {
			if m := s.GetAttributes().GetMetadata(); m != nil && s.GetLinux() != nil {
				sandboxes[m.GetUid()] = s
			}
		}
	}
	imagefs, err := eviction.StatFs(p.cfg.ImageFsDir)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	pods := []statsapi.PodStats{}
	for _, pod := range p.cfg.Pods() {
		running := byPod[string(pod.UID)]
		if len(running) == 0 {
			continue
		}
		ps := statsapi.PodStats{
			PodRef:     statsapi.PodReference{Name: pod.Name, Namespace: pod.Namespace, UID: string(pod.UID)},
			Containers: []statsapi.ContainerStats{},
		}
		if pod.Status.StartTime != nil {
			ps.StartTime = *pod.Status.StartTime
		}
		podCgroup := filepath.Join(p.cfg.CgroupRoot, "pod"+string(pod.UID))
		var ephemeral uint64
		var ephemeralInodes uint64
		for _, c := range running {
			cs := p.containerStats(c, byID[c.Id], podCgroup, t, now, imagefs, nodefs, pod)
			keep[c.Id] = true
			if cs.Rootfs != nil && cs.Rootfs.UsedBytes != nil {
				ephemeral += *cs.Rootfs.UsedBytes
				if cs.Rootfs.InodesUsed != nil {
					ephemeralInodes += *cs.Rootfs.InodesUsed
				}
			}
			if cs.Logs != nil && cs.Logs.UsedBytes != nil {
				ephemeral += *cs.Logs.UsedBytes
				ephemeralInodes += *cs.Logs.InodesUsed
			}
			ps.Containers = append(ps.Containers, cs)
		}
		sort.Slice(ps.Containers, func(i, j int) bool { return ps.Containers[i].Name < ps.Containers[j].Name })

		// The pod's sandbox stats, else its own cgroup, else the sum of
		// its containers.
		keep[podCgroup] = true
		sb := sandboxes[string(pod.UID)].GetLinux()
		if v := sb.GetCpu().GetUsageCoreNanoSeconds(); v != nil {
			ps.CPU = &statsapi.CPUStats{Time: t, UsageCoreNanoSeconds: u64(v.GetValue()),
				UsageNanoCores: p.usageNanoCores(podCgroup, v.GetValue(), now)}
			if r := sb.GetCpu().GetUsageNanoCores(); r != nil && r.GetValue() > 0 {
				ps.CPU.UsageNanoCores = u64(r.GetValue())
			}
		} else if total, err := p.cpuNanos(podCgroup); err == nil {
			ps.CPU = &statsapi.CPUStats{Time: t, UsageCoreNanoSeconds: u64(total), UsageNanoCores: p.usageNanoCores(podCgroup, total, now)}
		} else {
			ps.CPU = sumCPU(ps.Containers, t)
		}
		if m := sb.GetMemory(); m.GetWorkingSetBytes() != nil {
			ps.Memory = criMemory(m, t)
			if ps.Memory.UsageBytes == nil || ps.Memory.RSSBytes == nil {
				if cm, err := p.memory(podCgroup); err == nil {
					ps.Memory.UsageBytes, ps.Memory.RSSBytes = u64(cm.usage), u64(cm.rss)
				}
			}
		} else if m, err := p.memory(podCgroup); err == nil {
			ps.Memory = &statsapi.MemoryStats{Time: t, UsageBytes: u64(m.usage), WorkingSetBytes: u64(m.workingSet), RSSBytes: u64(m.rss),
				PageFaults: u64(m.pageFaults), MajorPageFaults: u64(m.majorPageFaults)}
		} else {
			ps.Memory = sumMemory(ps.Containers, t)
		}

		if net := sb.GetNetwork(); net != nil {
			ps.Network = networkStats(net, t)
		}
		for _, v := range pod.Spec.Volumes {
			vs, local, ok := p.volumeStats(pod, &v, t)
			if !ok {
				continue
			}
			ps.VolumeStats = append(ps.VolumeStats, vs)
			if local {
				ephemeral += *vs.UsedBytes
				ephemeralInodes += *vs.InodesUsed
			}
		}
		ps.EphemeralStorage = &statsapi.FsStats{Time: t, AvailableBytes: nodefs.AvailableBytes, CapacityBytes: nodefs.CapacityBytes,
			UsedBytes: u64(ephemeral), InodesUsed: u64(ephemeralInodes), Inodes: nodefs.Inodes, InodesFree: nodefs.InodesFree}
		pods = append(pods, ps)
	}
	p.forget(keep)
	return pods, nil
}

// containerStats is one running container's stats: CRI's, completed
// from its cgroup (<pod cgroup>/<container ID>, cgroupfs).
func (p *Provider) containerStats(c *runtimeapi.Container, st *runtimeapi.ContainerStats, podCgroup string, t metav1.Time, now time.Time,
	imagefs eviction.FsStats, nodefs *statsapi.FsStats, pod *corev1.Pod) statsapi.ContainerStats {
	name := c.GetMetadata().GetName()
	cs := statsapi.ContainerStats{Name: name, StartTime: mtime(time.Unix(0, c.CreatedAt))}
	cg := filepath.Join(podCgroup, c.Id)

	cpu := &statsapi.CPUStats{Time: t}
	if v := st.GetCpu().GetUsageCoreNanoSeconds(); v != nil {
		cpu.UsageCoreNanoSeconds = u64(v.GetValue())
	} else if total, err := p.cpuNanos(cg); err == nil {
		cpu.UsageCoreNanoSeconds = u64(total)
	}
	if cpu.UsageCoreNanoSeconds != nil {
		rate := p.usageNanoCores(c.Id, *cpu.UsageCoreNanoSeconds, now)
		if v := st.GetCpu().GetUsageNanoCores(); v != nil && v.GetValue() > 0 {
			rate = u64(v.GetValue())
		}
		cpu.UsageNanoCores = rate
	}
	cs.CPU = cpu

	mem := criMemory(st.GetMemory(), t)
	if mem.UsageBytes == nil || mem.RSSBytes == nil || mem.WorkingSetBytes == nil {
		if cm, err := p.memory(cg); err == nil {
			if mem.WorkingSetBytes == nil {
				mem.WorkingSetBytes = u64(cm.workingSet)
			}
			if mem.UsageBytes == nil {
				mem.UsageBytes = u64(cm.usage)
			}
			if mem.RSSBytes == nil {
				mem.RSSBytes = u64(cm.rss)
			}
			if mem.PageFaults == nil {
				mem.PageFaults, mem.MajorPageFaults = u64(cm.pageFaults), u64(cm.majorPageFaults)
			}
		}
	}
	cs.Memory = mem

	if wl := st.GetWritableLayer(); wl != nil {
		cs.Rootfs = &statsapi.FsStats{Time: t, AvailableBytes: u64(uint64(imagefs.Available)), CapacityBytes: u64(uint64(imagefs.Capacity)),
			UsedBytes: u64(wl.GetUsedBytes().GetValue()), Inodes: u64(uint64(imagefs.Inodes)), InodesFree: u64(uint64(imagefs.InodesFree))}
		if wl.GetInodesUsed() != nil {
			cs.Rootfs.InodesUsed = u64(wl.GetInodesUsed().GetValue())
		}
	}
	logDir := filepath.Join(p.cfg.DataDir, "pods", pod.Namespace+"_"+pod.Name+"_"+string(pod.UID), name)
	if used, inodes, err := diskUsage(logDir); err == nil {
		cs.Logs = &statsapi.FsStats{Time: t, AvailableBytes: nodefs.AvailableBytes, CapacityBytes: nodefs.CapacityBytes,
			UsedBytes: u64(used), InodesUsed: u64(inodes), Inodes: nodefs.Inodes, InodesFree: nodefs.InodesFree}
	}
	return cs
}

// volumeStats is the stats of pod's volume v if the node keeps it under
// the pod's directory (DataDir/pods/<uid>/volumes/<plugin>/<name>);
// local: it counts towards the pod's ephemeral storage (not a
// memory-backed emptyDir).
func (p *Provider) volumeStats(pod *corev1.Pod, v *corev1.Volume, t metav1.Time) (vs statsapi.VolumeStats, local, ok bool) {
	dirs, _ := filepath.Glob(filepath.Join(p.cfg.DataDir, "pods", string(pod.UID), "volumes", "*", v.Name))
	if len(dirs) == 0 {
		return vs, false, false
	}
	used, inodes, err := diskUsage(dirs[0])
	if err != nil {
		return vs, false, false
	}
	fs, err := eviction.StatFs(dirs[0])
	if err != nil {
		return vs, false, false
	}
	vs = statsapi.VolumeStats{Name: v.Name, FsStats: *fsStats(fs, t)}
	vs.UsedBytes, vs.InodesUsed = u64(used), u64(inodes)
	if c := v.PersistentVolumeClaim; c != nil {
		vs.PVCRef = &statsapi.PVCReference{Name: c.ClaimName, Namespace: pod.Namespace}
	}
	local = v.PersistentVolumeClaim == nil && v.HostPath == nil &&
		!(v.EmptyDir != nil && v.EmptyDir.Medium == corev1.StorageMediumMemory)
	return vs, local, true
}

// diskUsage is the bytes (allocated blocks) and inodes used under dir,
// as du counts them; symlinks are not followed.
func diskUsage(dir string) (bytes, inodes uint64, err error) {
	err = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed meanwhile
			}
			return err
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		inodes++
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			bytes += uint64(st.Blocks) * 512
		} else {
			bytes += uint64(info.Size())
		}
		return nil
	})
	return bytes, inodes, err
}

func sumCPU(cs []statsapi.ContainerStats, t metav1.Time) *statsapi.CPUStats {
	out := &statsapi.CPUStats{Time: t}
	for _, c := range cs {
		out.UsageCoreNanoSeconds = add(out.UsageCoreNanoSeconds, c.CPU.UsageCoreNanoSeconds)
		out.UsageNanoCores = add(out.UsageNanoCores, c.CPU.UsageNanoCores)
	}
	return out
}

func sumMemory(cs []statsapi.ContainerStats, t metav1.Time) *statsapi.MemoryStats {
	out := &statsapi.MemoryStats{Time: t}
	for _, c := range cs {
		out.UsageBytes = add(out.UsageBytes, c.Memory.UsageBytes)
		out.WorkingSetBytes = add(out.WorkingSetBytes, c.Memory.WorkingSetBytes)
		out.RSSBytes = add(out.RSSBytes, c.Memory.RSSBytes)
	}
	return out
}

func add(a, b *uint64) *uint64 {
	if b == nil {
		return a
	}
	if a == nil {
		return u64(*b)
	}
	return u64(*a + *b)
}

// criMemory converts CRI's memory usage; fields it lacks stay nil.
func criMemory(m *runtimeapi.MemoryUsage, t metav1.Time) *statsapi.MemoryStats {
	mem := &statsapi.MemoryStats{Time: t}
	set := func(dst **uint64, v *runtimeapi.UInt64Value) {
		if v != nil {
			*dst = u64(v.GetValue())
		}
	}
	set(&mem.WorkingSetBytes, m.GetWorkingSetBytes())
	set(&mem.UsageBytes, m.GetUsageBytes())
	set(&mem.RSSBytes, m.GetRssBytes())
	set(&mem.AvailableBytes, m.GetAvailableBytes())
	set(&mem.PageFaults, m.GetPageFaults())
	set(&mem.MajorPageFaults, m.GetMajorPageFaults())
	return mem
}

// networkStats converts the sandbox's network usage: the default
// interface's counters, and every interface's.
func networkStats(n *runtimeapi.NetworkUsage, t metav1.Time) *statsapi.NetworkStats {
	conv := func(i *runtimeapi.NetworkInterfaceUsage) statsapi.InterfaceStats {
		out := statsapi.InterfaceStats{Name: i.GetName()}
		set := func(dst **uint64, v *runtimeapi.UInt64Value) {
			if v != nil {
				*dst = u64(v.GetValue())
			}
		}
		set(&out.RxBytes, i.GetRxBytes())
		set(&out.RxErrors, i.GetRxErrors())
		set(&out.TxBytes, i.GetTxBytes())
		set(&out.TxErrors, i.GetTxErrors())
		return out
	}
	out := &statsapi.NetworkStats{Time: t}
	if d := n.GetDefaultInterface(); d != nil {
		out.InterfaceStats = conv(d)
	}
	for _, i := range n.GetInterfaces() {
		out.Interfaces = append(out.Interfaces, conv(i))
	}
	return out
}
