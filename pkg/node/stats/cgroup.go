package stats

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cgroupMemory is a cgroup's memory use, as cadvisor reads it.
type cgroupMemory struct {
	usage, workingSet, rss, pageFaults, majorPageFaults uint64
}

// memory reads cgroup path's memory use: cgroup v1 (memory controller)
// or, where that is absent, v2 (unified).
func (p *Provider) memory(path string) (cgroupMemory, error) {
	v1 := filepath.Join(p.cfg.CgroupFS, "memory", path)
	if usage, err := readUint(filepath.Join(v1, "memory.usage_in_bytes")); err == nil {
		st, err := readStat(filepath.Join(v1, "memory.stat"))
		if err != nil {
			return cgroupMemory{}, err
		}
		return memoryFrom(usage, st["total_inactive_file"], st["total_rss"], st["total_pgfault"], st["total_pgmajfault"]), nil
	}
	v2 := filepath.Join(p.cfg.CgroupFS, path)
	usage, err := readUint(filepath.Join(v2, "memory.current"))
	if err != nil {
		return cgroupMemory{}, errNoCgroup
	}
	st, err := readStat(filepath.Join(v2, "memory.stat"))
	if err != nil {
		return cgroupMemory{}, err
	}
	return memoryFrom(usage, st["inactive_file"], st["anon"], st["pgfault"], st["pgmajfault"]), nil
}

func memoryFrom(usage, inactiveFile, rss, pgfault, pgmajfault uint64) cgroupMemory {
	ws := uint64(0)
	if usage > inactiveFile {
		ws = usage - inactiveFile
	}
	return cgroupMemory{usage: usage, workingSet: ws, rss: rss, pageFaults: pgfault, majorPageFaults: pgmajfault}
}

// cpuNanos is cgroup path's CPU time in nanoseconds (cgroup v1
// cpuacct.usage, else v2 cpu.stat usage_usec).
func (p *Provider) cpuNanos(path string) (uint64, error) {
	if v, err := readUint(filepath.Join(p.cfg.CgroupFS, "cpuacct", path, "cpuacct.usage")); err == nil {
		return v, nil
	}
	st, err := readStat(filepath.Join(p.cfg.CgroupFS, path, "cpu.stat"))
	if err != nil {
		return 0, errNoCgroup
	}
	return st["usage_usec"] * 1000, nil
}

func readUint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}

// readStat reads "key value [unit]" lines.
func readStat(path string) (map[string]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 {
			if v, err := strconv.ParseUint(fields[1], 10, 64); err == nil {
				out[fields[0]] = v
			}
		}
	}
	return out, sc.Err()
}
