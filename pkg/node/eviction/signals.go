package eviction

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Observation is one signal's observed amount available and the
// capacity percentage thresholds are taken of (bytes, inodes or PIDs).
type Observation struct {
	Available, Capacity int64
}

// Observations maps each observed signal to its observation; a signal
// that could not be observed is absent (its thresholds are never met).
type Observations map[Signal]Observation

// Sources says where the signals are read from.
type Sources struct {
	// NodeFs is a directory on the node's file system (its data dir):
	// nodefs.*; ImageFs one on the runtime's image file system (its
	// root): imagefs.* ("" : the same as NodeFs).
	NodeFs, ImageFs string
	// Meminfo (default /proc/meminfo), MemoryCgroup (the root memory
	// cgroup, default /sys/fs/cgroup/memory) and PIDMax (default
	// /proc/sys/kernel/pid_max) are for tests.
	Meminfo, MemoryCgroup, PIDMax string
}

// Observe reads every signal from the machine, as the kubelet's summary
// provider does:
//
//   - memory.available is MemTotal less the root memory cgroup's working
//     set (usage less inactive file pages, cgroup v1); where there is no
//     such cgroup (cgroup v2), MemAvailable from /proc/meminfo;
//   - nodefs/imagefs available and inodesFree from statfs of NodeFs and
//     ImageFs. Available counts the blocks reserved for root (f_bfree,
//     where cadvisor counts f_bavail): the agent and the containers'
//     writes run as root, which may use them, and on a file system with
//     a large root reserve f_bavail would report pressure that is not
//     there;
//   - pid.available is pid_max less the number of processes (threads)
//     running (sysinfo).
//
// Errors are for the signals that could not be read; the others are
// observed.
func Observe(src Sources) (Observations, error) {
	if src.Meminfo == "" {
		src.Meminfo = "/proc/meminfo"
	}
	if src.MemoryCgroup == "" {
		src.MemoryCgroup = "/sys/fs/cgroup/memory"
	}
	if src.PIDMax == "" {
		src.PIDMax = "/proc/sys/kernel/pid_max"
	}
	if src.ImageFs == "" {
		src.ImageFs = src.NodeFs
	}
	obs := Observations{}
	var errs []string
	if o, err := observeMemory(src.Meminfo, src.MemoryCgroup); err != nil {
		errs = append(errs, err.Error())
	} else {
		obs[SignalMemoryAvailable] = o
	}
	for _, fs := range []struct {
		path          string
		bytes, inodes Signal
	}{{src.NodeFs, SignalNodeFsAvailable, SignalNodeFsInodesFree}, {src.ImageFs, SignalImageFsAvailable, SignalImageFsInodesFree}} {
		if fs.path == "" {
			continue
		}
		st, err := StatFs(fs.path)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		obs[fs.bytes] = Observation{Available: st.Available, Capacity: st.Capacity}
		if st.Inodes > 0 {
			obs[fs.inodes] = Observation{Available: st.InodesFree, Capacity: st.Inodes}
		}
	}
	if o, err := observePIDs(src.PIDMax); err != nil {
		errs = append(errs, err.Error())
	} else {
		obs[SignalPIDAvailable] = o
	}
	if len(errs) > 0 {
		return obs, fmt.Errorf("eviction signals: %s", strings.Join(errs, "; "))
	}
	return obs, nil
}

// FsStats is a file system's size and use, in bytes and inodes.
type FsStats struct {
	Capacity, Available, Used int64
	Inodes, InodesFree        int64
}

// StatFs is the statfs of the file system holding path; Available
// counts the root reserve (see Observe).
func StatFs(path string) (FsStats, error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(path, &fs); err != nil {
		return FsStats{}, fmt.Errorf("statfs %s: %w", path, err)
	}
	bs := int64(fs.Bsize)
	return FsStats{
		Capacity: int64(fs.Blocks) * bs, Available: int64(fs.Bfree) * bs, Used: int64(fs.Blocks-fs.Bfree) * bs,
		Inodes: int64(fs.Files), InodesFree: int64(fs.Ffree),
	}, nil
}

func observeMemory(meminfo, cgroup string) (Observation, error) {
	info, err := readKeyValues(meminfo, ":")
	if err != nil {
		return Observation{}, fmt.Errorf("memory.available: %w", err)
	}
	total, ok := info["MemTotal"]
	if !ok {
		return Observation{}, fmt.Errorf("memory.available: no MemTotal in %s", meminfo)
	}
	total *= 1024 // kB
	if ws, err := CgroupWorkingSet(cgroup); err == nil {
		return Observation{Available: max(0, total-ws), Capacity: total}, nil
	}
	avail, ok := info["MemAvailable"]
	if !ok {
		return Observation{}, fmt.Errorf("memory.available: no MemAvailable in %s", meminfo)
	}
	return Observation{Available: avail * 1024, Capacity: total}, nil
}

// CgroupWorkingSet is a cgroup v1 memory cgroup's working set: its
// usage less its inactive file pages, as cadvisor computes it.
func CgroupWorkingSet(dir string) (int64, error) {
	usage, err := readInt(filepath.Join(dir, "memory.usage_in_bytes"))
	if err != nil {
		return 0, err
	}
	stat, err := readKeyValues(filepath.Join(dir, "memory.stat"), " ")
	if err != nil {
		return 0, err
	}
	inactive, ok := stat["total_inactive_file"]
	if !ok {
		inactive = stat["inactive_file"]
	}
	return max(0, usage-inactive), nil
}

func observePIDs(pidMax string) (Observation, error) {
	maxPID, err := readInt(pidMax)
	if err != nil {
		return Observation{}, fmt.Errorf("pid.available: %w", err)
	}
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return Observation{}, fmt.Errorf("pid.available: sysinfo: %w", err)
	}
	return Observation{Available: max(0, maxPID-int64(si.Procs)), Capacity: maxPID}, nil
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// readKeyValues reads "key<sep> value [unit]" lines (meminfo,
// memory.stat).
func readKeyValues(path, sep string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, rest, ok := strings.Cut(sc.Text(), sep)
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
			out[strings.TrimSpace(k)] = v
		}
	}
	return out, sc.Err()
}
