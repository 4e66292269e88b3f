package stats

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	statsapi "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	"github.com/tinykube/tinykube/pkg/node/eviction"
)

// clockTicks is USER_HZ, the unit of /proc/stat (100 on Linux).
const clockTicks = 100

func (p *Provider) nodeStats(ctx context.Context, now time.Time) (*statsapi.NodeStats, error) {
	t := mtime(now)
	ns := &statsapi.NodeStats{NodeName: p.cfg.NodeName}
	boot, cpuNanos, err := p.procStat()
	if err != nil {
		return nil, err
	}
	ns.StartTime = mtime(boot)
	ns.CPU = &statsapi.CPUStats{Time: t, UsageCoreNanoSeconds: u64(cpuNanos), UsageNanoCores: p.usageNanoCores("", cpuNanos, now)}

	total, err := p.memTotal()
	if err != nil {
		return nil, err
	}
	ms := &statsapi.MemoryStats{Time: t}
	if m, err := p.memory("/"); err == nil {
		ms.UsageBytes, ms.WorkingSetBytes, ms.RSSBytes = u64(m.usage), u64(m.workingSet), u64(m.rss)
		ms.PageFaults, ms.MajorPageFaults = u64(m.pageFaults), u64(m.majorPageFaults)
		if total > m.workingSet {
			ms.AvailableBytes = u64(total - m.workingSet)
		} else {
			ms.AvailableBytes = u64(0)
		}
	}
	ns.Memory = ms

	nodefs, err := eviction.StatFs(p.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	ns.Fs = fsStats(nodefs, t)
	imagefs, err := eviction.StatFs(p.cfg.ImageFsDir)
	if err != nil {
		return nil, err
	}
	image := fsStats(imagefs, t)
	// Used: what the images take, as the runtime reports it.
	if info, err := p.cfg.Runtime.ImageFsInfo(ctx); err == nil && len(info.GetImageFilesystems()) > 0 {
		fs := info.GetImageFilesystems()[0]
		image.UsedBytes = u64(fs.GetUsedBytes().GetValue())
		if fs.GetInodesUsed() != nil {
			image.InodesUsed = u64(fs.GetInodesUsed().GetValue())
		}
	}
	ns.Runtime = &statsapi.RuntimeStats{ImageFs: image}

	rl := &statsapi.RlimitStats{Time: t}
	if b, err := os.ReadFile(filepath.Join(p.cfg.Proc, "sys/kernel/pid_max")); err == nil {
		if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
			rl.MaxPID = &v
		}
	}
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		procs := int64(si.Procs)
		rl.NumOfRunningProcesses = &procs
	}
	ns.Rlimit = rl
	return ns, nil
}

// fsStats converts a statfs.
func fsStats(fs eviction.FsStats, t metav1.Time) *statsapi.FsStats {
	out := &statsapi.FsStats{Time: t, AvailableBytes: u64(uint64(fs.Available)), CapacityBytes: u64(uint64(fs.Capacity)),
		UsedBytes: u64(uint64(fs.Used))}
	if fs.Inodes > 0 {
		out.Inodes, out.InodesFree = u64(uint64(fs.Inodes)), u64(uint64(fs.InodesFree))
		out.InodesUsed = u64(uint64(fs.Inodes - fs.InodesFree))
	}
	return out
}

// procStat reads the boot time and the CPU time spent busy (all CPUs)
// from /proc/stat.
func (p *Provider) procStat() (boot time.Time, busyNanos uint64, err error) {
	f, err := os.Open(filepath.Join(p.cfg.Proc, "stat"))
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("stats: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 9 && fields[0] == "cpu":
			// user nice system idle iowait irq softirq steal
			var busy uint64
			for _, i := range []int{1, 2, 3, 6, 7, 8} {
				v, _ := strconv.ParseUint(fields[i], 10, 64)
				busy += v
			}
			busyNanos = busy * (1e9 / clockTicks)
		case len(fields) == 2 && fields[0] == "btime":
			s, _ := strconv.ParseInt(fields[1], 10, 64)
			boot = time.Unix(s, 0)
		}
	}
	return boot, busyNanos, sc.Err()
}

func (p *Provider) memTotal() (uint64, error) {
	st, err := readStat(filepath.Join(p.cfg.Proc, "meminfo"))
	if err != nil {
		return 0, fmt.Errorf("stats: %w", err)
	}
	// readStat keys keep the colon: "MemTotal:" (kB).
	return st["MemTotal:"] * 1024, nil
}
