package eviction

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestParseThresholds(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "", want: ""},
		{in: "memory.available<100Mi", want: "memory.available<100Mi"},
		{in: " nodefs.available<10% , pid.available<1k", want: "nodefs.available<10%,pid.available<1k"},
		{in: "imagefs.inodesFree<2.5%", want: "imagefs.inodesFree<2.5%"},
		{in: "memory.available<0", want: "memory.available<0"},
		{in: "memory.available>100Mi", err: "invalid eviction threshold syntax"},
		{in: "memory.available<", err: "invalid eviction threshold syntax"},
		{in: "memory.free<1Gi", err: `unsupported eviction signal "memory.free"`},
		{in: "nodefs.available<110%", err: "must be >= 0% and <= 100%"},
		{in: "nodefs.available<x%", err: "invalid percentage"},
		{in: "memory.available<-1Mi", err: "must be positive"},
		{in: "memory.available<lots", err: "memory.available"},
		{in: "memory.available<1Gi,memory.available<2Gi", err: "given twice"},
	} {
		got, err := ParseThresholds(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		var s []string
		for _, th := range got {
			s = append(s, th.String())
		}
		if strings.Join(s, ",") != tc.want {
			t.Errorf("%q: got %q", tc.in, strings.Join(s, ","))
		}
	}
}

// A partial --eviction-hard keeps the defaults of the signals it does
// not name; a zero value turns one off.
func TestHardMergesDefaults(t *testing.T) {
	got, err := Hard("memory.available<1000Ti,nodefs.inodesFree<0%")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, th := range got {
		s = append(s, th.String())
	}
	want := "imagefs.available<15%,imagefs.inodesFree<5%,memory.available<1000Ti,nodefs.available<10%"
	if strings.Join(s, ",") != want {
		t.Errorf("got %s, want %s", strings.Join(s, ","), want)
	}
	if _, err := Hard("bogus<1"); err == nil || !strings.Contains(err.Error(), "--eviction-hard") {
		t.Errorf("bad flag: %v", err)
	}
}

const gi = int64(1) << 30

