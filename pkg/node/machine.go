package node

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// machine is what a real node reports about the machine it runs on,
// read once at start.
type machine struct {
	capacity, allocatable corev1.ResourceList
	// info lacks the runtime version and kubelet version, filled in at
	// report time.
	info corev1.NodeSystemInfo
}

// readMachine reads the machine's CPUs, memory (/proc/meminfo), the
// data dir's file system size (ephemeral-storage) and identity (uname,
// /etc/os-release, machine-id, boot_id), as the kubelet's cadvisor
// does.
func readMachine(dataDir string, maxPods int64, reserved corev1.ResourceList) (*machine, error) {
	memKiB, err := memTotalKiB("/proc/meminfo")
	if err != nil {
		return nil, err
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dataDir, &fs); err != nil {
		return nil, fmt.Errorf("node: statfs %s: %w", dataDir, err)
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(memKiB*1024, resource.BinarySI),
		corev1.ResourceEphemeralStorage: *resource.NewQuantity(int64(fs.Blocks)*int64(fs.Bsize), resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(maxPods, resource.DecimalSI),
	}
	allocatable := capacity.DeepCopy()
	for name, r := range reserved {
		if q, ok := allocatable[name]; ok {
			q.Sub(r)
			if q.Sign() < 0 {
				q = *resource.NewQuantity(0, q.Format)
			}
			allocatable[name] = q
		}
	}
	var uts unix.Utsname
	kernel := ""
	if unix.Uname(&uts) == nil {
		kernel = unix.ByteSliceToString(uts.Release[:])
	}
	m := &machine{capacity: capacity, allocatable: allocatable, info: corev1.NodeSystemInfo{
		KernelVersion: kernel, OSImage: osImage("/etc/os-release"),
		MachineID: readTrimmed("/etc/machine-id"), SystemUUID: strings.ToLower(readTrimmed("/sys/class/dmi/id/product_uuid")),
		BootID:          readTrimmed("/proc/sys/kernel/random/boot_id"),
		OperatingSystem: runtime.GOOS, Architecture: runtime.GOARCH, KubeletVersion: KubeletVersion,
	}}
	return m, nil
}

func memTotalKiB(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("node: memory capacity: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "MemTotal:" {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("node: no MemTotal in %s", path)
}

// osImage is PRETTY_NAME from os-release ("Debian GNU/Linux 12
// (bookworm)"), as the kubelet reports it.
func osImage(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return runtime.GOOS
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("PRETTY_NAME=")); ok {
			return strings.Trim(string(v), `"'`)
		}
	}
	return runtime.GOOS
}

func readTrimmed(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

// hostIP is the address of the host's default-route interface, as the
// kubelet picks its node IP.
func hostIP() (netip.Addr, error) {
	ip, err := utilnet.ChooseHostInterface()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("node: no node IP (set --node-ip): %w", err)
	}
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap(), nil
}
