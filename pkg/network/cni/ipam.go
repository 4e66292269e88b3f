package cni

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// store is the on-disk, host-local-style address allocator of one network:
// a directory dataDir/<network name>/ holding one file per allocated IP
// (named by the IP, containing "<containerID>\n<ifname>"), a file
// last_reserved_ip (where the next search starts) and a lock file. Every
// operation runs under an exclusive flock on the lock file, so concurrent
// plugin processes (concurrent ADDs) never hand out one IP twice, and the
// state survives restarts because it is only files.
type store struct {
	dir  string
	lock *os.File
}

const (
	lockFileName   = "lock"
	lastReservedIP = "last_reserved_ip"
)

// openStore creates the directory if needed and takes the lock. Close
// releases it.
func openStore(dataDir, network string) (*store, error) {
	dir := filepath.Join(dataDir, network)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("ipam: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ipam: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("ipam: lock %s: %w", f.Name(), err)
	}
	return &store{dir: dir, lock: f}, nil
}

// Close releases the lock.
func (s *store) Close() error { return s.lock.Close() }

func owner(containerID, ifName string) string { return containerID + "\n" + ifName }

// errExhausted is returned by allocate when no address is free.
var errExhausted = errors.New("ipam: no free address in range")

// allocate returns the IP already held by containerID/ifName, or reserves
// the next free one in podNet, skipping the network address, the gateway
// (first address) and the broadcast address.
func (s *store) allocate(podNet *net.IPNet, containerID, ifName string) (net.IP, error) {
	if ip := s.lookup(containerID, ifName); ip != nil {
		return ip, nil
	}
	first, last := usableRange(podNet)
	start := first
	if b, err := os.ReadFile(filepath.Join(s.dir, lastReservedIP)); err == nil {
		if ip := net.ParseIP(strings.TrimSpace(string(b))).To4(); ip != nil && inRange(ip, first, last) {
			start = nextInRange(ip, first, last)
		}
	}
	ip := start
	for {
		path := filepath.Join(s.dir, ip.String())
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := f.WriteString(owner(containerID, ifName))
			cerr := f.Close()
			if werr != nil || cerr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("ipam: write %s: %v", path, errors.Join(werr, cerr))
			}
			if err := os.WriteFile(filepath.Join(s.dir, lastReservedIP), []byte(ip.String()), 0o644); err != nil {
				return nil, fmt.Errorf("ipam: %w", err)
			}
			return ip, nil
		}
		if !os.IsExist(err) {
			return nil, fmt.Errorf("ipam: %w", err)
		}
		ip = nextInRange(ip, first, last)
		if ip.Equal(start) {
			return nil, errExhausted
		}
	}
}

// lookup returns the IP held by containerID/ifName, or nil.
func (s *store) lookup(containerID, ifName string) net.IP {
	for ip, o := range s.allocations() {
		if o == owner(containerID, ifName) {
			return net.ParseIP(ip).To4()
		}
	}
	return nil
}

// release frees every IP held by containerID/ifName. Releasing nothing is
// not an error.
func (s *store) release(containerID, ifName string) error {
	for ip, o := range s.allocations() {
		if o == owner(containerID, ifName) {
			if err := os.Remove(filepath.Join(s.dir, ip)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("ipam: %w", err)
			}
		}
	}
	return nil
}

// allocations lists the allocated IPs and their owners.
func (s *store) allocations() map[string]string {
	out := map[string]string{}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return out
	}
	for _, e := range entries {
		if e.IsDir() || net.ParseIP(e.Name()) == nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if err != nil {
			continue
		}
		out[e.Name()] = strings.TrimSpace(strings.ReplaceAll(string(b), "\r", ""))
	}
	return out
}

// usableRange is [network+2, broadcast-1]: network+1 is the gateway.
func usableRange(n *net.IPNet) (first, last net.IP) {
	ip := n.IP.To4()
	first = nextIP(nextIP(ip))
	last = make(net.IP, 4)
	for i := range last {
		last[i] = ip[i] | ^n.Mask[len(n.Mask)-4+i]
	}
	last[3]--
	return first, last
}

func inRange(ip, first, last net.IP) bool {
	return bytesCmp(ip, first) >= 0 && bytesCmp(ip, last) <= 0
}

func nextInRange(ip, first, last net.IP) net.IP {
	if bytesCmp(ip, last) >= 0 {
		return first
	}
	return nextIP(ip)
}

func bytesCmp(a, b net.IP) int {
	a, b = a.To4(), b.To4()
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func removeStoreDir(dataDir, network string) error {
	return os.RemoveAll(filepath.Join(dataDir, network))
}