// TestTracker feeds fake signals: each condition follows its signals'
// thresholds, with the kubelet's reasons, and stays True for the
// transition period after the pressure ends.
func TestTracker(t *testing.T) {
	th, err := Hard("pid.available<1000")
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(th, time.Minute)
	healthy := Observations{
		SignalMemoryAvailable:   {Available: 8 * gi, Capacity: 16 * gi},
		SignalNodeFsAvailable:   {Available: 50 * gi, Capacity: 100 * gi},
		SignalNodeFsInodesFree:  {Available: 900, Capacity: 1000},
		SignalImageFsAvailable:  {Available: 50 * gi, Capacity: 100 * gi},
		SignalImageFsInodesFree: {Available: 900, Capacity: 1000},
		SignalPIDAvailable:      {Available: 30000, Capacity: 32768},
	}
	with := func(s Signal, avail int64) Observations {
		o := Observations{}
		for k, v := range healthy {
			o[k] = v
		}
		v := o[s]
		v.Available = avail
		o[s] = v
		return o
	}
	status := func(conds []Condition) string {
		var s []string
		for _, c := range conds {
			s = append(s, string(c.Type)+"="+string(c.Status)+"/"+c.Reason)
		}
		return strings.Join(s, " ")
	}
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name string
		obs  Observations
		at   time.Duration
		want string
	}{
		{"healthy", healthy, 0, "MemoryPressure=False/KubeletHasSufficientMemory DiskPressure=False/KubeletHasNoDiskPressure PIDPressure=False/KubeletHasSufficientPID"},
		{"memory below 100Mi", with(SignalMemoryAvailable, 99<<20), time.Second, "MemoryPressure=True/KubeletHasInsufficientMemory DiskPressure=False/KubeletHasNoDiskPressure PIDPressure=False/KubeletHasSufficientPID"},
		{"memory back, within the transition period", healthy, 30 * time.Second, "MemoryPressure=True/KubeletHasInsufficientMemory DiskPressure=False/KubeletHasNoDiskPressure PIDPressure=False/KubeletHasSufficientPID"},
		{"transition period over", healthy, 2 * time.Minute, "MemoryPressure=False/KubeletHasSufficientMemory DiskPressure=False/KubeletHasNoDiskPressure PIDPressure=False/KubeletHasSufficientPID"},
		{"nodefs 9% free", with(SignalNodeFsAvailable, 9*gi), 10 * time.Minute, "MemoryPressure=False/KubeletHasSufficientMemory DiskPressure=True/KubeletHasDiskPressure PIDPressure=False/KubeletHasSufficientPID"},
		{"imagefs 14% free", with(SignalImageFsAvailable, 14*gi), 20 * time.Minute, "MemoryPressure=False/KubeletHasSufficientMemory DiskPressure=True/KubeletHasDiskPressure PIDPressure=False/KubeletHasSufficientPID"},
		{"inodes 4% free", with(SignalNodeFsInodesFree, 40), 30 * time.Minute, "MemoryPressure=False/KubeletHasSufficientMemory DiskPressure=True/KubeletHasDiskPressure PIDPressure=False/KubeletHasSufficientPID"},
		{"pids short", with(SignalPIDAvailable, 999), 40 * time.Minute, "MemoryPressure=False/KubeletHasSufficientMemory DiskPressure=False/KubeletHasNoDiskPressure PIDPressure=True/KubeletHasInsufficientPID"},
		{"memory unobserved", Observations{}, 50 * time.Minute, "MemoryPressure=False/KubeletHasSufficientMemory DiskPressure=False/KubeletHasNoDiskPressure PIDPressure=False/KubeletHasSufficientPID"},
	} {
		if got := status(tr.Observe(tc.obs, t0.Add(tc.at))); got != tc.want {
			t.Errorf("%s: got\n  %s\nwant\n  %s", tc.name, got, tc.want)
		}
	}
	conds := tr.Observe(with(SignalMemoryAvailable, 0), t0.Add(time.Hour))
	if c := conds[0]; c.Message != "kubelet has insufficient memory available" || c.Type != corev1.NodeMemoryPressure || c.EventReason() != "NodeHasInsufficientMemory" {
		t.Errorf("message %+v event %s", c, c.EventReason())
	}
	if conds[1].EventReason() != "NodeHasNoDiskPressure" || conds[2].EventReason() != "NodeHasSufficientPID" {
		t.Errorf("events %s %s", conds[1].EventReason(), conds[2].EventReason())
	}
}

// TestObserveFiles reads the signals from a fake /proc/meminfo and
// memory cgroup, and statfs of a real directory.
func TestObserveFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	meminfo := write("meminfo", "MemTotal:       1048576 kB\nMemFree:  10 kB\nMemAvailable:   524288 kB\n")
	cg := filepath.Join(dir, "memory")
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Fatal(err)
	}
	write("memory/memory.usage_in_bytes", "805306368\n")
	write("memory/memory.stat", "cache 1\ntotal_inactive_file 268435456\n")
	pidMax := write("pid_max", "32768\n")
	obs, err := Observe(Sources{NodeFs: dir, Meminfo: meminfo, MemoryCgroup: cg, PIDMax: pidMax})
	if err != nil {
		t.Fatal(err)
	}
	// 1 GiB less a working set of 768-256 MiB.
	if m := obs[SignalMemoryAvailable]; m.Capacity != gi || m.Available != 512<<20 {
		t.Errorf("memory %+v", m)
	}
	// Without a memory cgroup: MemAvailable.
	obs2, err := Observe(Sources{NodeFs: dir, Meminfo: meminfo, MemoryCgroup: filepath.Join(dir, "none"), PIDMax: pidMax})
	if err != nil {
		t.Fatal(err)
	}
	if m := obs2[SignalMemoryAvailable]; m.Available != 512<<20 {
		t.Errorf("memory from MemAvailable %+v", m)
	}
	for _, s := range []Signal{SignalNodeFsAvailable, SignalImageFsAvailable, SignalNodeFsInodesFree, SignalPIDAvailable} {
		if o := obs[s]; o.Capacity <= 0 || o.Available <= 0 || o.Available > o.Capacity {
			t.Errorf("%s: %+v", s, o)
		}
	}
	if _, err := Observe(Sources{NodeFs: filepath.Join(dir, "missing"), Meminfo: meminfo, PIDMax: pidMax}); err == nil || !strings.Contains(err.Error(), "statfs") {
		t.Errorf("missing dir: %v", err)
	}
}
